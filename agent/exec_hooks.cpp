#include "agent/exec_hooks.h"

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>

#include "agent/child_announcer.h"
#include "agent/exec_environment.h"
#include "agent/hook_list.h"
#include "agent/session.h"

namespace leakspy::agent {

namespace {

constinit char agent_path[PATH_MAX] = {};

// The environment to start a program with: `environment` with the agent's
// variables while a session runs, else nullptr (start it with `environment`).
char** environment_for(char* const* environment) {
  char recorded_pid[kDecimalDigitsMax + 1];
  const char* recorder = remembered_recorder_address();
  if (agent_path[0] == '\0' || recorder[0] == '\0' || !recorded_pid_text(recorded_pid)) return nullptr;
  return make_exec_environment(environment, {agent_path, recorder, recorded_pid});
}

// Calls `start` with the environment to use, and keeps errno across the release.
template <typename Start>
int start_program(char* const* environment, Start&& start) {
  char** made = environment_for(environment);
  int result = start(made != nullptr ? made : environment);
  int saved = errno;
  release_exec_environment(made);
  errno = saved;
  return result;
}

int exec_path(const char* path, char* const argv[], char* const environment[]) {
  return start_program(environment, [&](char* const* used) { return real.execve(path, argv, used); });
}

// execvp's search of PATH, through execvpe when the C library has it.
int exec_search(const char* file, char* const argv[], char* const environment[]) {
  if (real.execvpe == nullptr) return real.execvp(file, argv);
  return start_program(environment, [&](char* const* used) { return real.execvpe(file, argv, used); });
}

// execl's arguments after the first, up to the NULL that ends them.
size_t count_listed(va_list& arguments) {
  size_t count = 0;
  while (va_arg(arguments, const char*) != nullptr) ++count;
  return count;
}

void fill_listed(char** argv, const char* first, va_list& arguments) {
  size_t next = 0;
  argv[next++] = const_cast<char*>(first);
  while (const char* argument = va_arg(arguments, const char*)) argv[next++] = const_cast<char*>(argument);
  argv[next] = nullptr;
}

}  // namespace

void remember_agent_path() {
  Dl_info self{};
  if (dladdr(reinterpret_cast<void*>(&remember_agent_path), &self) == 0 || self.dli_fname == nullptr) return;
  // Absolute: the program may change directory before it execs.
  if (realpath(self.dli_fname, agent_path) == nullptr) agent_path[0] = '\0';
}

}  // namespace leakspy::agent

namespace agent = leakspy::agent;

extern "C" int leakspy_hooked_execve(const char* path, char* const argv[], char* const envp[]) {
  return agent::exec_path(path, argv, envp);
}

extern "C" int leakspy_hooked_execv(const char* path, char* const argv[]) {
  return agent::exec_path(path, argv, environ);
}

extern "C" int leakspy_hooked_execvpe(const char* file, char* const argv[], char* const envp[]) {
  return agent::exec_search(file, argv, envp);
}

extern "C" int leakspy_hooked_execvp(const char* file, char* const argv[]) {
  return agent::exec_search(file, argv, environ);
}

extern "C" int leakspy_hooked_fexecve(int fd, char* const argv[], char* const envp[]) {
  return agent::start_program(envp, [&](char* const* used) { return agent::real.fexecve(fd, argv, used); });
}

// The list forms: their argv lives on this frame's stack (alloca), as glibc's own.
#define LEAKSPY_COLLECT_LIST(first, argv)                                             \
  va_list counting;                                                                   \
  va_start(counting, first);                                                          \
  size_t listed = agent::count_listed(counting);                                      \
  va_end(counting);                                                                   \
  auto** argv = static_cast<char**>(__builtin_alloca((listed + 2) * sizeof(char*)));  \
  va_list arguments;                                                                  \
  va_start(arguments, first);                                                         \
  agent::fill_listed(argv, first, arguments)

extern "C" int leakspy_hooked_execl(const char* path, const char* arg, ...) {
  LEAKSPY_COLLECT_LIST(arg, argv);
  va_end(arguments);
  return agent::exec_path(path, argv, environ);
}

extern "C" int leakspy_hooked_execlp(const char* file, const char* arg, ...) {
  LEAKSPY_COLLECT_LIST(arg, argv);
  va_end(arguments);
  return agent::exec_search(file, argv, environ);
}

extern "C" int leakspy_hooked_execle(const char* path, const char* arg, ...) {
  LEAKSPY_COLLECT_LIST(arg, argv);
  char* const* envp = va_arg(arguments, char* const*);
  va_end(arguments);
  return agent::exec_path(path, argv, envp);
}

#undef LEAKSPY_COLLECT_LIST

// posix_spawn returns its error rather than setting errno.
extern "C" int leakspy_hooked_posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                                          const posix_spawnattr_t* attributes, char* const argv[], char* const envp[]) {
  return agent::start_program(envp, [&](char* const* used) {
    return agent::real.posix_spawn(pid, path, actions, attributes, argv, used);
  });
}

extern "C" int leakspy_hooked_posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                                           const posix_spawnattr_t* attributes, char* const argv[], char* const envp[]) {
  return agent::start_program(envp, [&](char* const* used) {
    return agent::real.posix_spawnp(pid, file, actions, attributes, argv, used);
  });
}
