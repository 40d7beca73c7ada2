#pragma once
// Native and Python frames in one stack: each native frame of the eval loop
// (_PyEval_EvalFrameDefault) is replaced by the Python frames that call of
// the loop was running. Interned through a per-thread cache of the previous
// merged stack: only the part that differs from it (counted from the outer
// end) becomes new tree edges. Never allocates.

#include <cstdint>

#include "agent/python/python_stack.h"
#include "agent/stack_capture.h"

namespace leakspy::agent::python {

inline constexpr uint32_t kMaxMergedFrames = kMaxStackFrames + kMaxPythonFrames;

// A walk's node by a 64-bit hash of the raw walk (frame, code, instruction
// and eval-loop grouping of every Python frame).
struct WalkMemoEntry {
  uint64_t key;
  uint32_t node;
  uint32_t generation;  // entries of an older claim of the ring are void
};
inline constexpr uint32_t kWalkMemoSlots = 1024;

struct MergeCache {
  uint32_t count;  // frames[0] is the outermost
  uint64_t frames[kMaxMergedFrames];
  uint32_t nodes[kMaxMergedFrames];  // frames[0..i] as a stack
  uint64_t scratch[kMaxMergedFrames];  // the merge, innermost first (off the target's stack)
  PythonFrames python;                 // the walk's output, likewise
  uintptr_t native[kMaxStackFrames];   // the native frames, innermost first
  // Stacks of walks without native frames (the interpreter allocating for
  // itself, most Python events): a loop revisits the same few walks, and a
  // hit costs one hash instead of resolving and interning.
  uint32_t memo_generation;
  WalkMemoEntry memo[kWalkMemoSlots];
};

// `native` is innermost first. Returns the stack's node (0 when the tables
// are full).
uint32_t intern_merged_stack(const uintptr_t* native, uint32_t native_count, const PythonFrames& python,
                             MergeCache& cache);

// The node for cache.native[0, native_count) and the walk in cache.python.
uint32_t intern_walk(MergeCache& cache, uint32_t native_count);
// The node for the walk in cache.python alone (no native frames), through
// the memo.
uint32_t intern_python_only_walk(MergeCache& cache);
// Voids the memo (a new claim of the thread's ring: a new session).
inline void forget_walks(MergeCache& cache) { ++cache.memo_generation; }

}  // namespace leakspy::agent::python
