#pragma once
// Human units for reports: 1.5 MiB, 12.3 s, 1,234,567.

#include <cstdint>
#include <string>

namespace leakspy::render {

std::string human_bytes(uint64_t bytes);
std::string human_count(uint64_t count);
std::string human_duration(double seconds);

}  // namespace leakspy::render
