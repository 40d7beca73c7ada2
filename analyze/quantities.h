#pragma once
// The quantities users type for the growth options: durations ("10s",
// "500ms", "2min", "1h"; a bare number is seconds), byte counts ("64KiB",
// "1MB", "512K", a bare number is bytes) and growth rates ("1MB/min",
// "1KiB/s", "10M/h"; a bare byte count is per second). Byte units follow dd:
// KB, MB, GB are powers of 1000; K, M, G and KiB, MiB, GiB powers of 1024.
// Each throws Error(Usage) naming the option and what it accepts. Thread-safe.

#include <cstdint>
#include <string>

namespace leakspy::analyze {

double parse_seconds(const std::string& text, const std::string& option);
uint64_t parse_byte_count(const std::string& text, const std::string& option);
double parse_byte_rate(const std::string& text, const std::string& option);  // bytes per second

}  // namespace leakspy::analyze
