#include "attach/injector.h"

#include <dlfcn.h>
#include <sys/resource.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "attach/elf_symbols.h"
#include "attach/process_maps.h"
#include "attach/process_tracer.h"
#include "attach/remote_call.h"
#include "attach/safe_point.h"
#include "capture/wire.h"
#include "common/error.h"

namespace leakspy::attach {

namespace {

constexpr int kSafePointAttempts = 50;
// How long a call into the target may take before leakspy says why it waits
// (it never abandons one: remote_call.h).
constexpr auto kDlopenPatience = std::chrono::seconds(10);
constexpr auto kStartPatience = std::chrono::seconds(5);
constexpr const char* kStartFunction = wire::kAgentStartFunction;
constexpr uint64_t kGlibcDlopenInternalFlag = 0x80000000;  // __RTLD_DLOPEN, for __libc_dlopen_mode

// While the target is stopped, leakspy's own work is all that keeps it from
// running again. On a machine whose CPUs the target's other processes keep
// busy (DataLoader workers, gunicorn's other workers), leakspy would wait
// for a CPU behind each of them: it takes the highest priority it may
// (nice -20 as root; nothing changes otherwise) until the calls are done.
class UrgentWhileStopped {
 public:
  UrgentWhileStopped() {
    errno = 0;
    old_ = getpriority(PRIO_PROCESS, 0);
    raised_ = errno == 0 && setpriority(PRIO_PROCESS, 0, -20) == 0;
  }
  ~UrgentWhileStopped() {
    if (raised_) setpriority(PRIO_PROCESS, 0, old_);
  }
  UrgentWhileStopped(const UrgentWhileStopped&) = delete;
  UrgentWhileStopped& operator=(const UrgentWhileStopped&) = delete;

 private:
  int old_ = 0;
  bool raised_ = false;
};

// Says, once, why leakspy still waits for a call into the target.
std::function<void()> overdue_notice(pid_t pid, pid_t thread, const char* call, std::chrono::seconds patience) {
  return [=] {
    std::fprintf(stderr,
                 "leakspy: thread %d of process %d has been in %s for %llds; waiting for it to return (a thread left "
                 "inside the call would crash its process)\n",
                 static_cast<int>(thread), static_cast<int>(pid), call, static_cast<long long>(patience.count()));
  };
}

struct TargetFunction {
  uintptr_t address = 0;
  uint64_t extra_flags = 0;
};

// glibc's files: libc.so.6 and libdl.so.2 since 2.34; before, libc-2.NN.so
// and libdl-2.NN.so, which the .so.N names only link to.
using LibraryNames = std::array<const char*, 2>;
constexpr LibraryNames kLibc = {"libc.so.6", "libc-2."};
constexpr LibraryNames kLibdl = {"libdl.so", "libdl-2."};

std::optional<MappedFile> find_library(const std::vector<Mapping>& maps, const LibraryNames& names) {
  for (const char* name : names) {
    if (std::optional<MappedFile> file = find_mapped_file(maps, name)) return file;
  }
  return std::nullopt;
}

// Through the symbols read before the stop (libc and libdl are runtime
// libraries): a lookup parses no ELF file while the target waits.
std::optional<uintptr_t> find_function(RuntimeSymbols& symbols, const std::vector<Mapping>& maps,
                                       const LibraryNames& library, const std::string& name) {
  std::optional<MappedFile> file = find_library(maps, library);
  if (!file) return std::nullopt;
  const ElfSymbols* table = symbols.of(*file);
  std::optional<ElfSymbol> symbol = table != nullptr ? table->find(name) : std::nullopt;
  if (!symbol) return std::nullopt;
  return file->bias + symbol->value;
}

// dlopen lives in libc since glibc 2.34, in libdl before (when the program
// linked it); older libcs without either still have __libc_dlopen_mode.
TargetFunction find_dlopen(RuntimeSymbols& symbols, pid_t pid, const std::vector<Mapping>& maps) {
  if (auto address = find_function(symbols, maps, kLibc, "dlopen")) return {*address, 0};
  if (auto address = find_function(symbols, maps, kLibdl, "dlopen")) return {*address, 0};
  if (auto address = find_function(symbols, maps, kLibc, "__libc_dlopen_mode")) {
    return {*address, kGlibcDlopenInternalFlag};
  }
  if (!find_library(maps, kLibc)) {
    throw Error(ErrorKind::UnsupportedTarget, "process " + std::to_string(pid) +
                                                  " has no glibc (libc.so.6) mapped: leakspy attaches to dynamically "
                                                  "linked glibc programs only; record static ones with leakspy run");
  }
  throw Error(ErrorKind::UnsupportedTarget, "found no dlopen in the libc of process " + std::to_string(pid));
}

std::string explain_dlopen_failure(const std::string& reason) {
  if (reason.find("static TLS") != std::string::npos) {
    return "the target could not load leakspy's agent: " + reason +
           ". Its libraries used up the static TLS reserve; restart it once with "
           "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096, or record it with leakspy run";
  }
  return "the target could not load leakspy's agent: " + reason +
         " (the agent needs glibc 2.17 or newer, with libdl.so.2 and libpthread.so.0, in the target's file system)";
}

// Calls dlopen(agent) on `thread` and returns what dlerror said on failure.
std::optional<std::string> load_agent(ProcessTracer& tracer, pid_t thread, RuntimeSymbols& symbols,
                                      const std::vector<Mapping>& maps, const TargetFunction& dlopen_function,
                                      const std::string& agent_path) {
  uint64_t handle = call_in_target(tracer, thread, dlopen_function.address,
                                   {agent_path, uint64_t{RTLD_NOW} | dlopen_function.extra_flags}, kDlopenPatience,
                                   overdue_notice(tracer.pid(), thread, "dlopen of leakspy's agent", kDlopenPatience));
  if (handle != 0) return std::nullopt;
  std::optional<uintptr_t> dlerror_function = find_function(symbols, maps, kLibc, "dlerror");
  if (!dlerror_function) dlerror_function = find_function(symbols, maps, kLibdl, "dlerror");
  if (!dlerror_function) return "dlopen failed and said nothing";
  uint64_t message = call_in_target(tracer, thread, *dlerror_function, {}, kStartPatience,
                                    overdue_notice(tracer.pid(), thread, "dlerror", kStartPatience));
  return message == 0 ? "dlopen failed and said nothing" : read_target_string(tracer, message, 1024);
}

}  // namespace

InjectionResult inject_agent(pid_t pid, const std::string& agent_path, const std::string& socket_path) {
  InjectionResult result;
  // What can be read while the target runs is read before it is stopped:
  // its mappings (thousands of lines in a PyTorch process) and the symbols
  // of its runtime libraries, which the safe-point rule needs.
  std::vector<Mapping> maps = read_maps(pid);
  std::optional<MappedFile> agent = find_mapped_file(maps, wire::kAgentFileStem);
  result.reused_agent = agent.has_value();
  RuntimeSymbols runtime_symbols(pid, maps);
  std::optional<TargetFunction> dlopen_function;
  if (!agent) dlopen_function = find_dlopen(runtime_symbols, pid, maps);
  UrgentWhileStopped urgent;

  auto began = std::chrono::steady_clock::now();
  ProcessTracer tracer(pid);
  pid_t thread = SafePointFinder(tracer, maps, runtime_symbols).find(kSafePointAttempts);
  // Threads still stopped could hold a lock the calls need: let them go.
  tracer.release_all_but(thread);
  result.calling_thread = thread;

  if (!agent) {
    if (std::optional<std::string> failure = load_agent(tracer, thread, runtime_symbols, maps, *dlopen_function, agent_path)) {
      throw Error(ErrorKind::AgentFailed, explain_dlopen_failure(*failure));
    }
    // By file name: maps shows the path from leakspy's root, which differs
    // from `agent_path` for a target in a container.
    agent = find_mapped_file(read_maps(pid), wire::kAgentFileStem);
    if (!agent) throw Error(ErrorKind::AgentFailed, "dlopen succeeded but the agent is not mapped in the target");
  }
  std::optional<ElfSymbol> start = ElfSymbols(openable_path(pid, *agent)).find(kStartFunction);
  if (!start) {
    throw Error(ErrorKind::AgentFailed, agent->path + " in the target has no " + kStartFunction +
                                            ": it is not leakspy's agent, or from an incompatible version");
  }
  uint64_t started = call_in_target(tracer, thread, agent->bias + start->value, {socket_path}, kStartPatience,
                                    overdue_notice(pid, thread, kStartFunction, kStartPatience));
  result.stopped_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  if (started == static_cast<uint64_t>(wire::StartResult::AlreadyRecording)) {
    throw Error(ErrorKind::AlreadyRecording, "process " + std::to_string(pid) +
                                                 " is already being recorded by another leakspy; stop that recording "
                                                 "first (Ctrl-C where it runs) and retry");
  }
  if (started != 0) {
    throw Error(ErrorKind::AgentFailed, "leakspy's agent could not initialize inside process " + std::to_string(pid) +
                                            " (start result " + std::to_string(started) +
                                            "); run with LEAKSPY_AGENT_DEBUG=1 in the target for details");
  }
  return result;
}

}  // namespace leakspy::attach
