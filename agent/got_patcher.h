#pragma once
// Installs the hooks by rewriting GOT entries: for every loaded module, each
// JUMP_SLOT or GLOB_DAT relocation that names a hooked function gets the
// wrapper's address; the original value is kept and written back at removal.
// The same path serves `leakspy run` (LD_PRELOAD) and attach (dlopen'ed agent),
// because in a running process there is no symbol interposition to rely on.
//
// All reading and writing of a module's GOT happens inside a dl_iterate_phdr
// callback: glibc holds its module-list lock there, so a concurrent dlclose
// cannot unmap the module under the write.
//
// Thread-safe (one internal recursive mutex). Never allocates through the hooks.

#include <cstdint>

namespace leakspy::agent {

struct PatchStats {
  uint32_t modules = 0;  // modules with at least one patched entry
  uint32_t slots = 0;    // GOT entries pointing at wrappers
};

// Patches every loaded module not patched yet (except the agent itself).
// Called at start and after each dlopen. False if the tables are full.
bool install_got_hooks();
// Writes back every original value. Called at stop.
void remove_got_hooks();
// Forgets modules that are gone. Called after each dlclose.
void forget_unloaded_modules();
PatchStats got_patch_stats();

}  // namespace leakspy::agent
