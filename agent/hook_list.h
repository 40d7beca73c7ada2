#pragma once
// The functions leakspy hooks, written once. X(name, return type, (parameters))
// expands into the table of real functions, the wrapper declarations and the
// names the GOT patcher looks for.

#include <dlfcn.h>
#include <spawn.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>

#define LEAKSPY_HOOKED_FUNCTIONS(X)                                              \
  X(malloc, void*, (size_t size))                                                \
  X(calloc, void*, (size_t count, size_t size))                                  \
  X(realloc, void*, (void* pointer, size_t size))                                \
  X(reallocarray, void*, (void* pointer, size_t count, size_t size))             \
  X(free, void, (void* pointer))                                                 \
  X(posix_memalign, int, (void** out, size_t alignment, size_t size))            \
  X(aligned_alloc, void*, (size_t alignment, size_t size))                       \
  X(memalign, void*, (size_t alignment, size_t size))                            \
  X(valloc, void*, (size_t size))                                                \
  X(pvalloc, void*, (size_t size))                                               \
  X(mmap, void*, (void* address, size_t length, int prot, int flags, int fd, off_t offset))   \
  X(mmap64, void*, (void* address, size_t length, int prot, int flags, int fd, off_t offset)) \
  X(munmap, int, (void* address, size_t length))                                 \
  X(mremap, void*, (void* old_address, size_t old_size, size_t new_size, int flags, void* new_address)) \
  X(dlopen, void*, (const char* file, int mode))                                 \
  X(dlclose, int, (void* handle))                                               \
  X(exit, void, (int status))                                                   \
  X(_exit, void, (int status))                                                  \
  X(_Exit, void, (int status))                                                  \
  X(__cxa_atexit, int, (void (*function)(void*), void* argument, void* dso_handle)) \
  X(execve, int, (const char* path, char* const argv[], char* const envp[]))     \
  X(execv, int, (const char* path, char* const argv[]))                          \
  X(execvpe, int, (const char* file, char* const argv[], char* const envp[]))    \
  X(execvp, int, (const char* file, char* const argv[]))                         \
  X(execl, int, (const char* path, const char* arg, ...))                        \
  X(execlp, int, (const char* file, const char* arg, ...))                       \
  X(execle, int, (const char* path, const char* arg, ...))                       \
  X(fexecve, int, (int fd, char* const argv[], char* const envp[]))              \
  X(posix_spawn, int, (pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions, \
                       const posix_spawnattr_t* attributes, char* const argv[], char* const envp[])) \
  X(posix_spawnp, int, (pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions, \
                        const posix_spawnattr_t* attributes, char* const argv[], char* const envp[]))

namespace leakspy::agent {

enum class HookedFunction : int {
#define LEAKSPY_ENUM(name, ret, params) name,
  LEAKSPY_HOOKED_FUNCTIONS(LEAKSPY_ENUM)
#undef LEAKSPY_ENUM
  count
};
inline constexpr int kHookedFunctionCount = static_cast<int>(HookedFunction::count);

// The functions the hooks forward to: what the symbol resolves to in the
// process's global scope (libc's, or a preloaded allocator's).
struct RealFunctions {
#define LEAKSPY_POINTER(name, ret, params) ret(*name) params;
  LEAKSPY_HOOKED_FUNCTIONS(LEAKSPY_POINTER)
#undef LEAKSPY_POINTER
};
extern RealFunctions real;

// Looks every function up once; false if one the hooks need is missing.
[[nodiscard]] bool resolve_real_functions();
// The real function of HookedFunction `index`; nullptr when it was not found.
void* real_function(int index);

}  // namespace leakspy::agent

// The wrappers the GOT entries are pointed at: leakspy_hooked_<name>, with C
// linkage so that dlopen's can be written in assembly (dlopen_trampoline.S).
#define LEAKSPY_DECLARE_WRAPPER(name, ret, params) extern "C" ret leakspy_hooked_##name params;
LEAKSPY_HOOKED_FUNCTIONS(LEAKSPY_DECLARE_WRAPPER)
#undef LEAKSPY_DECLARE_WRAPPER

namespace leakspy::agent {

struct HookEntry {
  const char* name;
  void* wrapper;
};
// Indexed by HookedFunction.
extern const HookEntry kHookTable[kHookedFunctionCount];

}  // namespace leakspy::agent
