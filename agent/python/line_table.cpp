// The three formats, as documented in CPython's Objects/lnotab_notes.txt
// (3.9, 3.10) and Objects/locations.md (3.11+).
#include "agent/python/line_table.h"

namespace leakspy::agent::python {

namespace {

// 3.9: pairs (byte increment, signed line increment).
uint32_t line_from_lnotab(const uint8_t* table, size_t size, uint32_t first_line, uint32_t offset) {
  int64_t line = first_line;
  uint32_t address = 0;
  for (size_t i = 0; i + 1 < size; i += 2) {
    address += table[i];
    if (address > offset) break;
    line += static_cast<int8_t>(table[i + 1]);
  }
  return line > 0 ? static_cast<uint32_t>(line) : 0;
}

// 3.10: pairs (start delta, line delta); a range [start, end) has the line
// reached after its delta; -128 means "no line".
uint32_t line_from_linetable310(const uint8_t* table, size_t size, uint32_t first_line, uint32_t offset) {
  int64_t line = first_line;
  uint32_t start = 0;
  for (size_t i = 0; i + 1 < size; i += 2) {
    uint32_t end = start + table[i];
    int8_t delta = static_cast<int8_t>(table[i + 1]);
    if (delta != -128) line += delta;
    if (offset >= start && offset < end) return delta == -128 || line <= 0 ? 0 : static_cast<uint32_t>(line);
    start = end;
  }
  return 0;
}

uint32_t read_varint(const uint8_t* table, size_t size, size_t* i) {
  uint32_t value = 0;
  for (int shift = 0; *i < size; shift += 6) {
    uint8_t byte = table[(*i)++];
    value |= static_cast<uint32_t>(byte & 63) << shift;
    if (!(byte & 64)) break;
  }
  return value;
}

int32_t read_signed_varint(const uint8_t* table, size_t size, size_t* i) {
  uint32_t value = read_varint(table, size, i);
  return (value & 1) ? -static_cast<int32_t>(value >> 1) : static_cast<int32_t>(value >> 1);
}

// 3.11+: entries of 1..8 code units; the first byte is 1 | code (4 bits) |
// length - 1 (3 bits). Codes 0-9 short form (same line), 10-12 one-line
// forms (delta code - 10), 13 no column (signed varint delta), 14 long form
// (signed varint delta, then end line, columns), 15 no location.
uint32_t line_from_locations(const uint8_t* table, size_t size, uint32_t first_line, uint32_t offset) {
  int64_t line = first_line;
  uint32_t unit = 0;
  size_t i = 0;
  while (i < size) {
    uint8_t first = table[i++];
    if (!(first & 0x80)) return 0;  // not at the start of an entry: a bad table
    uint32_t code = (first >> 3) & 15;
    uint32_t length = (first & 7) + 1;
    bool has_line = true;
    if (code == 15) {
      has_line = false;
    } else if (code == 14) {
      line += read_signed_varint(table, size, &i);
      read_varint(table, size, &i);  // end line delta
      read_varint(table, size, &i);  // column + 1
      read_varint(table, size, &i);  // end column + 1
    } else if (code == 13) {
      line += read_signed_varint(table, size, &i);
    } else if (code >= 10) {
      line += code - 10;
      i += 2;  // column, end column
    } else {
      i += 1;  // column
    }
    if (offset >= unit && offset < unit + length) return has_line && line > 0 ? static_cast<uint32_t>(line) : 0;
    unit += length;
  }
  return 0;
}

}  // namespace

uint32_t line_for_offset(LineTableFormat format, const uint8_t* table, size_t size, uint32_t first_line,
                         uint32_t offset) {
  switch (format) {
    case LineTableFormat::Lnotab: return line_from_lnotab(table, size, first_line, offset);
    case LineTableFormat::Linetable310: return line_from_linetable310(table, size, first_line, offset);
    case LineTableFormat::Locations: return line_from_locations(table, size, first_line, offset);
  }
  return 0;
}

}  // namespace leakspy::agent::python
