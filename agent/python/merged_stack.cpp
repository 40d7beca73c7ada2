#include "agent/python/merged_stack.h"

#include "agent/agent_state.h"
#include "agent/python/python_runtime.h"

namespace leakspy::agent::python {

namespace {

// Innermost first into `out`; returns the count.
uint32_t merge(const uintptr_t* native, uint32_t native_count, const PythonFrames& python, uint64_t* out) {
  const PythonRuntime& rt = runtime();
  uint32_t count = 0;
  if (!native_frames.load(std::memory_order_relaxed)) {
    // The native frames the innermost Python frame called, less the
    // interpreter's own (its C implementation of list.append and the like
    // says nothing and would repeat under every Python line), then the
    // Python stack.
    for (uint32_t i = 0; i < native_count && count < kMaxMergedFrames; ++i) {
      uintptr_t pc = native[i] - 1;
      if (pc >= rt.eval_begin && pc < rt.eval_end) break;
      if (pc >= rt.interpreter_begin && pc < rt.interpreter_end) continue;
      out[count++] = native[i];
    }
    for (uint32_t i = 0; i < python.count && count < kMaxMergedFrames; ++i) out[count++] = python.frames[i];
    return count;
  }
  uint32_t next_python = 0;
  for (uint32_t i = 0; i < native_count && count < kMaxMergedFrames; ++i) {
    // Return addresses: the call instruction is just before.
    uintptr_t pc = native[i] - 1;
    bool eval_frame = pc >= rt.eval_begin && pc < rt.eval_end;
    if (!eval_frame || next_python == python.count) {
      out[count++] = native[i];
      continue;
    }
    do {  // the Python frames this call of the eval loop was running
      out[count++] = python.frames[next_python];
    } while (!python.group_end[next_python++] && next_python < python.count && count < kMaxMergedFrames);
  }
  // Python frames whose eval-loop call was not found among the native frames
  // (a cut native stack, or a part of the loop in another section) go outside.
  while (next_python < python.count && count < kMaxMergedFrames) out[count++] = python.frames[next_python++];
  return count;
}

}  // namespace

uint32_t intern_merged_stack(const uintptr_t* native, uint32_t native_count, const PythonFrames& python,
                             MergeCache& cache) {
  uint64_t* merged = cache.scratch;
  uint32_t count = merge(native, native_count, python, merged);
  // Frames shared with the previous stack, counted from the outer end.
  uint32_t shared = 0;
  while (shared < count && shared < cache.count && cache.frames[shared] == merged[count - 1 - shared]) ++shared;
  uint32_t node = shared == 0 ? 0 : cache.nodes[shared - 1];
  for (uint32_t i = shared; i < count; ++i) {
    uint64_t frame = merged[count - 1 - i];
    node = traces.intern_edge(node, frame);
    if (node == 0) {  // the tables are full
      traces.count_lost_stack();
      cache.count = 0;
      return 0;
    }
    cache.frames[i] = frame;
    cache.nodes[i] = node;
  }
  cache.count = count;
  return count == 0 ? 0 : node;
}

uint32_t intern_walk(MergeCache& cache, uint32_t native_count) {
  resolve_python_frames(&cache.python);
  return intern_merged_stack(cache.native, native_count, cache.python, cache);
}

}  // namespace leakspy::agent::python
