#pragma once
// LEB128 varints and zigzag deltas: the integer encoding of every record.
// Allocation-free and header-only.

#include <cstdint>

namespace leakspy::capture {

inline constexpr int kMaxVarintBytes = 10;

inline uint8_t* put_varint(uint8_t* out, uint64_t value) {
  while (value >= 0x80) {
    *out++ = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<uint8_t>(value);
  return out;
}

constexpr uint64_t zigzag_encode(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}
constexpr int64_t zigzag_decode(uint64_t value) {
  return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1);
}

// The difference current - previous as a zigzag varint, wrapping modulo 2^64 so
// that any two addresses round-trip.
inline uint8_t* put_delta(uint8_t* out, uint64_t current, uint64_t previous) {
  return put_varint(out, zigzag_encode(static_cast<int64_t>(current - previous)));
}

// Reads one varint from [*in, end). Returns false, leaving *in unspecified, if the
// input ends inside the varint or the varint is longer than 10 bytes.
inline bool get_varint(const uint8_t** in, const uint8_t* end, uint64_t* value) {
  const uint8_t* p = *in;
  if (p < end && *p < 0x80) {  // the common one-byte case
    *value = *p;
    *in = p + 1;
    return true;
  }
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (p == end) return false;
    uint8_t byte = *p++;
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (byte < 0x80) {
      *value = result;
      *in = p;
      return true;
    }
  }
  return false;
}

inline bool get_delta(const uint8_t** in, const uint8_t* end, uint64_t previous, uint64_t* value) {
  uint64_t raw;
  if (!get_varint(in, end, &raw)) return false;
  *value = previous + static_cast<uint64_t>(zigzag_decode(raw));
  return true;
}

}  // namespace leakspy::capture
