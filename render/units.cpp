#include "render/units.h"

#include <cstdio>

namespace leakspy::render {

std::string human_bytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), value < 10 ? "%.2f %s" : value < 100 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
  return text;
}

std::string human_count(uint64_t count) {
  std::string digits = std::to_string(count);
  std::string out;
  int since_comma = static_cast<int>(digits.size() % 3);
  if (since_comma == 0) since_comma = 3;
  for (char digit : digits) {
    if (since_comma == 0) {
      out += ',';
      since_comma = 3;
    }
    out += digit;
    --since_comma;
  }
  return out;
}

std::string human_duration(double seconds) {
  char text[32];
  if (seconds < 1) {
    std::snprintf(text, sizeof(text), "%.0f ms", seconds * 1000);
  } else if (seconds < 120) {
    std::snprintf(text, sizeof(text), "%.1f s", seconds);
  } else if (seconds < 7200) {
    std::snprintf(text, sizeof(text), "%.1f min", seconds / 60);
  } else {
    std::snprintf(text, sizeof(text), "%.1f h", seconds / 3600);
  }
  return text;
}

}  // namespace leakspy::render
