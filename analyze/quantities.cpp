#include "analyze/quantities.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "common/error.h"

namespace leakspy::analyze {

namespace {

// A non-negative number and what follows it (spaces skipped).
bool split_number(std::string_view text, double* number, std::string_view* unit) {
  std::string copy(text);
  const char* begin = copy.c_str();
  char* end = nullptr;
  *number = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(*number) || *number < 0) return false;
  std::string_view rest = text.substr(static_cast<size_t>(end - begin));
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  *unit = rest;
  return true;
}

bool seconds_per_unit(std::string_view unit, double* seconds) {
  if (unit.empty() || unit == "s" || unit == "sec")
    *seconds = 1;
  else if (unit == "ms")
    *seconds = 1e-3;
  else if (unit == "m" || unit == "min")
    *seconds = 60;
  else if (unit == "h")
    *seconds = 3600;
  else
    return false;
  return true;
}

bool bytes_per_unit(std::string_view unit, double* bytes) {
  struct Unit {
    std::string_view name;
    double bytes;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},          {"B", 1},    {"K", 1024},       {"KiB", 1024},       {"KB", 1e3}, {"M", 1048576},
      {"MiB", 1048576}, {"MB", 1e6}, {"G", 1073741824}, {"GiB", 1073741824}, {"GB", 1e9}};
  for (const Unit& known : kUnits) {
    if (unit == known.name) {
      *bytes = known.bytes;
      return true;
    }
  }
  return false;
}

[[noreturn]] void refuse(const std::string& option, const std::string& text, const char* accepted) {
  throw Error(ErrorKind::Usage, option + " " + text + ": expected " + accepted);
}

}  // namespace

double parse_seconds(const std::string& text, const std::string& option) {
  double number = 0, unit_seconds = 0;
  std::string_view unit;
  if (!split_number(text, &number, &unit) || !seconds_per_unit(unit, &unit_seconds)) {
    refuse(option, text, "a duration such as 10s, 500ms, 2min or 1h");
  }
  return number * unit_seconds;
}

uint64_t parse_byte_count(const std::string& text, const std::string& option) {
  double number = 0, unit_bytes = 0;
  std::string_view unit;
  if (!split_number(text, &number, &unit) || !bytes_per_unit(unit, &unit_bytes) || number * unit_bytes >= 1.8e19) {
    refuse(option, text, "a size such as 4096, 64KiB, 1MB or 2G");
  }
  return static_cast<uint64_t>(std::llround(number * unit_bytes));
}

double parse_byte_rate(const std::string& text, const std::string& option) {
  const char* accepted = "a rate such as 1MB/min, 1KiB/s or 10M/h";
  size_t slash = text.find('/');
  double number = 0, unit_bytes = 0, per_seconds = 1;
  std::string_view unit;
  if (!split_number(std::string_view(text).substr(0, slash), &number, &unit) || !bytes_per_unit(unit, &unit_bytes)) {
    refuse(option, text, accepted);
  }
  if (slash != std::string::npos) {
    std::string_view per = std::string_view(text).substr(slash + 1);
    if (per.empty() || !seconds_per_unit(per, &per_seconds)) refuse(option, text, accepted);
  }
  return number * unit_bytes / per_seconds;
}

}  // namespace leakspy::analyze
