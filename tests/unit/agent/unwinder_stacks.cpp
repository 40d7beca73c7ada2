// Call paths for the unwinder test, compiled WITHOUT frame pointers so that
// the CFI rules (CFA = rsp + offset, rbp as a general register) are exercised.
#include "tests/unit/agent/unwinder_stacks.h"

#include <cstdlib>

namespace leakspy::agent::test {

__attribute__((noinline)) StackSample recurse_without_frame_pointer(int depth, StackSample (*probe)()) {
  if (depth == 0) return probe();
  volatile int keep = depth;  // a frame of its own
  StackSample sample = recurse_without_frame_pointer(depth - 1, probe);
  sample.checksum += keep;
  return sample;
}

__attribute__((noinline)) StackSample realigned_frame(StackSample (*probe)()) {
  alignas(64) volatile char buffer[64];  // forces the stack to be realigned
  buffer[0] = 1;
  StackSample sample = probe();
  sample.checksum += buffer[0];
  return sample;
}

}  // namespace leakspy::agent::test
