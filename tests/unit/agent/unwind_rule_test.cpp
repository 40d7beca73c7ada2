// The .eh_frame parser (agent/unwind_rule.h) on CFI built byte by byte and
// placed so that it ends where a PROT_NONE page begins: a read past the
// image it was given faults, so each malformed entry below must be refused
// from the bytes inside the image alone (the eh_frame fuzzer,
// tests/fuzz/eh_frame_harness.cpp, checks the same on random CFI).
#include "agent/unwind_rule.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace leakspy::agent {
namespace {

// Where the code the CFI describes sits, relative to the image's start (as
// .text sits before .eh_frame_hdr in a module).
constexpr int32_t kCodeOffset = -0x1000;
constexpr uint32_t kCodeSize = 0x40;

class Bytes {
 public:
  Bytes& u8(uint8_t value) {
    bytes_.push_back(value);
    return *this;
  }
  Bytes& u32(uint32_t value) {
    uint8_t raw[4];
    std::memcpy(raw, &value, 4);
    bytes_.insert(bytes_.end(), raw, raw + 4);
    return *this;
  }
  Bytes& text(const char* value) {
    bytes_.insert(bytes_.end(), value, value + std::strlen(value) + 1);
    return *this;
  }
  Bytes& raw(std::initializer_list<uint8_t> values) {
    bytes_.insert(bytes_.end(), values);
    return *this;
  }
  void put32(size_t at, uint32_t value) { std::memcpy(bytes_.data() + at, &value, 4); }
  size_t size() const { return bytes_.size(); }
  std::vector<uint8_t>& vector() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// An .eh_frame_hdr with one table entry, then a "zR" CIE (CFA = rsp + 8,
// return address at CFA - 8) and one FDE over the code: after its first
// byte (push rbp) CFA = rsp + 16 and rbp is saved at CFA - 16.
struct CfiImageBuilder {
  std::vector<uint8_t> cie_instructions{0x0c, 0x07, 0x08, 0x90, 0x01};  // def_cfa rsp+8; offset rip, 1*-8
  std::vector<uint8_t> fde_instructions{0x41, 0x0e, 0x10, 0x86, 0x02};  // advance 1; def_cfa_offset 16; offset rbp, 2*-8
  const char* augmentation = "zR";
  uint32_t augmentation_data_length = 1;
  uint32_t table_count = 1;
  bool terminate = true;  // the zero length that ends .eh_frame

  std::vector<uint8_t> build() const {
    Bytes image;
    image.raw({1, 0x1b, 0x03, 0x3b});  // version; eh_frame_ptr pcrel sdata4; count udata4; table datarel sdata4
    size_t eh_frame_ptr = image.size();
    image.u32(0).u32(table_count);
    size_t table = image.size();
    image.u32(static_cast<uint32_t>(kCodeOffset)).u32(0);
    size_t cie = image.size();
    image.put32(eh_frame_ptr, static_cast<uint32_t>(cie - eh_frame_ptr));
    image.u32(0).u32(0).u8(1).text(augmentation).u8(1).u8(0x78).u8(16).u8(static_cast<uint8_t>(augmentation_data_length));
    image.u8(0x1b);  // R: FDE pointers pcrel sdata4
    for (uint8_t byte : cie_instructions) image.u8(byte);
    image.put32(cie, static_cast<uint32_t>(image.size() - cie - 4));
    size_t fde = image.size();
    image.put32(table + 4, static_cast<uint32_t>(fde));
    image.u32(0).u32(static_cast<uint32_t>(fde + 4 - cie));
    size_t pc_begin = image.size();
    image.u32(static_cast<uint32_t>(kCodeOffset - static_cast<int64_t>(pc_begin))).u32(kCodeSize).u8(0);
    for (uint8_t byte : fde_instructions) image.u8(byte);
    image.put32(fde, static_cast<uint32_t>(image.size() - fde - 4));
    if (terminate) image.u32(0);
    return image.vector();
  }
};

// The image copied to the end of a readable page, a PROT_NONE page after it.
class GuardedImage {
 public:
  explicit GuardedImage(const std::vector<uint8_t>& image) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    map_ = static_cast<uint8_t*>(mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    EXPECT_NE(map_, MAP_FAILED);
    EXPECT_EQ(mprotect(map_ + page_, page_, PROT_NONE), 0);
    begin_ = map_ + page_ - image.size();
    std::memcpy(begin_, image.data(), image.size());
  }
  ~GuardedImage() { munmap(map_, 2 * page_); }

  UnwindRule rule_at(int64_t code_offset) const {
    auto begin = reinterpret_cast<uintptr_t>(begin_);
    CfiImage image{begin, reinterpret_cast<uintptr_t>(map_ + page_)};
    return compute_unwind_rule_in(begin_, begin + static_cast<uintptr_t>(kCodeOffset + code_offset) + 1, image);
  }

 private:
  size_t page_ = 0;
  uint8_t* map_ = nullptr;
  uint8_t* begin_ = nullptr;
};

UnwindRule rule_of(const CfiImageBuilder& builder, int64_t code_offset = 8) {
  return GuardedImage(builder.build()).rule_at(code_offset);
}

TEST(UnwindRule, WellFormedCfiGivesTheRowAtThePc) {
  UnwindRule entry = rule_of(CfiImageBuilder{}, 0);
  EXPECT_EQ(entry.kind, UnwindRule::kStep);
  EXPECT_EQ(entry.cfa_base, UnwindRule::kCfaRsp);
  EXPECT_EQ(entry.cfa_offset, 8);
  EXPECT_EQ(entry.rbp_rule, UnwindRule::kRbpUnchanged);
  UnwindRule body = rule_of(CfiImageBuilder{});
  EXPECT_EQ(body.kind, UnwindRule::kStep);
  EXPECT_EQ(body.cfa_offset, 16);
  EXPECT_EQ(body.rbp_rule, UnwindRule::kRbpAtCfa);
  EXPECT_EQ(body.rbp_offset, -16);
  EXPECT_EQ(body.ra_offset, -8);
  EXPECT_EQ(rule_of(CfiImageBuilder{}, kCodeSize).kind, UnwindRule::kUnsupported);  // past the FDE's range
}

TEST(UnwindRule, AugmentationDataLongerThanTheImageIsRefused) {
  CfiImageBuilder builder;
  builder.augmentation_data_length = 0x7f;
  EXPECT_EQ(rule_of(builder).kind, UnwindRule::kUnsupported);
}

// An expression whose length runs past the image: the old reader made a
// sub-range beyond the end and then read from it.
TEST(UnwindRule, AnExpressionLongerThanTheImageIsRefused) {
  CfiImageBuilder builder;
  builder.terminate = false;
  builder.fde_instructions = {0x0f, 0x7f, 0x76};  // def_cfa_expression, 127 bytes: breg6 ...
  EXPECT_EQ(rule_of(builder).kind, UnwindRule::kUnsupported);
  builder.fde_instructions = {0x10, 0x06, 0x7f, 0x76};  // expression rbp, 127 bytes
  EXPECT_EQ(rule_of(builder).kind, UnwindRule::kUnsupported);
}

TEST(UnwindRule, ATableLongerThanTheImageIsRefused) {
  CfiImageBuilder builder;
  builder.table_count = 0x10000000;
  EXPECT_EQ(rule_of(builder).kind, UnwindRule::kUnsupported);
}

// An FDE whose length claims more than is left of the image.
TEST(UnwindRule, AnFdeLongerThanTheImageIsRefused) {
  CfiImageBuilder builder;
  builder.terminate = false;
  std::vector<uint8_t> image = builder.build();
  size_t fde = image.size() - (4 + 4 + 4 + 4 + 1 + builder.fde_instructions.size());
  uint32_t length = 0x1000;
  std::memcpy(image.data() + fde, &length, 4);
  EXPECT_EQ(GuardedImage(image).rule_at(8).kind, UnwindRule::kUnsupported);
}

// A CIE pointer that reaches back before the image's start.
TEST(UnwindRule, ACiePointerBeforeTheImageIsRefused) {
  CfiImageBuilder builder;
  builder.terminate = false;
  std::vector<uint8_t> image = builder.build();
  size_t fde = image.size() - (4 + 4 + 4 + 4 + 1 + builder.fde_instructions.size());
  uint32_t cie_pointer = static_cast<uint32_t>(fde + 4 + 64);
  std::memcpy(image.data() + fde + 4, &cie_pointer, 4);
  EXPECT_EQ(GuardedImage(image).rule_at(8).kind, UnwindRule::kUnsupported);
}

}  // namespace
}  // namespace leakspy::agent
