#include "agent/python/python_stack.h"

#include "agent/python/code_table.h"
#include "agent/python/python_objects.h"
#include "agent/python/python_runtime.h"

namespace leakspy::agent::python {

namespace {

void add_frame(PythonFrames* out, const void* frame, const void* code, int64_t offset) {
  if (out->count == kMaxPythonFrames) return;
  out->raw_frame[out->count] = frame;
  out->raw_code[out->count] = code;
  out->raw_offset[out->count] = offset;
  out->group_end[out->count] = false;
  ++out->count;
}

uint64_t resolve(const PythonLayout& layout, const void* code, int64_t offset) {
  uint32_t id = code_table.intern(layout, code);
  uint32_t line = id != 0 && offset >= 0 ? code_table.line(layout, id, code, static_cast<uint32_t>(offset)) : 0;
  return python_frame_value(id, line);
}

// Turns the raw walk into frame values, reusing the previous walk's values
// for the frames that did not change (compared from the outer end).
void resolve_frames(const PythonLayout& layout, PythonFrames* out) {
  uint32_t count = out->count;
  bool same = true;
  for (uint32_t outer = 0; outer < count; ++outer) {
    uint32_t inner = count - 1 - outer;
    same = same && outer < out->cached_count && out->cached_frame[outer] == out->raw_frame[inner] &&
           out->cached_code[outer] == out->raw_code[inner] && out->cached_offset[outer] == out->raw_offset[inner];
    if (!same) {
      out->cached_frame[outer] = out->raw_frame[inner];
      out->cached_code[outer] = out->raw_code[inner];
      out->cached_offset[outer] = out->raw_offset[inner];
      out->cached_value[outer] = resolve(layout, out->raw_code[inner], out->raw_offset[inner]);
    }
    out->frames[inner] = out->cached_value[outer];
  }
  out->cached_count = count;
}

void end_group(PythonFrames* out) {
  if (out->count > 0) out->group_end[out->count - 1] = true;
}

// 3.9, 3.10: PyFrameObject chain; every frame is one eval-loop call.
void walk_frame_objects(const PythonLayout& layout, const void* thread, PythonFrames* out) {
  const void* frame = read_field<const void*>(thread, layout.tstate_frame);
  for (uint32_t guard = 0; frame != nullptr && guard < kMaxPythonFrames; ++guard) {
    const void* code = read_field<const void*>(frame, layout.frame_code);
    auto lasti = read_field<int32_t>(frame, layout.frame_instruction);
    // 3.9 counts f_lasti in bytes, 3.10 in code units; both tables use bytes.
    int64_t offset = layout.minor == 10 ? int64_t{lasti} * 2 : lasti;
    if (code != nullptr) {
      add_frame(out, frame, code, offset);
      end_group(out);
    }
    frame = read_field<const void*>(frame, layout.frame_back);
  }
}

// 3.11+: _PyInterpreterFrame chain, many frames per eval-loop call.
void walk_interpreter_frames(const PythonLayout& layout, const void* thread, PythonFrames* out) {
  const void* frame;
  if (layout.tstate_cframe != 0) {
    const void* cframe = read_field<const void*>(thread, layout.tstate_cframe);
    frame = cframe != nullptr ? read_field<const void*>(cframe, layout.cframe_current_frame) : nullptr;
  } else {
    frame = read_field<const void*>(thread, layout.tstate_frame);
  }
  for (uint32_t guard = 0; frame != nullptr && guard < 4 * kMaxPythonFrames; ++guard) {
    const void* previous = read_field<const void*>(frame, layout.frame_back);
    auto flag = read_field<uint8_t>(frame, layout.frame_entry);
    if (layout.frame_model == FrameModel::InterpreterFramesShim && flag == kOwnedByCStack) {
      end_group(out);  // the shim a C caller pushed: the frames before it were one call
      frame = previous;
      continue;
    }
    const void* code = read_field<const void*>(frame, layout.frame_code);
    auto instruction = read_field<uintptr_t>(frame, layout.frame_instruction);
    uintptr_t first = reinterpret_cast<uintptr_t>(code) + layout.code_instructions;
    // Before its first instruction a frame is still being set up: skip it,
    // as CPython's own tracebacks do.
    if (code != nullptr && instruction >= first) {
      add_frame(out, frame, code, static_cast<int64_t>((instruction - first) / 2));
      if (layout.frame_model == FrameModel::InterpreterFramesEntryFlag && flag != 0) end_group(out);
    }
    frame = previous;
  }
  end_group(out);
}

}  // namespace

bool walk_python_frames(PythonFrames* out) {
  out->count = 0;
  if (!frames_enabled.load(std::memory_order_acquire)) return false;
  const PythonRuntime& rt = runtime();
  if (rt.is_finalizing()) return false;  // its thread states are going away
  const void* thread = rt.this_thread_state();
  if (thread == nullptr) return false;
  if (rt.layout->frame_model == FrameModel::FrameObjects) {
    walk_frame_objects(*rt.layout, thread, out);
  } else {
    walk_interpreter_frames(*rt.layout, thread, out);
  }
  return out->count > 0;
}

void resolve_python_frames(PythonFrames* out) { resolve_frames(*runtime().layout, out); }

}  // namespace leakspy::agent::python
