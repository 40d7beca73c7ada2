#pragma once
// Native stacks of the calling thread, with the agent's own frames removed,
// for the frames the fast unwinder cannot describe. The agent links no
// unwinder: a target's file system (a container, an old distribution) may
// have none, or one built for another glibc. It uses the target's own
// libunwind.so.8 when it has one (fast, with a per-thread cache), else
// glibc's backtrace(), which every glibc has (it unwinds with the target's
// libgcc_s). Thread-safe. May allocate through the unwinder, so callers hold
// the ReentrancyGuard.

#include <cstdint>

namespace leakspy::agent {

inline constexpr uint32_t kMaxStackFrames = 256;

// Chooses the unwinder, finds the address ranges of the agent and of the
// unwinder's entry point (frames to skip), and warms the unwinder up (its
// first use may load libraries). False on failure.
[[nodiscard]] bool init_stack_capture();

// Which unwinder init_stack_capture chose: "libunwind" or "glibc backtrace".
const char* native_unwinder_name();

// Writes return addresses, innermost first, skipping the agent's frames.
// Returns the number written.
uint32_t capture_native_stack(uintptr_t* frames, uint32_t max_frames);

}  // namespace leakspy::agent
