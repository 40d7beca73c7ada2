#pragma once
// Everything leakspy prints on stdout and stderr passes through here, so
// that no text from a target or a capture (note text, function and file
// names, command lines, module paths) can drive the terminal: control
// characters other than newline and tab, DEL, and the UTF-8 C1 controls
// (U+0080..U+009F, e.g. the 8-bit CSI) are written as \xNN. An escape
// sequence can set the title, clear the screen or print a fake all-clear in
// root's terminal; done at the output, not per message, it also covers every
// report written later. JSON and SVG escape on their own; files written with
// -o are not filtered. Not thread-safe (one per stream, on the main thread).

#include <ostream>
#include <streambuf>

namespace leakspy::cli {

class ControlEscapingBuffer : public std::streambuf {
 public:
  explicit ControlEscapingBuffer(std::streambuf* target) : target_(target) {}
  ~ControlEscapingBuffer() override;

 protected:
  int_type overflow(int_type character) override;
  std::streamsize xsputn(const char* text, std::streamsize count) override;
  int sync() override;

 private:
  bool put_escaped(unsigned char byte);
  bool flush_lead_byte();

  std::streambuf* target_;
  bool pending_lead_ = false;  // a 0xC2 held back: the next byte says whether it starts a C1 control
};

// Installs the filter on std::cout and std::cerr for its lifetime.
class EscapedStandardStreams {
 public:
  EscapedStandardStreams();
  ~EscapedStandardStreams();
  EscapedStandardStreams(const EscapedStandardStreams&) = delete;
  EscapedStandardStreams& operator=(const EscapedStandardStreams&) = delete;

 private:
  std::streambuf* out_original_;
  std::streambuf* err_original_;
  ControlEscapingBuffer out_;
  ControlEscapingBuffer err_;
};

}  // namespace leakspy::cli
