#pragma once
// Clock readings as plain numbers: nanoseconds of a clock, or seconds of the
// monotonic clock. Header-only and allocation-free: the agent uses it too.

#include <time.h>

#include <cstdint>

namespace leakspy {

inline uint64_t clock_ns(clockid_t clock = CLOCK_MONOTONIC) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
}

inline double monotonic_seconds() { return static_cast<double>(clock_ns()) * 1e-9; }

}  // namespace leakspy
