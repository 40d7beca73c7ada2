#pragma once
#include <cstdint>
#include <vector>

namespace leakspy::agent::test {

struct StackSample {
  bool fast_ok = false;
  std::vector<uintptr_t> fast;       // from the fast unwinder, innermost first
  std::vector<uintptr_t> reference;  // from libunwind, from the same caller on
  long checksum = 0;
};

StackSample recurse_without_frame_pointer(int depth, StackSample (*probe)());
StackSample realigned_frame(StackSample (*probe)());

}  // namespace leakspy::agent::test
