// The .eh_frame parser's harness (agent/unwind_rule.h). The parser runs inside
// the target on the modules the target mapped, so it is handed the module's
// image as bounds; here the image is a heap buffer of exactly the fuzzer's
// bytes, and every offset in it - the header's table, the FDE pointers, the
// CIE pointers, lengths, indirect pointers - may be anything. A read outside
// the buffer is a sanitizer report: the parser must refuse from the bytes
// inside alone. Offsets are relative (pcrel, datarel), so an input means the
// same wherever the buffer lands.
#include <cstring>
#include <memory>

#include "agent/unwind_rule.h"
#include "tests/fuzz/fuzz_harnesses.h"

namespace leakspy::fuzz {

int fuzz_eh_frame(const uint8_t* data, size_t size) {
  int32_t pc_offset = 0;
  if (size < sizeof(pc_offset)) return 0;
  std::memcpy(&pc_offset, data, sizeof(pc_offset));
  size_t image_size = size - sizeof(pc_offset);
  std::unique_ptr<uint8_t[]> image(new uint8_t[image_size]);
  if (image_size > 0) std::memcpy(image.get(), data + sizeof(pc_offset), image_size);
  auto begin = reinterpret_cast<uintptr_t>(image.get());
  agent::CfiImage bounds{begin, begin + image_size};
  // The pc is an address, not a pointer: it may lie anywhere (code sits
  // outside .eh_frame), and is only compared.
  uintptr_t return_address = begin + static_cast<uintptr_t>(static_cast<intptr_t>(pc_offset));
  agent::UnwindRule rule = agent::compute_unwind_rule_in(image.get(), return_address, bounds);
  volatile uint64_t sink = rule.pack();
  (void)sink;
  return 0;
}

}  // namespace leakspy::fuzz
