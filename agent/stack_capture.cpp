#include "agent/stack_capture.h"

#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <libunwind.h>
#include <link.h>

namespace leakspy::agent {

namespace {

struct AddressRange {
  uintptr_t begin = 0;
  uintptr_t end = 0;
  bool contains(uintptr_t address) const { return address >= begin && address < end; }
};

// Frames from these two modules sit on top of every captured stack: the hook
// wrapper, the recorder, and libunwind's own entry point.
constinit AddressRange agent_text;
constinit AddressRange unwinder_text;

struct RangeQuery {
  uintptr_t base;
  AddressRange* range;
};

int find_executable_range(dl_phdr_info* info, size_t, void* data) {
  auto* query = static_cast<RangeQuery*>(data);
  if (info->dlpi_addr != query->base) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type == PT_LOAD && (phdr.p_flags & PF_X)) {
      query->range->begin = info->dlpi_addr + phdr.p_vaddr;
      query->range->end = query->range->begin + phdr.p_memsz;
      return 1;
    }
  }
  return 0;
}

bool module_text_of(const void* symbol, AddressRange* range) {
  Dl_info info{};
  if (dladdr(symbol, &info) == 0 || info.dli_fbase == nullptr) return false;
  // dli_fbase is the lowest mapped address; for the usual objects whose first
  // segment has vaddr 0 that equals dlpi_addr, the load bias.
  RangeQuery query{reinterpret_cast<uintptr_t>(info.dli_fbase), range};
  return dl_iterate_phdr(find_executable_range, &query) == 1;
}

}  // namespace

bool init_stack_capture() {
  if (!module_text_of(reinterpret_cast<const void*>(&capture_native_stack), &agent_text)) return false;
  if (!module_text_of(reinterpret_cast<const void*>(&unw_backtrace), &unwinder_text)) return false;
  return unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD) == 0;
}

uint32_t capture_native_stack(uintptr_t* frames, uint32_t max_frames) {
  void* raw[kMaxStackFrames + 16];
  int count = unw_backtrace(raw, static_cast<int>(max_frames + 16 < kMaxStackFrames + 16 ? max_frames + 16
                                                                                        : kMaxStackFrames + 16));
  int first = 0;
  while (first < count) {
    uintptr_t address = reinterpret_cast<uintptr_t>(raw[first]);
    if (!agent_text.contains(address) && !unwinder_text.contains(address)) break;
    ++first;
  }
  uint32_t written = 0;
  for (int i = first; i < count && written < max_frames; ++i) frames[written++] = reinterpret_cast<uintptr_t>(raw[i]);
  return written;
}

}  // namespace leakspy::agent
