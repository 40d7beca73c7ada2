#pragma once
// A number as decimal digits into a caller's buffer: no stdio, no locale, no
// allocation, so async-signal-safe (the agent writes pids between fork and
// exec, and log lines from any context).

#include <cstddef>
#include <cstdint>

namespace leakspy::agent {

inline constexpr size_t kDecimalDigitsMax = 20;  // UINT64_MAX

// Writes `number`'s digits (no NUL) at `out`, which has room for
// kDecimalDigitsMax; returns how many.
inline size_t decimal_text(uint64_t number, char* out) {
  char reversed[kDecimalDigitsMax];
  size_t count = 0;
  do {
    reversed[count++] = static_cast<char>('0' + number % 10);
    number /= 10;
  } while (number != 0);
  for (size_t i = 0; i < count; ++i) out[i] = reversed[count - 1 - i];
  return count;
}

}  // namespace leakspy::agent
