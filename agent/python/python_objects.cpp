#include "agent/python/python_objects.h"

#include <cstring>

namespace leakspy::agent::python {

namespace {

constexpr uint32_t kLengthOffset = 16;  // PyASCIIObject.length, every version
constexpr uint32_t kStateOffset = 32;   // PyASCIIObject.state: interned:2 kind:3 compact:1 ascii:1

size_t put_utf8(uint32_t code_point, char* out, size_t room) {
  char bytes[4];
  size_t length;
  if (code_point < 0x80) {
    bytes[0] = static_cast<char>(code_point);
    length = 1;
  } else if (code_point < 0x800) {
    bytes[0] = static_cast<char>(0xC0 | (code_point >> 6));
    bytes[1] = static_cast<char>(0x80 | (code_point & 0x3F));
    length = 2;
  } else if (code_point < 0x10000) {
    bytes[0] = static_cast<char>(0xE0 | (code_point >> 12));
    bytes[1] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    bytes[2] = static_cast<char>(0x80 | (code_point & 0x3F));
    length = 3;
  } else {
    bytes[0] = static_cast<char>(0xF0 | (code_point >> 18));
    bytes[1] = static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    bytes[2] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    bytes[3] = static_cast<char>(0x80 | (code_point & 0x3F));
    length = 4;
  }
  if (length > room) return 0;
  std::memcpy(out, bytes, length);
  return length;
}

}  // namespace

size_t read_string(const PythonLayout& layout, const void* object, char* out, size_t capacity) {
  if (object == nullptr || capacity == 0) return 0;
  auto length = read_field<int64_t>(object, kLengthOffset);
  auto state = read_field<uint32_t>(object, kStateOffset);
  uint32_t kind = (state >> 2) & 7;
  bool compact = (state >> 5) & 1;
  bool ascii = (state >> 6) & 1;
  if (!compact || length < 0 || (kind != 1 && kind != 2 && kind != 4)) {
    out[0] = '?';
    return 1;
  }
  const char* data = static_cast<const char*>(object) + (ascii ? layout.ascii_header : layout.compact_header);
  size_t written = 0;
  for (int64_t i = 0; i < length; ++i) {
    uint32_t code_point = kind == 1   ? static_cast<uint8_t>(data[i])
                          : kind == 2 ? read_field<uint16_t>(data, static_cast<uint32_t>(i * 2))
                                      : read_field<uint32_t>(data, static_cast<uint32_t>(i * 4));
    size_t n = put_utf8(code_point, out + written, capacity - written);
    if (n == 0) break;
    written += n;
  }
  return written;
}

const uint8_t* bytes_data(const PythonLayout& layout, const void* object, size_t* size) {
  auto length = read_field<int64_t>(object, layout.bytes_size);
  *size = length > 0 ? static_cast<size_t>(length) : 0;
  return static_cast<const uint8_t*>(object) + layout.bytes_data;
}

}  // namespace leakspy::agent::python
