#include "attach/safe_point.h"

#include <libunwind-ptrace.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "common/error.h"

namespace leakspy::attach {

namespace {

constexpr int kMaxFrames = 128;
constexpr auto kRunBetweenAttempts = std::chrono::milliseconds(10);
// Stepping out of malloc or free takes tens to hundreds of instructions; a
// thread that needs more (waiting for a lock another stopped thread holds)
// is left for the next attempt.
constexpr int kMaxSteps = 20000;
constexpr auto kStepTimeout = std::chrono::milliseconds(50);

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

bool is_blocked_in_system_call(const user_regs_struct& registers) {
  return static_cast<long long>(registers.orig_rax) >= 0;
}

}  // namespace

bool is_unsafe_function(const std::string& name) {
  static constexpr std::array<std::string_view, 16> kFragments = {
      "alloc", "free", "_int_", "arena", "tcache", "morecore", "sbrk", "dl_",
      "dlopen", "dlclose", "dlsym", "dlerror", "fork", "exit", "pthread_create", "Unwind_Find"};
  return std::any_of(kFragments.begin(), kFragments.end(),
                     [&](std::string_view fragment) { return name.find(fragment) != std::string::npos; });
}

SafePointFinder::SafePointFinder(ProcessTracer& tracer) : tracer_(tracer) {
  unw_addr_space_t space = unw_create_addr_space(&_UPT_accessors, 0);
  if (space == nullptr) throw Error(ErrorKind::Internal, "libunwind could not create a remote address space");
  unw_set_caching_policy(space, UNW_CACHE_GLOBAL);
  address_space_ = space;
}

SafePointFinder::~SafePointFinder() { unw_destroy_addr_space(static_cast<unw_addr_space_t>(address_space_)); }

const ElfSymbols* SafePointFinder::symbols_of(const MappedFile& file) {
  auto found = symbols_.find(file.path);
  if (found != symbols_.end()) return found->second.get();
  std::unique_ptr<ElfSymbols> symbols;
  try {
    symbols = std::make_unique<ElfSymbols>(openable_path(tracer_.pid(), file));
  } catch (const Error&) {
    // Unreadable: frames there are judged by their module alone.
  }
  return (symbols_[file.path] = std::move(symbols)).get();
}

std::optional<std::string> SafePointFinder::unsafe_address(uintptr_t address, bool innermost_runtime_frames) {
  const Mapping* mapping = mapping_at(maps_, address);
  if (mapping == nullptr || mapping->path.empty() || mapping->path[0] != '/') return std::nullopt;
  if (is_dynamic_loader(mapping->path)) return "in the dynamic loader (" + file_name(mapping->path) + ")";
  if (!may_hold_runtime_locks(mapping->path)) return std::nullopt;
  std::optional<MappedFile> file = find_mapped_path(maps_, mapping->path);
  if (!file) return std::nullopt;
  const ElfSymbols* symbols = symbols_of(*file);
  if (symbols == nullptr) return std::nullopt;
  std::string function = symbols->function_at(address - file->bias);
  if (function.empty()) {
    // Distributions strip .symtab: libc's internal functions (_int_malloc,
    // arena_get2, ...) have no name. Among the frames of the current call
    // into libc they may hold its locks; below them (libc's thread and
    // program start) they cannot.
    if (!innermost_runtime_frames) return std::nullopt;
    return "in an unnamed internal function of " + file_name(mapping->path);
  }
  if (!is_unsafe_function(function)) return std::nullopt;
  return "in " + function + " (" + file_name(mapping->path) + ")";
}

std::optional<SafePointFinder::Unsafe> SafePointFinder::unsafe_frame(pid_t tid) {
  if (maps_.empty()) maps_ = read_maps(tracer_.pid());
  void* context = _UPT_create(tid);
  if (context == nullptr) throw Error(ErrorKind::Internal, "libunwind could not attach to thread " + std::to_string(tid));
  std::optional<Unsafe> unsafe;
  bool last_was_unsafe = false;
  unw_cursor_t cursor;
  if (unw_init_remote(&cursor, static_cast<unw_addr_space_t>(address_space_), context) == 0) {
    bool innermost_runtime_frames = true;  // no frame outside libc and its peers seen yet
    for (int depth = 0; depth < kMaxFrames; ++depth) {
      unw_word_t ip = 0;
      if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0) break;
      // Return addresses point after the call: look one byte back.
      uintptr_t address = depth == 0 ? ip : ip - 1;
      if (last_was_unsafe) unsafe->safe_return = ip;  // the caller of the outermost unsafe frame so far
      const Mapping* mapping = mapping_at(maps_, address);
      bool runtime = mapping != nullptr && (may_hold_runtime_locks(mapping->path) || is_dynamic_loader(mapping->path));
      innermost_runtime_frames = innermost_runtime_frames && runtime;
      std::optional<std::string> reason = runtime ? unsafe_address(address, innermost_runtime_frames) : std::nullopt;
      last_was_unsafe = reason.has_value();
      if (reason && !unsafe) unsafe = Unsafe{*reason, 0};
      if (reason) unsafe->safe_return = 0;  // known once a safe caller is seen
      if (unw_step(&cursor) <= 0) break;
    }
  } else if (std::optional<std::string> reason = unsafe_address(tracer_.registers(tid).rip, true)) {
    unsafe = Unsafe{*reason, 0};
  }
  _UPT_destroy(context);
  return unsafe;
}

bool SafePointFinder::step_out(pid_t tid, const Unsafe& unsafe) {
  if (unsafe.safe_return == 0) return false;
  if (!tracer_.step_until(tid, unsafe.safe_return, kMaxSteps, kStepTimeout)) return false;
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
    for (const auto& [tid, unsafe] : unsafe_threads) {
      if (step_out(tid, unsafe)) return tid;
    }
  }
  throw Error(ErrorKind::UnsupportedTarget,
              "found no moment at which a thread of process " + std::to_string(tracer_.pid()) +
                  " was outside the allocator and the loader (" + last_reason +
                  "); retry, perhaps when the process is less busy");
}

}  // namespace leakspy::attach
