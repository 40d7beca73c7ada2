#pragma once
// Wakes the writer thread early (a ring is half full, or the agent is asked to
// stop). A futex word, so ringing it costs one syscall and never blocks.

#include <cstdint>

namespace leakspy::agent {

void ring_doorbell();
// Sleeps until the doorbell rings or `timeout_ns` passes.
void wait_doorbell(uint64_t timeout_ns);

}  // namespace leakspy::agent
