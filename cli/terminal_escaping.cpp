#include "cli/terminal_escaping.h"

#include <iostream>

namespace leakspy::cli {

namespace {

constexpr unsigned char kC1Lead = 0xC2;  // UTF-8 of U+0080..U+00BF begins with it

bool is_control(unsigned char byte) { return (byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7F; }

}  // namespace

ControlEscapingBuffer::~ControlEscapingBuffer() { flush_lead_byte(); }

bool ControlEscapingBuffer::put_escaped(unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char text[4] = {'\\', 'x', kHex[byte >> 4], kHex[byte & 15]};
  return target_->sputn(text, 4) == 4;
}

bool ControlEscapingBuffer::flush_lead_byte() {
  if (!pending_lead_) return true;
  pending_lead_ = false;
  return target_->sputc(static_cast<char>(kC1Lead)) != traits_type::eof();
}

ControlEscapingBuffer::int_type ControlEscapingBuffer::overflow(int_type character) {
  if (traits_type::eq_int_type(character, traits_type::eof())) return traits_type::not_eof(character);
  auto byte = static_cast<unsigned char>(traits_type::to_char_type(character));
  if (pending_lead_) {
    pending_lead_ = false;
    if (byte >= 0x80 && byte <= 0x9F) {  // a C1 control
      return put_escaped(kC1Lead) && put_escaped(byte) ? character : traits_type::eof();
    }
    if (target_->sputc(static_cast<char>(kC1Lead)) == traits_type::eof()) return traits_type::eof();
  }
  if (byte == kC1Lead) {
    pending_lead_ = true;
    return character;
  }
  if (is_control(byte)) return put_escaped(byte) ? character : traits_type::eof();
  return target_->sputc(static_cast<char>(byte)) == traits_type::eof() ? traits_type::eof() : character;
}

std::streamsize ControlEscapingBuffer::xsputn(const char* text, std::streamsize count) {
  // Runs of plain bytes go through in one piece; the rest one by one.
  std::streamsize done = 0;
  while (done < count) {
    std::streamsize run = 0;
    while (!pending_lead_ && done + run < count) {
      auto byte = static_cast<unsigned char>(text[done + run]);
      if (is_control(byte) || byte == kC1Lead) break;
      ++run;
    }
    if (run > 0) {
      if (target_->sputn(text + done, run) != run) return done;
      done += run;
      continue;
    }
    if (traits_type::eq_int_type(overflow(traits_type::to_int_type(text[done])), traits_type::eof())) return done;
    ++done;
  }
  return done;
}

int ControlEscapingBuffer::sync() {
  // A lead byte at a flush stays held: the byte after it may still come.
  return target_->pubsync();
}

EscapedStandardStreams::EscapedStandardStreams()
    : out_original_(std::cout.rdbuf()), err_original_(std::cerr.rdbuf()), out_(out_original_), err_(err_original_) {
  std::cout.rdbuf(&out_);
  std::cerr.rdbuf(&err_);
}

EscapedStandardStreams::~EscapedStandardStreams() {
  std::cout.flush();
  std::cerr.flush();
  std::cout.rdbuf(out_original_);
  std::cerr.rdbuf(err_original_);
}

}  // namespace leakspy::cli
