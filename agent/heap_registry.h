#pragma once
// Heaps beyond malloc (0) and mmap (1): "python", "cuda:0", ... declared by
// the parts of the agent that record them, and announced to the recorder by
// the writer thread before any event that uses them is sealed.
// Thread-safe (a spin lock on the rare declaration path). Never allocates.

#include <cstdint>

#include "agent/transport.h"

namespace leakspy::agent {

inline constexpr uint8_t kNoHeap = 0xFF;

// The id of the heap called `name`, declaring it on first use; kNoHeap when
// all ids are taken. `flags`: capture::kHeapFlagRanges.
uint8_t declare_heap(const char* name, uint64_t flags);

// Writer thread: sends the heaps declared since the last call (all of them
// after forget_reported_heaps, for a new session).
bool report_new_heaps(Transport& transport);
void forget_reported_heaps();

}  // namespace leakspy::agent
