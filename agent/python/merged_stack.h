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

struct MergeCache {
  uint32_t count;  // frames[0] is the outermost
  uint64_t frames[kMaxMergedFrames];
  uint32_t nodes[kMaxMergedFrames];  // frames[0..i] as a stack
  uint64_t scratch[kMaxMergedFrames];  // the merge, innermost first (off the target's stack)
  PythonFrames python;                 // the walk's output, likewise
  uintptr_t native[kMaxStackFrames];   // the native frames, innermost first
};

// `native` is innermost first. Returns the stack's node (0 when the tables
// are full).
uint32_t intern_merged_stack(const uintptr_t* native, uint32_t native_count, const PythonFrames& python,
                             MergeCache& cache);

// The node for cache.native[0, native_count) and the walk in cache.python.
uint32_t intern_walk(MergeCache& cache, uint32_t native_count);

}  // namespace leakspy::agent::python
