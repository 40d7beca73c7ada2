#pragma once
// Line numbers from CPython's line tables, for one instruction. Pure
// functions over the table's bytes, so they are tested against what each
// interpreter itself reports (tests/unit/agent/python_line_table_test.cpp).
// No allocation; safe on any thread.

#include <cstddef>
#include <cstdint>

#include "agent/python/python_layout.h"

namespace leakspy::agent::python {

// The line of the instruction at `offset`: bytes for Lnotab and Linetable310
// (3.9 f_lasti, 3.10 f_lasti * 2), code units (2 bytes) for Locations.
// Returns 0 when the instruction has no line.
uint32_t line_for_offset(LineTableFormat format, const uint8_t* table, size_t size, uint32_t first_line,
                         uint32_t offset);

}  // namespace leakspy::agent::python
