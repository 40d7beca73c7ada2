#pragma once
// The quantities users type in options: durations ("30", "500ms", "1.5s",
// "2m", "1h"; a bare number is seconds), byte counts ("64KiB", "1MB", "512K";
// a bare number is bytes) and growth rates ("1MB/min", "1KiB/s", "10M/h").
// A rate needs its unit of time: a bare size ("2MB") is refused, since
// reading it as per second would make "2MB" a sixtieth of what a user
// meaning per minute allowed; only 0 needs none. Byte units follow dd: KB, MB,
// GB are powers of 1000; K, M, G and KiB, MiB, GiB powers of 1024. Numbers
// are decimal (no sign, no hex). Each throws one line of Error(Usage) that
// names the option, the text and the accepted forms. Thread-safe.

#include <cstdint>
#include <string>

namespace leakspy::analyze {

double parse_seconds(const std::string& text, const std::string& option);
// The same, refusing 0 (a recording's --duration, a slice's --every).
double parse_positive_seconds(const std::string& text, const std::string& option);
uint64_t parse_byte_count(const std::string& text, const std::string& option);
double parse_byte_rate(const std::string& text, const std::string& option);  // bytes per second

}  // namespace leakspy::analyze
