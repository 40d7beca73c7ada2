#pragma once
// The calling thread's Python frames, innermost first, each as a trace-tree
// frame value: top bit set, code id in bits 32..62, line in bits 0..31.
// Reads only the calling thread's own frames (no other thread changes them),
// which is also right while the thread has released the GIL inside a C call:
// its frames stay as they were at the call. Never allocates.

#include <cstdint>

namespace leakspy::agent::python {

inline constexpr uint32_t kMaxPythonFrames = 256;

struct PythonFrames {
  uint32_t count = 0;
  uint64_t frames[kMaxPythonFrames];
  // group_end[i]: frame i is the outermost frame run by one call of the
  // interpreter's eval loop (one native _PyEval_EvalFrameDefault frame).
  bool group_end[kMaxPythonFrames];

  // The walk, innermost first: what identifies each frame's state.
  const void* raw_frame[kMaxPythonFrames];
  const void* raw_code[kMaxPythonFrames];
  int64_t raw_offset[kMaxPythonFrames];
  // The previous walk's frames, outermost first, with their values: a frame
  // whose address, code and instruction are unchanged keeps its value
  // without a trip through the code and line tables.
  uint32_t cached_count = 0;
  const void* cached_frame[kMaxPythonFrames];
  const void* cached_code[kMaxPythonFrames];
  int64_t cached_offset[kMaxPythonFrames];
  uint64_t cached_value[kMaxPythonFrames];
};

// Walks the thread's frames into out->raw_* (innermost first). False when
// the thread runs no Python (or Python frames are off).
bool walk_python_frames(PythonFrames* out);
// Turns the walk into frame values in out->frames. `out` is per thread and
// keeps the previous walk as a cache.
void resolve_python_frames(PythonFrames* out);

inline uint64_t python_frame_value(uint32_t code_id, uint32_t line) {
  return (uint64_t{1} << 63) | (static_cast<uint64_t>(code_id & 0x7fffffff) << 32) | line;
}

}  // namespace leakspy::agent::python
