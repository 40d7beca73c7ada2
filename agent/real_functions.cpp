#include <dlfcn.h>

#include "agent/hook_list.h"

namespace leakspy::agent {

constinit RealFunctions real = {};

const HookEntry kHookTable[kHookedFunctionCount] = {
#define LEAKSPY_ENTRY(name, ret, params) {#name, reinterpret_cast<void*>(&leakspy_hooked_##name)},
    LEAKSPY_HOOKED_FUNCTIONS(LEAKSPY_ENTRY)
#undef LEAKSPY_ENTRY
};

bool resolve_real_functions() {
  // RTLD_DEFAULT, not RTLD_NEXT: the agent does not define these names (it
  // patches GOT entries instead of interposing), so the global scope's
  // definition is the one every module was bound to. Runs before any hook is
  // installed, so dlsym's own allocations are not intercepted.
#define LEAKSPY_RESOLVE(name, ret, params) \
  real.name = reinterpret_cast<ret(*) params>(dlsym(RTLD_DEFAULT, #name));
  LEAKSPY_HOOKED_FUNCTIONS(LEAKSPY_RESOLVE)
#undef LEAKSPY_RESOLVE
  return real.malloc && real.calloc && real.realloc && real.free && real.posix_memalign &&
         real.memalign && real.mmap && real.munmap && real.mremap && real.dlopen && real.dlclose;
}

}  // namespace leakspy::agent
