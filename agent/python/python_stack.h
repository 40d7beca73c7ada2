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
};

// False when the thread runs no Python (or Python frames are off).
bool collect_python_frames(PythonFrames* out);

inline uint64_t python_frame_value(uint32_t code_id, uint32_t line) {
  return (uint64_t{1} << 63) | (static_cast<uint64_t>(code_id & 0x7fffffff) << 32) | line;
}

}  // namespace leakspy::agent::python
