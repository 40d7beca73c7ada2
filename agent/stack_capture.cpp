#include "agent/stack_capture.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>

namespace leakspy::agent {

namespace {

struct AddressRange {
  uintptr_t begin = 0;
  uintptr_t end = 0;
  bool contains(uintptr_t address) const { return address >= begin && address < end; }
};

// libunwind's entry points, as its headers name them for the local,
// x86-64 flavour (UNW_LOCAL_ONLY): looked up, not linked.
using BacktraceFunction = int (*)(void**, int);
using CachingPolicyFunction = int (*)(void*, int);
constexpr int kUnwCachePerThread = 2;  // UNW_CACHE_PER_THREAD

// Set once by init_stack_capture, before any hook records; read-only after.
constinit BacktraceFunction unwind_backtrace = nullptr;
constinit const char* unwinder_name = "none";
// Frames from these sit on top of every captured stack: the hook wrapper and
// the recorder (the agent), and the unwinder's own entry point.
constinit AddressRange agent_text;
constinit AddressRange unwinder_entry;

struct RangeQuery {
  uintptr_t base;
  AddressRange* range;
};

int find_executable_range(dl_phdr_info* info, size_t, void* data) {
  auto* query = static_cast<RangeQuery*>(data);
  if (info->dlpi_addr != query->base) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type == PT_LOAD && (phdr.p_flags & PF_X)) {
      query->range->begin = info->dlpi_addr + phdr.p_vaddr;
      query->range->end = query->range->begin + phdr.p_memsz;
      return 1;
    }
  }
  return 0;
}

// The executable segment of the module holding `symbol`.
bool module_text_of(const void* symbol, AddressRange* range) {
  Dl_info info{};
  if (dladdr(symbol, &info) == 0 || info.dli_fbase == nullptr) return false;
  // dli_fbase is the lowest mapped address; for the usual objects whose first
  // segment has vaddr 0 that equals dlpi_addr, the load bias.
  RangeQuery query{reinterpret_cast<uintptr_t>(info.dli_fbase), range};
  return dl_iterate_phdr(find_executable_range, &query) == 1;
}

// The function holding `symbol` alone (its symbol's extent).
bool function_extent_of(const void* symbol, AddressRange* range) {
  Dl_info info{};
  void* extra = nullptr;
  if (dladdr1(symbol, &info, &extra, RTLD_DL_SYMENT) == 0 || extra == nullptr || info.dli_saddr == nullptr) {
    return false;
  }
  const auto* entry = static_cast<const ElfW(Sym)*>(extra);
  range->begin = reinterpret_cast<uintptr_t>(info.dli_saddr);
  range->end = range->begin + entry->st_size;
  return true;
}

bool use_libunwind() {
  // RTLD_NOLOAD first: a target that has it loaded already shares it.
  void* library = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
  if (library == nullptr) library = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return false;
  auto backtrace_function = reinterpret_cast<BacktraceFunction>(dlsym(library, "unw_backtrace"));
  auto caching_policy = reinterpret_cast<CachingPolicyFunction>(dlsym(library, "_ULx86_64_set_caching_policy"));
  void* local_space = dlsym(library, "_ULx86_64_local_addr_space");
  if (backtrace_function == nullptr || caching_policy == nullptr || local_space == nullptr) return false;
  if (caching_policy(*static_cast<void**>(local_space), kUnwCachePerThread) != 0) return false;
  if (!module_text_of(reinterpret_cast<const void*>(backtrace_function), &unwinder_entry)) return false;
  unwind_backtrace = backtrace_function;
  unwinder_name = "libunwind";
  return true;
}

bool use_glibc_backtrace() {
  if (!function_extent_of(reinterpret_cast<const void*>(&backtrace), &unwinder_entry)) return false;
  unwind_backtrace = backtrace;
  unwinder_name = "glibc backtrace";
  return true;
}

}  // namespace

bool init_stack_capture() {
  if (!module_text_of(reinterpret_cast<const void*>(&capture_native_stack), &agent_text)) return false;
  if (!use_libunwind() && !use_glibc_backtrace()) return false;
  // The first unwind loads what the unwinder needs (libgcc_s for glibc's):
  // here, not inside a hook.
  void* warm_up[4];
  unwind_backtrace(warm_up, 4);
  return true;
}

const char* native_unwinder_name() { return unwinder_name; }

uint32_t capture_native_stack(uintptr_t* frames, uint32_t max_frames) {
  void* raw[kMaxStackFrames + 16];
  int count = unwind_backtrace(raw, static_cast<int>(max_frames + 16 < kMaxStackFrames + 16 ? max_frames + 16
                                                                                            : kMaxStackFrames + 16));
  int first = 0;
  while (first < count) {
    uintptr_t address = reinterpret_cast<uintptr_t>(raw[first]);
    if (!agent_text.contains(address) && !unwinder_entry.contains(address)) break;
    ++first;
  }
  uint32_t written = 0;
  for (int i = first; i < count && written < max_frames; ++i) frames[written++] = reinterpret_cast<uintptr_t>(raw[i]);
  return written;
}

}  // namespace leakspy::agent
