// Evaluates DWARF call frame information (.eh_frame) for one address.
// References: the DWARF 5 standard, section 6.4 (call frame information), and
// the LSB's .eh_frame / .eh_frame_hdr description:
// https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/ehframechpt.html

#include "agent/unwind_rule.h"

#include <dlfcn.h>
#include <link.h>

#include <cstring>

namespace leakspy::agent {

namespace {

// DWARF register numbers on x86-64.
constexpr uint64_t kRegRbp = 6;
constexpr uint64_t kRegRsp = 7;
constexpr uint64_t kRegRip = 16;

// DW_EH_PE pointer encodings.
constexpr uint8_t kPeOmit = 0xff;
constexpr uint8_t kPeFormatMask = 0x0f;
constexpr uint8_t kPeApplicationMask = 0x70;
constexpr uint8_t kPePcrel = 0x10;
constexpr uint8_t kPeDatarel = 0x30;
constexpr uint8_t kPeIndirect = 0x80;

// A cursor over [position, end) inside the module's image. A read that would
// pass the end fails instead (ok() turns false and zeros come back), and so
// do skips and sub-ranges: no length, count or offset read from the CFI can
// move the cursor outside the bytes it was given. Positions are integers, so
// that a wild offset is a failed check rather than pointer overflow.
class Reader {
 public:
  // A failed reader when [begin, end) is not inside the image.
  Reader(uintptr_t begin, uintptr_t end, const CfiImage& image) : p_(begin), end_(end), image_(image) {
    if (begin < image.begin || end > image.end || begin > end) fail();
  }
  // From `begin` to the end of the image.
  static Reader at(uintptr_t begin, const CfiImage& image) { return Reader(begin, image.end, image); }
  // A failed reader: every read gives zero.
  static Reader none() { return Reader(0, 0, CfiImage{1, 0}); }

  bool ok() const { return ok_; }
  uintptr_t position() const { return p_; }
  uint64_t remaining() const { return end_ - p_; }
  bool at_end() const { return p_ == end_; }

  void skip(uint64_t n) {
    if (!ok_ || n > remaining()) {
      fail();
      return;
    }
    p_ += n;
  }
  // The next `n` bytes as a reader of their own; this one moves past them.
  Reader sub(uint64_t n) {
    if (!ok_ || n > remaining()) {
      fail();
      return none();
    }
    Reader part(p_, p_ + n, image_);
    p_ += n;
    return part;
  }
  // A NUL-terminated string that ends before the reader does, or nullptr.
  const char* c_string() {
    if (!ok_) return nullptr;
    const auto* text = reinterpret_cast<const char*>(p_);
    const void* nul = std::memchr(text, '\0', remaining());
    if (nul == nullptr) {
      fail();
      return nullptr;
    }
    p_ += static_cast<uintptr_t>(static_cast<const char*>(nul) - text) + 1;
    return text;
  }

  uint8_t u8() { return fixed<uint8_t>(); }
  template <typename T>
  T fixed() {
    T value{};
    if (!ok_ || remaining() < sizeof(T)) {
      fail();
      return value;
    }
    std::memcpy(&value, reinterpret_cast<const void*>(p_), sizeof(T));
    p_ += sizeof(T);
    return value;
  }
  uint64_t uleb() {
    uint64_t result = 0;
    for (int shift = 0; shift < 64 && ok_; shift += 7) {
      uint8_t byte = u8();
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return result;
    }
    fail();
    return 0;
  }
  int64_t sleb() {
    uint64_t result = 0;
    int shift = 0;
    uint8_t byte;
    do {
      byte = u8();
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      shift += 7;
    } while ((byte & 0x80) && shift < 64 && ok_);
    if (shift < 64 && (byte & 0x40)) result |= ~uint64_t{0} << shift;
    return static_cast<int64_t>(result);
  }
  // A pointer in DW_EH_PE encoding. `data_base` serves datarel (.eh_frame_hdr).
  // An indirect pointer is followed only to a slot inside the image.
  uintptr_t encoded(uint8_t encoding, uintptr_t data_base) {
    if (encoding == kPeOmit) return 0;
    uintptr_t origin = p_;
    uintptr_t value = 0;
    switch (encoding & kPeFormatMask) {
      case 0x00: value = fixed<uint64_t>(); break;
      case 0x01: value = uleb(); break;
      case 0x02: value = fixed<uint16_t>(); break;
      case 0x03: value = fixed<uint32_t>(); break;
      case 0x04: value = fixed<uint64_t>(); break;
      case 0x09: value = static_cast<uintptr_t>(sleb()); break;
      case 0x0a: value = static_cast<uintptr_t>(static_cast<int64_t>(fixed<int16_t>())); break;
      case 0x0b: value = static_cast<uintptr_t>(static_cast<int64_t>(fixed<int32_t>())); break;
      case 0x0c: value = fixed<uint64_t>(); break;
      default: fail(); return 0;
    }
    switch (encoding & kPeApplicationMask) {
      case 0: break;
      case kPePcrel: value += origin; break;
      case kPeDatarel: value += data_base; break;
      default: fail(); return 0;
    }
    if (encoding & kPeIndirect) {
      Reader slot = at(value, image_);
      value = slot.fixed<uintptr_t>();
      if (!slot.ok()) fail();
    }
    return value;
  }

 private:
  void fail() {
    ok_ = false;
    p_ = end_;
  }

  uintptr_t p_;
  uintptr_t end_;
  CfiImage image_;
  bool ok_ = true;
};

// factor * alignment as DWARF means it, wrapping instead of overflowing:
// a damaged factor gives a wild offset, which to_rule() refuses.
int64_t scaled(uint64_t factor, int64_t alignment) {
  return static_cast<int64_t>(factor * static_cast<uint64_t>(alignment));
}

// The CFI table row for one register.
struct RegisterRule {
  enum Kind : uint8_t { Unchanged, Undefined, AtCfa, AtRbp, Unsupported } kind = Unchanged;
  int64_t offset = 0;
};

struct Row {
  uint64_t cfa_register = kRegRsp;
  int64_t cfa_offset = 8;
  bool cfa_deref_rbp = false;  // CFA = *(rbp + cfa_offset)
  bool cfa_unsupported = false;
  RegisterRule rbp;
  RegisterRule rip;
};

struct Cie {
  uint64_t code_alignment = 1;
  int64_t data_alignment = -8;
  uint64_t return_register = kRegRip;
  uint8_t fde_encoding = 0;
  bool signal_frame = false;
  bool augmentation_data = false;  // 'z': each FDE has an augmentation data length
  Reader instructions = Reader::none();
};

// Reads an .eh_frame entry's length; returns a reader over the rest of the
// entry (failed for the zero terminator or an entry past the image).
Reader entry_body(Reader& reader) {
  uint64_t length = reader.fixed<uint32_t>();
  if (length == 0xffffffff) length = reader.fixed<uint64_t>();
  if (length == 0) return Reader::none();
  return reader.sub(length);
}

bool parse_cie(uintptr_t cie_start, const CfiImage& image, Cie* cie) {
  Reader entry = Reader::at(cie_start, image);
  Reader reader = entry_body(entry);
  if (reader.fixed<uint32_t>() != 0) return false;  // a CIE's id is 0 in .eh_frame
  uint8_t version = reader.u8();
  const char* augmentation = reader.c_string();
  if (!reader.ok()) return false;
  if (augmentation[0] != '\0' && augmentation[0] != 'z') return false;  // "eh" and other ancient forms
  cie->code_alignment = reader.uleb();
  cie->data_alignment = reader.sleb();
  cie->return_register = version == 1 ? reader.u8() : reader.uleb();
  if (augmentation[0] == 'z') {
    cie->augmentation_data = true;
    Reader data = reader.sub(reader.uleb());
    for (const char* letter = augmentation + 1; *letter != '\0'; ++letter) {
      if (*letter == 'R') {
        cie->fde_encoding = data.u8();
      } else if (*letter == 'L') {
        data.u8();
      } else if (*letter == 'P') {
        // The personality routine is not needed: its pointer is read past,
        // not followed (its slot may lie outside the bytes given).
        uint8_t encoding = data.u8();
        if (encoding != kPeOmit) data.encoded(static_cast<uint8_t>(encoding & ~kPeIndirect), 0);
      } else if (*letter == 'S') {
        cie->signal_frame = true;
      } else {
        break;  // an unknown letter: where its data ends is unknown, and the length skips the rest
      }
    }
    if (!data.ok()) return false;
  }
  cie->instructions = reader;
  return reader.ok() && cie->return_register == kRegRip;
}

// Recognises the two expressions GCC emits for stack-realigning functions.
bool is_breg6(Reader& block, int64_t* offset) {
  if (block.u8() != 0x76) return false;  // DW_OP_breg6 (rbp)
  *offset = block.sleb();
  return block.ok();
}

class CfiProgram {
 public:
  CfiProgram(const Cie& cie, uintptr_t start, uintptr_t target) : cie_(cie), location_(start), target_(target) {}

  // Runs instructions until the row for `target` is complete. False when the
  // location moved past the target (the row is final) - true otherwise.
  bool run(Reader reader, Row* row, const Row* initial) {
    int instructions = 0;
    while (!reader.at_end() && reader.ok()) {
      if (++instructions > 10000) return false;
      uint8_t opcode = reader.u8();
      uint8_t low = opcode & 0x3f;
      switch (opcode & 0xc0) {
        case 0x40:
          if (!advance(low * cie_.code_alignment)) return false;
          continue;
        case 0x80:
          set_offset(row, low, scaled(reader.uleb(), cie_.data_alignment));
          continue;
        case 0xc0:
          restore(row, initial, low);
          continue;
        default:
          break;
      }
      switch (opcode) {
        case 0x00: break;                                                            // nop
        case 0x01: location_ = reader.encoded(cie_.fde_encoding, 0); break;          // set_loc
        case 0x02: if (!advance(reader.u8() * cie_.code_alignment)) return false; break;
        case 0x03: if (!advance(reader.fixed<uint16_t>() * cie_.code_alignment)) return false; break;
        case 0x04: if (!advance(reader.fixed<uint32_t>() * cie_.code_alignment)) return false; break;
        case 0x05: {                                                                 // offset_extended
          uint64_t reg = reader.uleb();
          set_offset(row, reg, scaled(reader.uleb(), cie_.data_alignment));
          break;
        }
        case 0x06: restore(row, initial, reader.uleb()); break;                       // restore_extended
        case 0x07: set_kind(row, reader.uleb(), RegisterRule::Undefined); break;      // undefined
        case 0x08: set_kind(row, reader.uleb(), RegisterRule::Unchanged); break;      // same_value
        case 0x09: reader.uleb(); set_kind(row, reader.uleb(), RegisterRule::Unsupported); break;  // register
        case 0x0a:                                                                   // remember_state
          if (depth_ == kMaxDepth) return false;
          stack_[depth_++] = *row;
          break;
        case 0x0b:                                                                   // restore_state
          if (depth_ == 0) return false;
          {
            Row saved = stack_[--depth_];
            row->cfa_register = saved.cfa_register;  // the CFA is not part of the saved state
            row->rbp = saved.rbp;                    // in some producers; GCC saves it: restore all
            row->rip = saved.rip;
            row->cfa_offset = saved.cfa_offset;
            row->cfa_deref_rbp = saved.cfa_deref_rbp;
            row->cfa_unsupported = saved.cfa_unsupported;
          }
          break;
        case 0x0c:                                                                   // def_cfa
          row->cfa_register = reader.uleb();
          row->cfa_offset = static_cast<int64_t>(reader.uleb());
          row->cfa_deref_rbp = row->cfa_unsupported = false;
          break;
        case 0x0d: row->cfa_register = reader.uleb(); row->cfa_deref_rbp = false; break;   // def_cfa_register
        case 0x0e: row->cfa_offset = static_cast<int64_t>(reader.uleb()); break;         // def_cfa_offset
        case 0x0f: {                                                                 // def_cfa_expression
          Reader block = reader.sub(reader.uleb());
          int64_t offset = 0;
          row->cfa_unsupported = !(is_breg6(block, &offset) && block.u8() == 0x06 && block.at_end());  // DW_OP_deref
          row->cfa_deref_rbp = !row->cfa_unsupported;
          row->cfa_offset = offset;
          break;
        }
        case 0x10: {                                                                 // expression
          uint64_t reg = reader.uleb();
          Reader block = reader.sub(reader.uleb());
          int64_t offset = 0;
          if (reg == kRegRbp && is_breg6(block, &offset) && block.at_end()) {
            row->rbp = {RegisterRule::AtRbp, offset};
          } else {
            set_kind(row, reg, RegisterRule::Unsupported);
          }
          break;
        }
        case 0x11: {                                                                 // offset_extended_sf
          uint64_t reg = reader.uleb();
          set_offset(row, reg, scaled(static_cast<uint64_t>(reader.sleb()), cie_.data_alignment));
          break;
        }
        case 0x12:                                                                   // def_cfa_sf
          row->cfa_register = reader.uleb();
          row->cfa_offset = scaled(static_cast<uint64_t>(reader.sleb()), cie_.data_alignment);
          row->cfa_deref_rbp = row->cfa_unsupported = false;
          break;
        case 0x13:                                                                   // def_cfa_offset_sf
          row->cfa_offset = scaled(static_cast<uint64_t>(reader.sleb()), cie_.data_alignment);
          break;
        case 0x14: case 0x15: {                                                      // val_offset(_sf)
          uint64_t reg = reader.uleb();
          if (opcode == 0x14) reader.uleb(); else reader.sleb();
          set_kind(row, reg, RegisterRule::Unsupported);
          break;
        }
        case 0x16: {                                                                 // val_expression
          uint64_t reg = reader.uleb();
          reader.skip(reader.uleb());
          set_kind(row, reg, RegisterRule::Unsupported);
          break;
        }
        case 0x2e: reader.uleb(); break;                                             // GNU_args_size
        case 0x2f: {                                                                 // GNU_negative_offset_extended
          uint64_t reg = reader.uleb();
          set_offset(row, reg, scaled(0 - reader.uleb(), cie_.data_alignment));
          break;
        }
        default:
          row->cfa_unsupported = true;  // an opcode we do not know: do not trust this row
          return false;
      }
    }
    return reader.ok();
  }

 private:
  static constexpr int kMaxDepth = 8;

  bool advance(uint64_t delta) {
    if (location_ > target_ || delta > target_ - location_) return false;
    location_ += delta;
    return true;
  }
  static RegisterRule* rule_for(Row* row, uint64_t reg) {
    if (reg == kRegRbp) return &row->rbp;
    if (reg == kRegRip) return &row->rip;
    return nullptr;
  }
  static void set_offset(Row* row, uint64_t reg, int64_t offset) {
    if (RegisterRule* rule = rule_for(row, reg)) *rule = {RegisterRule::AtCfa, offset};
  }
  static void set_kind(Row* row, uint64_t reg, RegisterRule::Kind kind) {
    if (RegisterRule* rule = rule_for(row, reg)) *rule = {kind, 0};
  }
  static void restore(Row* row, const Row* initial, uint64_t reg) {
    RegisterRule* rule = rule_for(row, reg);
    if (rule == nullptr) return;
    *rule = initial == nullptr ? RegisterRule{} : (reg == kRegRbp ? initial->rbp : initial->rip);
  }

  const Cie& cie_;
  uintptr_t location_;
  uintptr_t target_;
  Row stack_[kMaxDepth];
  int depth_ = 0;
};

UnwindRule to_rule(const Row& row) {
  UnwindRule rule;
  if (row.rip.kind == RegisterRule::Undefined) {
    rule.kind = UnwindRule::kEndOfStack;
    return rule;
  }
  if (row.cfa_unsupported || row.rip.kind != RegisterRule::AtCfa || row.rip.offset < -128 || row.rip.offset > 127) {
    return rule;
  }
  if (row.cfa_deref_rbp) {
    rule.cfa_base = UnwindRule::kCfaDerefRbp;
  } else if (row.cfa_register == kRegRsp) {
    rule.cfa_base = UnwindRule::kCfaRsp;
  } else if (row.cfa_register == kRegRbp) {
    rule.cfa_base = UnwindRule::kCfaRbp;
  } else {
    return rule;
  }
  if (row.cfa_offset < INT32_MIN || row.cfa_offset > INT32_MAX) return rule;
  rule.cfa_offset = static_cast<int32_t>(row.cfa_offset);
  rule.ra_offset = static_cast<int8_t>(row.rip.offset);
  switch (row.rbp.kind) {
    case RegisterRule::Unchanged:
    case RegisterRule::Undefined: rule.rbp_rule = UnwindRule::kRbpUnchanged; break;
    case RegisterRule::AtCfa: rule.rbp_rule = UnwindRule::kRbpAtCfa; break;
    case RegisterRule::AtRbp: rule.rbp_rule = UnwindRule::kRbpAtRbp; break;
    case RegisterRule::Unsupported: return rule;
  }
  if (row.rbp.offset < INT16_MIN || row.rbp.offset > INT16_MAX) return rule;
  rule.rbp_offset = static_cast<int16_t>(row.rbp.offset);
  rule.kind = UnwindRule::kStep;
  return rule;
}

// Binary search in .eh_frame_hdr's table for the FDE covering `pc`; 0 when
// none does or the header is not one we read.
uintptr_t find_fde(const uint8_t* header, uintptr_t pc, const CfiImage& image) {
  auto data_base = reinterpret_cast<uintptr_t>(header);
  Reader reader = Reader::at(data_base, image);
  if (reader.u8() != 1) return 0;  // version
  uint8_t eh_frame_encoding = reader.u8();
  uint8_t count_encoding = reader.u8();
  uint8_t table_encoding = reader.u8();
  reader.encoded(eh_frame_encoding, data_base);
  uint64_t count = reader.encoded(count_encoding, data_base);
  if (!reader.ok() || table_encoding != (kPeDatarel | 0x0b)) return 0;  // the table is datarel sdata4 pairs
  if (count > reader.remaining() / 8) return 0;                         // a table past the image
  Reader table = reader.sub(count * 8);
  auto entry = [&table](uint64_t index) {
    Reader field = table;
    field.skip(index * 4);
    return static_cast<uintptr_t>(static_cast<int64_t>(field.fixed<int32_t>()));
  };
  uint64_t low = 0;
  uint64_t high = count;
  while (low < high) {  // the last entry whose start is <= pc
    uint64_t middle = low + (high - low) / 2;
    if (data_base + entry(2 * middle) <= pc) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (low == 0) return 0;
  return data_base + entry(2 * (low - 1) + 1);
}

struct EhFrameQuery {
  uintptr_t pc;
  const uint8_t* eh_frame_hdr;
  CfiImage image;
};

int find_eh_frame_hdr(dl_phdr_info* info, size_t, void* data) {
  auto* query = static_cast<EhFrameQuery*>(data);
  bool inside = false;
  const uint8_t* header = nullptr;
  CfiImage image{UINTPTR_MAX, 0};
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + phdr.p_vaddr;
    if (phdr.p_type == PT_LOAD) {
      if (query->pc >= start && query->pc < start + phdr.p_memsz) inside = true;
      if (start < image.begin) image.begin = start;
      if (start + phdr.p_memsz > image.end) image.end = start + phdr.p_memsz;
    }
    if (phdr.p_type == PT_GNU_EH_FRAME) header = reinterpret_cast<const uint8_t*>(start);
  }
  if (!inside) return 0;
  query->eh_frame_hdr = header;
  query->image = image;
  return 1;
}

using FindObject = int (*)(void*, dl_find_object*);

const uint8_t* eh_frame_hdr_of(uintptr_t pc, CfiImage* image) {
  // _dl_find_object (glibc 2.35) finds the module without taking the loader
  // lock; older glibc falls back to dl_iterate_phdr.
  static FindObject find_object = reinterpret_cast<FindObject>(dlsym(RTLD_DEFAULT, "_dl_find_object"));
  if (find_object != nullptr) {
    dl_find_object result{};
    if (find_object(reinterpret_cast<void*>(pc), &result) != 0) return nullptr;
    image->begin = reinterpret_cast<uintptr_t>(result.dlfo_map_start);
    image->end = reinterpret_cast<uintptr_t>(result.dlfo_map_end);
    return static_cast<const uint8_t*>(result.dlfo_eh_frame);
  }
  EhFrameQuery query{pc, nullptr, {}};
  dl_iterate_phdr(find_eh_frame_hdr, &query);
  *image = query.image;
  return query.eh_frame_hdr;
}

}  // namespace

UnwindRule compute_unwind_rule_in(const uint8_t* eh_frame_hdr, uintptr_t return_address, CfiImage image) {
  if (eh_frame_hdr == nullptr || return_address == 0) return {};
  uintptr_t pc = return_address - 1;  // inside the call instruction, not after it
  uintptr_t fde = find_fde(eh_frame_hdr, pc, image);
  if (fde == 0) return {};
  Reader entry = Reader::at(fde, image);
  Reader reader = entry_body(entry);
  uintptr_t cie_pointer_field = reader.position();
  uint32_t cie_offset = reader.fixed<uint32_t>();
  if (!reader.ok() || cie_offset == 0) return {};                // a CIE, not an FDE
  if (cie_offset > cie_pointer_field - image.begin) return {};   // a CIE before the image
  Cie cie;
  if (!parse_cie(cie_pointer_field - cie_offset, image, &cie) || cie.signal_frame) return {};
  uintptr_t start = reader.encoded(cie.fde_encoding, 0);
  uintptr_t range = reader.encoded(cie.fde_encoding & kPeFormatMask, 0);
  if (!reader.ok() || pc < start || pc - start >= range) return {};
  // 'z' augmentation: the FDE's augmentation data has a length; skip it.
  if (cie.augmentation_data) reader.skip(reader.uleb());
  if (!reader.ok()) return {};
  Row initial;
  CfiProgram cie_program(cie, start, pc);
  cie_program.run(cie.instructions, &initial, nullptr);
  Row row = initial;
  CfiProgram fde_program(cie, start, pc);
  fde_program.run(reader, &row, &initial);
  return to_rule(row);
}

UnwindRule compute_unwind_rule(uintptr_t return_address) {
  CfiImage image;
  const uint8_t* eh_frame_hdr = eh_frame_hdr_of(return_address - 1, &image);
  return compute_unwind_rule_in(eh_frame_hdr, return_address, image);
}

}  // namespace leakspy::agent
