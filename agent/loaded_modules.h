#pragma once
// What the loader has mapped in the target, asked cheaply: its counts of
// modules loaded and unloaded so far (the writer reads them once a cycle and
// hands them to everything that notices a dlopen: the module reporter,
// libcuda for CUPTI, libc10_cuda for PyTorch's tensors) and where a module
// of a given name lives. dl_iterate_phdr takes the loader's lock: agent
// threads only, never on a hooked path. Never allocates.

#include <cstddef>
#include <cstdint>

namespace leakspy::agent {

struct LoadCounters {
  uint64_t adds = 0;  // dlpi_adds: modules loaded so far
  uint64_t subs = 0;  // dlpi_subs: modules unloaded so far
};
LoadCounters read_load_counters();
// Whether `path`'s file name starts with `name` ("libcuda.so").
bool has_library_name(const char* path, const char* name);
// The path of a mapped module whose file name starts with `prefix`, in
// `path` (at most `size` bytes); false, and "", when there is none.
bool mapped_module_path(const char* prefix, char* path, size_t size);

}  // namespace leakspy::agent
