#pragma once
// Chooses the thread that will run leakspy's calls into the target (dlopen,
// then the agent's start function). Such a call takes the allocator's and the
// dynamic loader's locks; if the chosen thread was stopped while holding one,
// the call waits for itself forever. So a thread is safe only when no frame of
// its stack (unwound remotely with libunwind-ptrace) lies in the dynamic
// loader or in an allocator, loader, fork or exit function of libc and its
// peers. Threads blocked in a system call are tried first: they are the
// likeliest to be between such calls. When no thread is safe, every thread
// runs for a few milliseconds and the choice is made again. Before that, a
// thread caught inside such a function is single-stepped until it returns
// to its first safe caller (never into a system call; the steps of one
// attempt share 20 ms) (a tight malloc/free loop spends nearly all its
// time inside them, and would rarely be caught outside). See "Attach" in
// docs/design.md. Offline side; allocates; throws Error.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attach/elf_symbols.h"
#include "attach/process_maps.h"
#include "attach/process_tracer.h"

namespace leakspy::attach {

// The symbols of a process's libraries, read once and kept by path; made
// before the process is stopped, so that reading them costs no stopped time.
class RuntimeSymbols {
 public:
  // Reads the symbols of the runtime libraries (libc and its peers, the
  // loader) mapped in `maps` at once; others when first asked for.
  RuntimeSymbols(pid_t pid, const std::vector<Mapping>& maps);
  // Null when unreadable (frames there are judged by their module alone).
  const ElfSymbols* of(const MappedFile& file);

 private:
  pid_t pid_;
  std::map<std::string, std::unique_ptr<ElfSymbols>> by_path_;
};

class SafePointFinder {
 public:
  // Reads the target's mappings and symbols itself, while it is stopped.
  explicit SafePointFinder(ProcessTracer& tracer);
  // With mappings and symbols read before the target was stopped.
  SafePointFinder(ProcessTracer& tracer, std::vector<Mapping> maps, RuntimeSymbols& symbols);
  ~SafePointFinder();
  SafePointFinder(const SafePointFinder&) = delete;
  SafePointFinder& operator=(const SafePointFinder&) = delete;

  // A stopped thread in which a call is safe, trying again up to `attempts`
  // times with the threads let run in between. Throws Error(UnsupportedTarget)
  // naming the frame that kept the last thread unsafe.
  pid_t find(int attempts);

  struct Unsafe {
    std::string reason;       // "in malloc (libc.so.6)"
    uintptr_t safe_return = 0;  // where the outermost unsafe frame returns to; 0: unknown
  };
  // Why a call in `tid` is unsafe now, or nothing.
  std::optional<Unsafe> unsafe_frame(pid_t tid);

 private:
  // Single-steps `tid` to where its outermost unsafe frame returns; true if
  // it got there and is safe then.
  bool step_out(pid_t tid, const Unsafe& unsafe, std::chrono::milliseconds timeout);
  struct Frame {
    uintptr_t ip = 0;       // as unwound: a return address, but for the innermost frame
    uintptr_t address = 0;  // inside the call: ip, or ip - 1 for return addresses
  };
  std::vector<Frame> unwind(pid_t tid);
  // Why a frame at `address` is unsafe, or nothing. `unnamed_is_unsafe`: a
  // function without a name there may hold the runtime's locks.
  std::optional<std::string> unsafe_address(uintptr_t address, bool unnamed_is_unsafe);
  // The function holding `address` in `mapping`'s file, or "" when unnamed.
  std::string function_at(const Mapping& mapping, uintptr_t address);

  ProcessTracer& tracer_;
  std::vector<Mapping> maps_;
  std::unique_ptr<RuntimeSymbols> own_symbols_;  // when made without
  RuntimeSymbols& symbols_;
  void* address_space_ = nullptr;  // libunwind's unw_addr_space_t
};

// Whether a function of that name may hold the allocator's or the loader's
// locks (malloc, free, _dl_*, fork, exit, ...).
bool is_unsafe_function(const std::string& name);

}  // namespace leakspy::attach
