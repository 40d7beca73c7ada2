#include "attach/safe_point.h"

#include <libunwind-ptrace.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "attach/call_target.h"
#include "common/error.h"

namespace leakspy::attach {

namespace {

constexpr int kMaxFrames = 128;
constexpr auto kRunBetweenAttempts = std::chrono::milliseconds(10);
// Stepping out of malloc or free takes tens to hundreds of instructions; a
// thread that needs more (waiting for a lock another stopped thread holds)
// is left for the next attempt.
constexpr int kMaxSteps = 20000;
// All threads are stopped while one is stepped: the steps of one attempt
// share this much time, so that a stop stays short however many threads
// are caught inside the allocator (the threads then run between attempts).
constexpr auto kStepBudget = std::chrono::milliseconds(20);

std::string file_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

bool is_dynamic_loader(const std::string& path) {
  std::string name = file_name(path);
  return starts_with(name, "ld-linux") || starts_with(name, "ld-2.") || starts_with(name, "ld64.so");
}

// Libraries whose functions may hold the locks of the allocator or the
// loader: the C library and its split-off parts, the unwinder, and any
// allocator library (jemalloc, tcmalloc, mimalloc). Frames elsewhere (the
// program, Python, PyTorch) cannot hold those locks without a frame in one
// of these below them.
bool may_hold_runtime_locks(const std::string& path) {
  std::string name = file_name(path);
  for (std::string_view prefix : {"libc.so", "libc-", "libpthread", "libdl", "libgcc_s"}) {
    if (starts_with(name, prefix)) return true;
  }
  // Allocator libraries (libjemalloc, libtcmalloc, libmimalloc), not any
  // file with "malloc" in its name.
  return starts_with(name, "lib") && name.find("malloc") != std::string::npos;
}

bool is_runtime_library(const std::string& path) { return may_hold_runtime_locks(path) || is_dynamic_loader(path); }

void* remote_address_space() {
  unw_addr_space_t space = unw_create_addr_space(&_UPT_accessors, 0);
  if (space == nullptr) throw Error(ErrorKind::Internal, "libunwind could not create a remote address space");
  unw_set_caching_policy(space, UNW_CACHE_GLOBAL);
  return space;
}

bool is_blocked_in_system_call(const user_regs_struct& registers) {
  return static_cast<long long>(registers.orig_rax) >= 0;
}

}  // namespace

bool is_unsafe_function(const std::string& name) {
  static constexpr std::array<std::string_view, 20> kFragments = {
      "alloc",  "free",    "_int_",  "arena",  "tcache", "morecore",       "sbrk",       "dl_",    "dlopen", "dlmopen",
      "dlclose", "dlsym", "dlvsym", "dladdr", "dlinfo", "dlerror", "fork", "exit", "pthread_create", "Unwind_Find"};
  return std::any_of(kFragments.begin(), kFragments.end(),
                     [&](std::string_view fragment) { return name.find(fragment) != std::string::npos; });
}

RuntimeSymbols::RuntimeSymbols(pid_t pid, const std::vector<Mapping>& maps) : pid_(pid) {
  for (const Mapping& mapping : maps) {
    if (mapping.path.empty() || mapping.path[0] != '/' || !is_runtime_library(mapping.path)) continue;
    if (std::optional<MappedFile> file = find_mapped_path(maps, mapping.path)) of(*file);
  }
}

const ElfSymbols* RuntimeSymbols::of(const MappedFile& file) {
  auto found = by_path_.find(file.path);
  if (found != by_path_.end()) return found->second.get();
  std::unique_ptr<ElfSymbols> symbols;
  try {
    symbols = std::make_unique<ElfSymbols>(openable_path(pid_, file));
  } catch (const Error&) {
    // Unreadable: frames there are judged by their module alone.
  }
  return (by_path_[file.path] = std::move(symbols)).get();
}

SafePointFinder::SafePointFinder(ProcessTracer& tracer)
    : tracer_(tracer),
      maps_(read_maps(tracer.pid())),
      own_symbols_(std::make_unique<RuntimeSymbols>(tracer.pid(), maps_)),
      symbols_(*own_symbols_),
      address_space_(remote_address_space()) {}

SafePointFinder::SafePointFinder(ProcessTracer& tracer, std::vector<Mapping> maps, RuntimeSymbols& symbols)
    : tracer_(tracer), maps_(std::move(maps)), symbols_(symbols), address_space_(remote_address_space()) {}

SafePointFinder::~SafePointFinder() { unw_destroy_addr_space(static_cast<unw_addr_space_t>(address_space_)); }

std::string SafePointFinder::function_at(const Mapping& mapping, uintptr_t address) {
  std::optional<MappedFile> file = find_mapped_path(maps_, mapping.path);
  if (!file) return "";
  const ElfSymbols* symbols = symbols_.of(*file);
  return symbols == nullptr ? "" : symbols->function_at(address - file->bias);
}

std::vector<SafePointFinder::Frame> SafePointFinder::unwind(pid_t tid) {
  std::vector<Frame> frames;
  void* context = _UPT_create(tid);
  if (context == nullptr) throw Error(ErrorKind::Internal, "libunwind could not attach to thread " + std::to_string(tid));
  unw_cursor_t cursor;
  if (unw_init_remote(&cursor, static_cast<unw_addr_space_t>(address_space_), context) == 0) {
    for (int depth = 0; depth < kMaxFrames; ++depth) {
      unw_word_t ip = 0;
      if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0) break;
      // Return addresses point after the call: look one byte back.
      frames.push_back(Frame{ip, depth == 0 ? ip : ip - 1});
      if (unw_step(&cursor) <= 0) break;
    }
  }
  _UPT_destroy(context);
  if (frames.empty()) {
    uintptr_t ip = tracer_.registers(tid).rip;
    frames.push_back(Frame{ip, ip});
  }
  return frames;
}

std::optional<SafePointFinder::Unsafe> SafePointFinder::unsafe_frame(pid_t tid) {
  if (maps_.empty()) maps_ = read_maps(tracer_.pid());
  std::vector<Frame> frames = unwind(tid);
  // The innermost run of runtime frames is the call the thread is in now.
  // Its entry, the function the program called, is exported and so named
  // even in a stripped libc; unnamed internals below it share its verdict
  // (pthread_join's futex wait is as safe as pthread_join). The entry is
  // read from the program's call instruction, since it may have tail-called
  // away its own frame, else taken from the outermost frame of the run. With
  // no name for it, nothing is known of the internals: unsafe.
  size_t innermost_run = 0;
  while (innermost_run < frames.size()) {
    const Mapping* mapping = mapping_at(maps_, frames[innermost_run].address);
    if (mapping == nullptr || !is_runtime_library(mapping->path)) break;
    ++innermost_run;
  }
  std::string entry;
  const Mapping* entry_file = nullptr;
  if (innermost_run > 0 && innermost_run < frames.size()) {
    if (std::optional<uintptr_t> called = called_function(tracer_, frames[innermost_run].ip)) {
      entry_file = mapping_at(maps_, *called);
      if (entry_file != nullptr && is_runtime_library(entry_file->path)) entry = function_at(*entry_file, *called);
    }
    if (entry.empty()) {
      entry_file = mapping_at(maps_, frames[innermost_run - 1].address);
      entry = function_at(*entry_file, frames[innermost_run - 1].address);
    }
  }

  std::optional<Unsafe> unsafe;
  if (!entry.empty() && is_unsafe_function(entry)) {
    unsafe = Unsafe{"in " + entry + " (" + file_name(entry_file->path) + ")", frames[innermost_run].ip};
  }
  for (size_t depth = unsafe ? innermost_run : 0; depth < frames.size(); ++depth) {
    std::optional<std::string> reason = unsafe_address(frames[depth].address, depth < innermost_run && entry.empty());
    if (reason) {
      if (!unsafe) unsafe = Unsafe{*reason, 0};
      // Where the outermost unsafe frame so far returns to; known once a
      // safe caller is seen.
      unsafe->safe_return = depth + 1 < frames.size() ? frames[depth + 1].ip : 0;
    }
  }
  return unsafe;
}

std::optional<std::string> SafePointFinder::unsafe_address(uintptr_t address, bool unnamed_is_unsafe) {
  const Mapping* mapping = mapping_at(maps_, address);
  if (mapping == nullptr || mapping->path.empty() || mapping->path[0] != '/') return std::nullopt;
  if (is_dynamic_loader(mapping->path)) return "in the dynamic loader (" + file_name(mapping->path) + ")";
  if (!may_hold_runtime_locks(mapping->path)) return std::nullopt;
  if (!find_mapped_path(maps_, mapping->path)) return std::nullopt;
  std::string function = function_at(*mapping, address);
  if (function.empty()) {
    // Distributions strip .symtab: libc's internal functions (_int_malloc,
    // arena_get2, ...) have no name. Under a named entry point, or below the
    // program's own frames (libc's thread and program start), they hold no
    // lock; in a call whose entry is unknown they may.
    if (!unnamed_is_unsafe) return std::nullopt;
    return "in an unnamed internal function of " + file_name(mapping->path);
  }
  if (!is_unsafe_function(function)) return std::nullopt;
  return "in " + function + " (" + file_name(mapping->path) + ")";
}

bool SafePointFinder::step_out(pid_t tid, const Unsafe& unsafe, std::chrono::milliseconds timeout) {
  if (unsafe.safe_return == 0) return false;
  if (!tracer_.step_until(tid, unsafe.safe_return, kMaxSteps, timeout)) return false;
  unw_flush_cache(static_cast<unw_addr_space_t>(address_space_), 0, 0);
  return !unsafe_frame(tid);
}

pid_t SafePointFinder::find(int attempts) {
  std::string last_reason;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      tracer_.run_briefly(kRunBetweenAttempts);
      maps_.clear();  // libraries may have come and gone
      unw_flush_cache(static_cast<unw_addr_space_t>(address_space_), 0, 0);
    }
    std::vector<pid_t> candidates = tracer_.threads();  // the main thread first
    std::stable_partition(candidates.begin(), candidates.end(),
                          [&](pid_t tid) { return is_blocked_in_system_call(tracer_.registers(tid)); });
    std::vector<std::pair<pid_t, Unsafe>> unsafe_threads;
    for (pid_t tid : candidates) {
      std::optional<Unsafe> unsafe = unsafe_frame(tid);
      if (!unsafe) return tid;
      last_reason = "thread " + std::to_string(tid) + " was " + unsafe->reason;
      unsafe_threads.emplace_back(tid, *unsafe);
    }
    auto budget_end = std::chrono::steady_clock::now() + kStepBudget;
    for (const auto& [tid, unsafe] : unsafe_threads) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(budget_end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      if (step_out(tid, unsafe, left)) return tid;
    }
  }
  throw Error(ErrorKind::UnsupportedTarget,
              "found no moment at which a thread of process " + std::to_string(tracer_.pid()) +
                  " was outside the allocator and the loader (" + last_reason +
                  "); retry, perhaps when the process is less busy");
}

}  // namespace leakspy::attach
