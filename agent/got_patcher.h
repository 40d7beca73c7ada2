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

enum class InstallResult {
  Complete,    // every loaded module is patched
  Incomplete,  // some module is still being loaded by another thread: try again later
  Failed,      // out of memory, or the tables are full
};

// Patches every loaded module not patched yet (except the agent itself), and
// repairs entries the lazy-binding resolver overwrote. Never touches a module
// the loader is still relocating (its RELRO is not in force yet): dlopen may
// be running on another thread. Called at start, after dlopen, and by the
// writer thread while a pass was incomplete.
InstallResult install_got_hooks();
// Writes back every original value. Called at stop.
void remove_got_hooks();
// Forgets modules that are gone. Called after each dlclose.
void forget_unloaded_modules();
PatchStats got_patch_stats();

}  // namespace leakspy::agent
