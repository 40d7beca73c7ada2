#include "agent/cuda/cupti_library.h"

#include <dlfcn.h>
#include <link.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "agent/loaded_modules.h"

namespace leakspy::agent::cuda {

namespace {

constexpr const char* kVersionSuffixes[] = {"", ".13", ".12", ".11"};

struct ModuleScan {
  CodeRange* ranges;
  uint32_t max;
  uint32_t count;
  bool driver;
};

int scan_cuda_modules(dl_phdr_info* info, size_t, void* data) {
  auto* scan = static_cast<ModuleScan*>(data);
  const char* name = info->dlpi_name;
  if (name == nullptr || name[0] == '\0') return 0;
  bool driver = has_library_name(name, "libcuda.so");
  if (!driver && !has_library_name(name, "libcupti.so") && !has_library_name(name, "libcudart.so")) return 0;
  scan->driver = scan->driver || driver;
  for (int i = 0; i < info->dlpi_phnum && scan->count < scan->max; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type != PT_LOAD || (phdr.p_flags & PF_X) == 0) continue;
    uintptr_t begin = info->dlpi_addr + phdr.p_vaddr;
    scan->ranges[scan->count++] = CodeRange{begin, begin + phdr.p_memsz};
  }
  return 0;
}

template <typename Function>
bool bind(void* handle, const char* name, Function** out) {
  *out = reinterpret_cast<Function*>(dlsym(handle, name));
  return *out != nullptr;
}

bool bind_library(void* handle, const char* path, CuptiLibrary* library, char* why, size_t why_size) {
  bool complete = bind(handle, "cuptiSubscribe", &library->subscribe) &&
                  bind(handle, "cuptiUnsubscribe", &library->unsubscribe) &&
                  bind(handle, "cuptiEnableCallback", &library->enable_callback) &&
                  bind(handle, "cuptiGetDeviceId", &library->get_device_id) &&
                  bind(handle, "cuptiGetResultString", &library->get_result_string);
  bind(handle, "cuptiSubscribe_v2", &library->subscribe_v2);  // optional
  if (!complete) {
    std::snprintf(why, why_size, "%s lacks a CUPTI callback function", path);
    return false;
  }
  std::snprintf(library->path, sizeof(library->path), "%s", path);
  return true;
}

bool try_open(const char* path, int extra_flags, CuptiLibrary* library, char* why, size_t why_size) {
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | extra_flags);
  if (handle == nullptr) return false;
  // Never dlclose'd: a library that CUPTI loaded may keep callbacks into it.
  Dl_info info{};
  const char* loaded = path;
  void* probe = dlsym(handle, "cuptiSubscribe");
  if (probe != nullptr && dladdr(probe, &info) != 0 && info.dli_fname != nullptr) loaded = info.dli_fname;
  return bind_library(handle, loaded, library, why, why_size);
}

// libcupti.so, .so.13, ... in `directory`.
bool try_directory(const char* directory, CuptiLibrary* library, char* why, size_t why_size) {
  for (const char* suffix : kVersionSuffixes) {
    char path[512];
    int length = std::snprintf(path, sizeof(path), "%s/libcupti.so%s", directory, suffix);
    if (length > 0 && static_cast<size_t>(length) < sizeof(path) && try_open(path, 0, library, why, why_size)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool find_cuda_modules(CodeRange* ranges, uint32_t max, uint32_t* count) {
  ModuleScan scan{ranges, max, 0, false};
  dl_iterate_phdr(scan_cuda_modules, &scan);
  *count = scan.count;
  return scan.driver;
}

bool load_cupti(CuptiLibrary* library, char* why, size_t why_size) {
  std::snprintf(why, why_size, "no libcupti.so found (set LEAKSPY_CUPTI to its path in the target's environment)");
  char path[256];
  if (mapped_module_path("libcupti.so", path, sizeof(path)) && try_open(path, RTLD_NOLOAD, library, why, why_size)) {
    return true;
  }
  if (const char* chosen = std::getenv("LEAKSPY_CUPTI"); chosen != nullptr && chosen[0] != '\0') {
    if (try_open(chosen, 0, library, why, why_size)) return true;
    std::snprintf(why, why_size, "LEAKSPY_CUPTI=%s could not be loaded: %s", chosen, dlerror());
    return false;
  }
  // Next to the program's CUDA runtime: the toolkit's lib64, a conda lib/,
  // or pip's nvidia/cuda_runtime/lib beside nvidia/cuda_cupti/lib.
  if (mapped_module_path("libcudart.so", path, sizeof(path))) {
    if (char* slash = std::strrchr(path, '/')) {
      *slash = '\0';
      if (try_directory(path, library, why, why_size)) return true;
      char sibling[512];
      std::snprintf(sibling, sizeof(sibling), "%s/../../cuda_cupti/lib", path);
      if (try_directory(sibling, library, why, why_size)) return true;
      std::snprintf(sibling, sizeof(sibling), "%s/../extras/CUPTI/lib64", path);
      if (try_directory(sibling, library, why, why_size)) return true;
    }
  }
  for (const char* suffix : kVersionSuffixes) {
    char name[64];
    std::snprintf(name, sizeof(name), "libcupti.so%s", suffix);
    if (try_open(name, 0, library, why, why_size)) return true;
  }
  for (const char* directory : {"/usr/local/cuda/extras/CUPTI/lib64", "/usr/local/cuda/lib64", "/usr/local/cuda/lib",
                                "/usr/lib/x86_64-linux-gnu"}) {
    if (try_directory(directory, library, why, why_size)) return true;
  }
  return false;
}

}  // namespace leakspy::agent::cuda
