#pragma once
// "0x1a2b": an address or a number as hexadecimal text. Offline side
// (allocates).

#include <cstdint>
#include <sstream>
#include <string>

namespace leakspy {

inline std::string hex_text(uint64_t value) {
  std::ostringstream text;
  text << "0x" << std::hex << value;
  return text.str();
}

}  // namespace leakspy
