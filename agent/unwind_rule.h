#pragma once
// How to step from a frame to its caller, for one return address, packed in
// 64 bits so that a rule fits one slot of a lock-free cache.
//
// x86-64 code almost always describes its frames in one of these ways:
//   CFA = rsp + offset          (most functions: no frame pointer)
//   CFA = rbp + offset          (frame-pointer functions)
//   CFA = *(rbp + offset)       (GCC's DRAP for stack-realigning functions)
//   return address at CFA + offset (always -8 in practice)
//   rbp unchanged, or saved at CFA + offset, or saved at rbp + offset (DRAP)
// Anything else is "unsupported" and the caller falls back to libunwind.
//
// bit  0..1   kind        0 unsupported, 1 step, 2 end of stack (return address undefined)
// bit  2..3   cfa base    0 rsp, 1 rbp, 2 *(rbp + offset)
// bit  4..5   rbp rule    0 unchanged, 1 at CFA + rbp offset, 2 at rbp + rbp offset
// bit  8..39  cfa offset  signed 32
// bit 40..55  rbp offset  signed 16
// bit 56..63  ra offset   signed 8, in bytes

#include <cstdint>

namespace leakspy::agent {

struct UnwindRule {
  enum Kind : uint8_t { kUnsupported = 0, kStep = 1, kEndOfStack = 2 };
  enum CfaBase : uint8_t { kCfaRsp = 0, kCfaRbp = 1, kCfaDerefRbp = 2 };
  enum RbpRule : uint8_t { kRbpUnchanged = 0, kRbpAtCfa = 1, kRbpAtRbp = 2 };

  Kind kind = kUnsupported;
  CfaBase cfa_base = kCfaRsp;
  RbpRule rbp_rule = kRbpUnchanged;
  int32_t cfa_offset = 0;
  int16_t rbp_offset = 0;
  int8_t ra_offset = -8;

  uint64_t pack() const {
    return static_cast<uint64_t>(kind) | static_cast<uint64_t>(cfa_base) << 2 |
           static_cast<uint64_t>(rbp_rule) << 4 | static_cast<uint64_t>(static_cast<uint32_t>(cfa_offset)) << 8 |
           static_cast<uint64_t>(static_cast<uint16_t>(rbp_offset)) << 40 |
           static_cast<uint64_t>(static_cast<uint8_t>(ra_offset)) << 56;
  }
  static UnwindRule unpack(uint64_t bits) {
    UnwindRule rule;
    rule.kind = static_cast<Kind>(bits & 3);
    rule.cfa_base = static_cast<CfaBase>((bits >> 2) & 3);
    rule.rbp_rule = static_cast<RbpRule>((bits >> 4) & 3);
    rule.cfa_offset = static_cast<int32_t>(static_cast<uint32_t>(bits >> 8));
    rule.rbp_offset = static_cast<int16_t>(static_cast<uint16_t>(bits >> 40));
    rule.ra_offset = static_cast<int8_t>(static_cast<uint8_t>(bits >> 56));
    return rule;
  }
};

// Finds the CFI of the function holding `return_address - 1` (the call
// instruction) in the module's .eh_frame and evaluates it there. Slow path:
// a binary search and a CFI program per call. Never allocates; thread-safe.
UnwindRule compute_unwind_rule(uintptr_t return_address);

// The bytes a module's CFI may be read from: its image as mapped, from its
// first loaded segment to the end of its last. Every length, count and offset
// in .eh_frame_hdr and .eh_frame is checked against it, so a damaged or
// hostile module cannot send the parser into memory outside its own mapping
// (gaps between segments are inside the range: the loader maps them).
struct CfiImage {
  uintptr_t begin = 0;
  uintptr_t end = 0;
};

// The same, for code whose .eh_frame_hdr and image are known (tests, fuzzing:
// tests/fuzz/eh_frame_harness.cpp).
UnwindRule compute_unwind_rule_in(const uint8_t* eh_frame_hdr, uintptr_t return_address, CfiImage image);

}  // namespace leakspy::agent
