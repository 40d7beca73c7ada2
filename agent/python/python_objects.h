#pragma once
// Reading CPython objects from memory with the layout tables: strings as
// UTF-8 and bytes objects. Only on objects known to be alive (the calling
// thread's own frames). No allocation.

#include <cstddef>
#include <cstdint>

#include "agent/python/python_layout.h"

namespace leakspy::agent::python {

// Copies a str as UTF-8 into `out` (at most `capacity` bytes, cut at a
// character boundary); returns the length. Strings that are not "compact"
// (rare for names) come out as "?".
size_t read_string(const PythonLayout& layout, const void* object, char* out, size_t capacity);

// The contents of a bytes object.
const uint8_t* bytes_data(const PythonLayout& layout, const void* object, size_t* size);

template <typename T>
inline T read_field(const void* base, uint32_t offset) {
  T value;
  __builtin_memcpy(&value, static_cast<const char*>(base) + offset, sizeof(T));
  return value;
}

}  // namespace leakspy::agent::python
