#pragma once
// The agent's own threads (the writer, the Python allocator worker): detached,
// blocking every signal (the target's signals are for the target's threads),
// named so that `top -H` shows what they are, and inside the reentrancy guard
// for their whole life (nothing they do is the target's doing).

#include <atomic>
#include <cstdint>

namespace leakspy::agent {

// Starts `body` on a new agent thread; false if it could not be created.
// `name`: at most 15 characters.
bool start_agent_thread(const char* name, void (*body)());

// Sleeps `ns` nanoseconds (nanosleep; an agent thread's pause).
void pause_ns(uint64_t ns);
// Waits until `done` is set, looking every millisecond, for at most
// `timeout_ns`: a stopping agent thread's end, bounded.
void wait_for_flag(const std::atomic<bool>& done, uint64_t timeout_ns);

}  // namespace leakspy::agent
