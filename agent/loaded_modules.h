#pragma once
// What the loader has mapped in the target, asked cheaply: how many modules
// were loaded so far (to notice a dlopen) and where a module of a given name
// lives. Used by the parts that wake up when a library arrives (libcuda for
// CUPTI, libc10_cuda for PyTorch's tensors). dl_iterate_phdr takes the
// loader's lock: agent threads only, never on a hooked path. Never allocates.

#include <cstddef>
#include <cstdint>

namespace leakspy::agent {

// The loader's count of modules loaded so far (dlpi_adds).
uint64_t loaded_module_count();
// Whether `path`'s file name starts with `name` ("libcuda.so").
bool has_library_name(const char* path, const char* name);
// The path of a mapped module whose file name starts with `prefix`, in
// `path` (at most `size` bytes); false, and "", when there is none.
bool mapped_module_path(const char* prefix, char* path, size_t size);

}  // namespace leakspy::agent
