#pragma once
// Native stacks of the calling thread, with the agent's own frames removed.
// Thread-safe. May allocate through libunwind, so callers hold the
// ReentrancyGuard.

#include <cstdint>

namespace leakspy::agent {

inline constexpr uint32_t kMaxStackFrames = 256;

// Finds the address ranges of the agent and of libunwind (frames to skip) and
// turns on libunwind's per-thread cache. False on failure.
[[nodiscard]] bool init_stack_capture();

// Writes return addresses, innermost first, skipping the agent's frames.
// Returns the number written.
uint32_t capture_native_stack(uintptr_t* frames, uint32_t max_frames);

}  // namespace leakspy::agent
