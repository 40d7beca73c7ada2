#include "agent/python/python_layout.h"

namespace leakspy::agent::python {

namespace {

// PyVarObject.ob_size is at 16 for every version here.
constexpr PythonLayout kLayouts[] = {
    // minor, frames, lines, tstate frame, cframe, cframe.current, back, code, instruction, entry,
    // filename, name, firstlineno, line table, instructions, bytes data, bytes size, ascii, compact
    {9, FrameModel::FrameObjects, LineTableFormat::Lnotab, 24, 0, 0, 24, 32, 104, 0, 104, 112, 40, 120, 0, 32, 16, 48,
     72},
    {10, FrameModel::FrameObjects, LineTableFormat::Linetable310, 24, 0, 0, 24, 32, 96, 0, 104, 112, 40, 120, 0, 32, 16,
     48, 72},
    {11, FrameModel::InterpreterFramesEntryFlag, LineTableFormat::Locations, 0, 56, 8, 48, 32, 56, 68, 112, 128, 72,
     136, 184, 32, 16, 48, 72},
    {12, FrameModel::InterpreterFramesShim, LineTableFormat::Locations, 0, 56, 0, 8, 0, 56, 70, 112, 128, 68, 136, 192,
     32, 16, 40, 56},
    {13, FrameModel::InterpreterFramesShim, LineTableFormat::Locations, 72, 0, 0, 8, 0, 56, 70, 112, 128, 68, 136, 200,
     32, 16, 40, 56},
};

}  // namespace

const PythonLayout* layout_for(int major, int minor) {
  if (major != 3) return nullptr;
  for (const PythonLayout& layout : kLayouts) {
    if (layout.minor == minor) return &layout;
  }
  return nullptr;
}

}  // namespace leakspy::agent::python
