#include "analyze/allocation_functions.h"

#include <array>

namespace leakspy::analyze {

namespace {

// Whole names (C functions, and glibc's internal aliases seen with its debug
// symbols).
constexpr std::array<std::string_view, 52> kExact = {
    "malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign", "aligned_alloc", "memalign", "valloc",
    "pvalloc", "mmap", "mmap64", "mremap", "munmap", "__libc_malloc", "__libc_calloc", "__libc_realloc",
    "__libc_memalign", "__libc_free", "__GI___libc_malloc", "__GI___libc_free", "__GI___libc_realloc", "__malloc",
    "__calloc", "__realloc", "__mmap", "__mmap64", "__GI___mmap64", "strdup", "strndup", "__strdup", "__strndup",
    "PyMem_Malloc", "PyMem_Calloc", "PyMem_Realloc", "PyMem_RawMalloc", "PyMem_RawCalloc", "PyMem_RawRealloc",
    "PyObject_Malloc", "PyObject_Realloc",
    // CPython's internal allocator entry points (pymalloc and its raw fallbacks).
    "PyObject_Calloc", "_PyObject_Malloc", "_PyObject_Calloc", "_PyObject_Realloc", "_PyMem_RawMalloc",
    "_PyMem_RawCalloc", "_PyMem_RawRealloc", "pymalloc_alloc", "pymalloc_realloc", "_PyMem_DebugRawAlloc",
    "_PyMem_DebugRawRealloc", "_PyObject_ArenaMmap"};

// Prefixes of demangled C++ names: every overload of operator new, and the
// allocate() members of the standard allocators that only forward to it.
constexpr std::array<std::string_view, 2> kPrefixes = {"operator new", "operator delete"};
constexpr std::array<std::string_view, 4> kAllocatorClasses = {"std::__new_allocator<", "__gnu_cxx::new_allocator<",
                                                               "std::allocator<", "std::allocator_traits<"};

}  // namespace

bool is_allocation_function(std::string_view function) {
  for (std::string_view name : kExact) {
    if (function == name) return true;
  }
  for (std::string_view prefix : kPrefixes) {
    if (function.starts_with(prefix)) return true;
  }
  for (std::string_view prefix : kAllocatorClasses) {
    if (function.starts_with(prefix) && function.find(">::allocate(") != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace leakspy::analyze
