#include "analyze/quantities.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "common/error.h"

namespace leakspy::analyze {

namespace {

constexpr const char* kDurationExamples = "30 (seconds), 500ms, 1.5s, 2m or 1h";
constexpr const char* kSizeForms = "a size such as 4096, 64KiB, 1MB or 2G";
constexpr const char* kRateForms = "a rate such as 1MB/min, 1KiB/s or 10M/h";

// A non-negative decimal number and what follows it (spaces skipped).
// from_chars, not strtod: no locale, no sign, no hex ("0x10s").
bool split_number(std::string_view text, double* number, std::string_view* unit) {
  const char* end = text.data() + text.size();
  auto [after, error] = std::from_chars(text.data(), end, *number, std::chars_format::general);
  if (error != std::errc() || !std::isfinite(*number) || *number < 0) return false;
  std::string_view rest = text.substr(static_cast<size_t>(after - text.data()));
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

[[noreturn]] void refuse(const std::string& option, const std::string& text, const std::string& why) {
  throw Error(ErrorKind::Usage, option + " " + text + ": " + why);
}

}  // namespace

double parse_seconds(const std::string& text, const std::string& option) {
  double number = 0, unit_seconds = 0;
  std::string_view unit;
  if (!split_number(text, &number, &unit) || !seconds_per_unit(unit, &unit_seconds)) {
    refuse(option, text, std::string("expected a duration such as ") + kDurationExamples);
  }
  return number * unit_seconds;
}

double parse_positive_seconds(const std::string& text, const std::string& option) {
  double seconds = parse_seconds(text, option);
  if (seconds <= 0) {
    refuse(option, text, std::string("expected a duration longer than 0, such as ") + kDurationExamples);
  }
  return seconds;
}

uint64_t parse_byte_count(const std::string& text, const std::string& option) {
  double number = 0, unit_bytes = 0;
  std::string_view unit;
  if (!split_number(text, &number, &unit) || !bytes_per_unit(unit, &unit_bytes) || number * unit_bytes >= 1.8e19) {
    refuse(option, text, std::string("expected ") + kSizeForms);
  }
  return static_cast<uint64_t>(std::llround(number * unit_bytes));
}

double parse_byte_rate(const std::string& text, const std::string& option) {
  size_t slash = text.find('/');
  std::string size = text.substr(0, slash);
  double number = 0, unit_bytes = 0, per_seconds = 0;
  std::string_view unit;
  if (!split_number(size, &number, &unit) || !bytes_per_unit(unit, &unit_bytes)) {
    refuse(option, text, std::string("expected ") + kRateForms);
  }
  if (slash == std::string::npos) {
    if (number == 0) return 0;  // nothing per any time is nothing
    refuse(option, text, "a rate needs a unit of time: " + size + "/s, " + size + "/min or " + size + "/h");
  }
  std::string_view per = std::string_view(text).substr(slash + 1);
  if (per.empty() || !seconds_per_unit(per, &per_seconds)) refuse(option, text, std::string("expected ") + kRateForms);
  return number * unit_bytes / per_seconds;
}

}  // namespace leakspy::analyze
