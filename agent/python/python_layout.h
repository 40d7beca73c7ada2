#pragma once
// Where CPython keeps what the agent reads, per minor version. Offsets were
// taken from each version's own headers (Include/cpython/*.h and
// Include/internal/pycore_frame.h, compiled with Py_BUILD_CORE) and are
// checked on every interpreter present by tests/integration/python_test.cpp.
// Header-only data; no allocation.

#include <cstdint>

namespace leakspy::agent::python {

enum class FrameModel : uint8_t {
  FrameObjects,  // 3.9, 3.10: PyFrameObject chain, one per eval-loop call
  InterpreterFramesEntryFlag,  // 3.11: _PyInterpreterFrame chain, is_entry marks a call's first frame
  InterpreterFramesShim,       // 3.12, 3.13: _PyInterpreterFrame chain, owner == CSTACK shims between calls
};

enum class LineTableFormat : uint8_t {
  Lnotab,         // 3.9: co_lnotab (byte offset, line) increments
  Linetable310,   // 3.10: co_linetable (PEP 626) ranges
  Locations,      // 3.11+: co_linetable location table (PEP 657)
};

struct PythonLayout {
  int minor;
  FrameModel frame_model;
  LineTableFormat line_table;
  // PyThreadState
  uint32_t tstate_frame;          // FrameObjects: tstate->frame; 3.13: tstate->current_frame
  uint32_t tstate_cframe;         // 3.11, 3.12: tstate->cframe (0 = not used)
  uint32_t cframe_current_frame;  // _PyCFrame.current_frame
  // the frame
  uint32_t frame_back;            // f_back / previous
  uint32_t frame_code;            // f_code / f_executable
  uint32_t frame_instruction;     // f_lasti (int) / prev_instr / instr_ptr (pointer)
  uint32_t frame_entry;           // 3.11: is_entry (bool); 3.12+: owner (char)
  // PyCodeObject
  uint32_t code_filename;
  uint32_t code_name;             // co_qualname where it exists, else co_name
  uint32_t code_firstlineno;
  uint32_t code_line_table;       // co_lnotab / co_linetable (a bytes object)
  uint32_t code_instructions;     // 3.11+: co_code_adaptive (0 = not inline)
  // strings and bytes
  uint32_t bytes_data;            // PyBytesObject.ob_sval
  uint32_t bytes_size;            // ob_size
  uint32_t ascii_header;          // sizeof(PyASCIIObject)
  uint32_t compact_header;        // sizeof(PyCompactUnicodeObject)
};

inline constexpr uint8_t kOwnedByCStack = 3;  // 3.12+: FRAME_OWNED_BY_CSTACK

// The layout of 3.`minor`, or nullptr when that version is not supported.
const PythonLayout* layout_for(int major, int minor);

}  // namespace leakspy::agent::python
