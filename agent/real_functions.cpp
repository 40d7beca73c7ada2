#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <cstring>

#include "agent/hook_list.h"

namespace leakspy::agent {

constinit RealFunctions real = {};

const HookEntry kHookTable[kHookedFunctionCount] = {
#define LEAKSPY_ENTRY(name, ret, params) {#name, reinterpret_cast<void*>(&leakspy_hooked_##name)},
    LEAKSPY_HOOKED_FUNCTIONS(LEAKSPY_ENTRY)
#undef LEAKSPY_ENTRY
};

namespace {

// Is `address` the code of a function, rather than a canonical PLT entry? A
// non-PIE program that takes a function's address exports an *undefined*
// symbol with the address of its own PLT stub (for pointer equality), and
// dlsym returns that stub. Calling it jumps through the program's GOT entry,
// which leakspy patches: the hook would call itself.
bool is_definition(void* address) {
  if (address == nullptr) return false;
  Dl_info info{};
  void* entry = nullptr;
  if (dladdr1(address, &info, &entry, RTLD_DL_SYMENT) == 0 || entry == nullptr) return true;
  return static_cast<const ElfW(Sym)*>(entry)->st_shndx != SHN_UNDEF;
}

constexpr int kMaxModules = 512;
struct ModuleNames {
  const char* names[kMaxModules];
  int count;
  uintptr_t skip_bias;  // the agent
};

int collect_module(dl_phdr_info* info, size_t, void* data) {
  auto* modules = static_cast<ModuleNames*>(data);
  if (info->dlpi_name == nullptr || info->dlpi_name[0] == '\0') return 0;  // the program itself
  if (info->dlpi_addr == modules->skip_bias || std::strncmp(info->dlpi_name, "linux-vdso", 10) == 0) return 0;
  if (modules->count < kMaxModules) modules->names[modules->count++] = info->dlpi_name;
  return 0;
}

// The first real definition of `name` in lookup order: the global scope, or
// failing that each module in load order (a preloaded allocator comes before
// libc). Runs before any hook is installed, so dlopen/dlsym are the real ones.
void* resolve(const char* name) {
  void* found = dlsym(RTLD_DEFAULT, name);
  if (is_definition(found)) return found;
  ModuleNames modules{};
  Dl_info self{};
  if (dladdr(reinterpret_cast<void*>(&resolve_real_functions), &self) != 0) {
    modules.skip_bias = reinterpret_cast<uintptr_t>(self.dli_fbase);
  }
  dl_iterate_phdr(collect_module, &modules);  // dlopen is not called inside the callback
  for (int i = 0; i < modules.count; ++i) {
    void* handle = dlopen(modules.names[i], RTLD_LAZY | RTLD_NOLOAD);
    if (handle == nullptr) continue;
    found = dlsym(handle, name);
    dlclose(handle);  // balances RTLD_NOLOAD's reference
    if (is_definition(found)) return found;
  }
  return nullptr;
}

}  // namespace

bool resolve_real_functions() {
#define LEAKSPY_RESOLVE(name, ret, params) real.name = reinterpret_cast<ret(*) params>(resolve(#name));
  LEAKSPY_HOOKED_FUNCTIONS(LEAKSPY_RESOLVE)
#undef LEAKSPY_RESOLVE
  return real.malloc && real.calloc && real.realloc && real.free && real.posix_memalign &&
         real.memalign && real.mmap && real.munmap && real.mremap && real.dlopen && real.dlclose;
}

void* real_function(int index) {
  switch (static_cast<HookedFunction>(index)) {
#define LEAKSPY_REAL(name, ret, params) \
  case HookedFunction::name:            \
    return reinterpret_cast<void*>(real.name);
    LEAKSPY_HOOKED_FUNCTIONS(LEAKSPY_REAL)
#undef LEAKSPY_REAL
    case HookedFunction::count: break;
  }
  return nullptr;
}

}  // namespace leakspy::agent
