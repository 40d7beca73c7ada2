#include "agent/allocator_accounting.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstring>

#include "agent/hook_list.h"
#include "capture/format.h"
#include "common/clock.h"

namespace leakspy::agent {

namespace {

constexpr uint64_t kMinIntervalNs = 100'000'000;
constexpr uint64_t kCostFactor = 200;  // interval / duration of the last call: at most 0.5% of the time

using Mallinfo2Function = struct mallinfo2 (*)();
using MallinfoFunction = struct mallinfo (*)();

// The module a function's code lies in; nullptr when none.
const void* module_of(const void* function) {
  Dl_info info{};
  if (function == nullptr || dladdr(function, &info) == 0) return nullptr;
  return info.dli_fbase;
}

bool is_glibc(const void* function) {
  Dl_info info{};
  if (function == nullptr || dladdr(function, &info) == 0 || info.dli_fname == nullptr) return false;
  const char* base = std::strrchr(info.dli_fname, '/');
  base = base != nullptr ? base + 1 : info.dli_fname;
  return std::strncmp(base, "libc.so", 7) == 0 || std::strncmp(base, "libc-2.", 7) == 0;
}

}  // namespace

void AllocatorSampler::find_source() {
  source_ = Source::None;
  // The statistics must be those of the malloc the program calls: glibc's,
  // from the same module, not a preloaded allocator's look-alike.
  const void* malloc_function = reinterpret_cast<const void*>(real.malloc);
  if (!is_glibc(malloc_function)) return;
  const void* libc = module_of(malloc_function);
  if (void* found = dlsym(RTLD_DEFAULT, "mallinfo2"); found != nullptr && module_of(found) == libc) {
    function_ = found;
    source_ = Source::Mallinfo2;
  } else if (void* old = dlsym(RTLD_DEFAULT, "mallinfo"); old != nullptr && module_of(old) == libc) {
    function_ = old;
    source_ = Source::Mallinfo;
  }
}

bool AllocatorSampler::maybe_send(Transport& transport, uint64_t now_ns) {
  if (now_ns < next_ns_) return true;
  if (source_ == Source::Unknown) find_source();
  if (source_ == Source::None) {
    next_ns_ = UINT64_MAX;
    return true;
  }
  wire::WireAllocatorStats stats{};
  uint64_t started = clock_ns();
  if (source_ == Source::Mallinfo2) {
    struct mallinfo2 info = reinterpret_cast<Mallinfo2Function>(function_)();
    stats = {static_cast<uint32_t>(capture::AllocatorKind::GlibcMallinfo2), 0, info.arena, info.uordblks,
             info.fordblks, info.hblkhd, info.keepcost};
  } else {
    struct mallinfo info = reinterpret_cast<MallinfoFunction>(function_)();
    // int fields: their bits, read as unsigned, are the values modulo 4 GiB.
    auto value = [](int field) { return uint64_t{static_cast<unsigned>(field)}; };
    stats = {static_cast<uint32_t>(capture::AllocatorKind::GlibcMallinfo), 0, value(info.arena), value(info.uordblks),
             value(info.fordblks), value(info.hblkhd), value(info.keepcost)};
  }
  uint64_t took = clock_ns() - started;
  next_ns_ = now_ns + (took * kCostFactor > kMinIntervalNs ? took * kCostFactor : kMinIntervalNs);
  return transport.add_copy(wire::MessageType::AllocatorStats, &stats, sizeof(stats));
}

}  // namespace leakspy::agent
