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

namespace {

// Two independent multiply chains (addresses and offsets; code objects) so
// that the CPU runs them side by side; mixed at the end.
uint64_t walk_key(const PythonFrames& walk) {
  uint64_t places = 0x9e3779b97f4a7c15ull ^ walk.count;
  uint64_t codes = 0xc2b2ae3d27d4eb4full;
  for (uint32_t i = 0; i < walk.count; ++i) {
    uint64_t place = reinterpret_cast<uintptr_t>(walk.raw_frame[i]) ^
                     (static_cast<uint64_t>(walk.raw_offset[i]) << 48) ^ (uint64_t{walk.group_end[i]} << 47);
    places = (places ^ place) * 0xbf58476d1ce4e5b9ull;
    codes = (codes ^ reinterpret_cast<uintptr_t>(walk.raw_code[i])) * 0x94d049bb133111ebull;
  }
  uint64_t key = places ^ ((codes << 31) | (codes >> 33));
  return key ^ (key >> 29);
}

}  // namespace

uint32_t intern_python_only_walk(MergeCache& cache) {
  uint64_t key = walk_key(cache.python);
  WalkMemoEntry& entry = cache.memo[(key >> 20) % kWalkMemoSlots];
  if (entry.key == key && entry.generation == cache.memo_generation && entry.node != 0) return entry.node;
  uint32_t node = intern_walk(cache, 0);
  entry = WalkMemoEntry{key, node, cache.memo_generation};
  return node;
}

}  // namespace leakspy::agent::python
