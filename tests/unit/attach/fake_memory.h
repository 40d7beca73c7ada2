#pragma once
// A RemoteMemory over a few byte ranges of a made-up address space.

#include <cstring>
#include <map>
#include <vector>

#include "attach/remote_memory.h"
#include "common/error.h"

namespace leakspy::attach::test {

class FakeMemory : public RemoteMemory {
 public:
  void place(uintptr_t address, const std::vector<uint8_t>& bytes) { ranges_[address] = bytes; }
  void place_word(uintptr_t address, uint64_t value) {
    std::vector<uint8_t> bytes(8);
    std::memcpy(bytes.data(), &value, 8);
    place(address, bytes);
  }
  void read_memory(uintptr_t address, void* out, size_t size) const override {
    for (const auto& [start, bytes] : ranges_) {
      if (address >= start && address + size <= start + bytes.size()) {
        std::memcpy(out, bytes.data() + (address - start), size);
        return;
      }
    }
    throw Error(ErrorKind::ProcessExiting, "unmapped");
  }

 private:
  std::map<uintptr_t, std::vector<uint8_t>> ranges_;
};

// The little-endian bytes of a 32-bit displacement.
inline std::vector<uint8_t> le32(int32_t value) {
  std::vector<uint8_t> bytes(4);
  std::memcpy(bytes.data(), &value, 4);
  return bytes;
}

}  // namespace leakspy::attach::test
