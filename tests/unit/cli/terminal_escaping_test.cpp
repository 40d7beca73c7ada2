#include "cli/terminal_escaping.h"

#include <gtest/gtest.h>

#include <sstream>

namespace leakspy::cli {
namespace {

std::string escaped(const std::string& text, bool byte_by_byte = false) {
  std::ostringstream sink;
  {
    ControlEscapingBuffer buffer(sink.rdbuf());
    std::ostream out(&buffer);
    if (byte_by_byte) {
      for (char c : text) out.put(c);
    } else {
      out << text;
    }
  }
  return sink.str();
}

TEST(ControlEscapingTest, TerminalEscapeSequencesArePrintedNotObeyed) {
  // Set the window title, clear the screen, move the cursor: what a hostile
  // agent note did to root's terminal.
  std::string note = "\x1b]0;pwned\x07\x1b[2J\x1b[H PASS no leak found\r";
  EXPECT_EQ(escaped(note), "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[H PASS no leak found\\x0d");
  EXPECT_EQ(escaped(note, true), escaped(note));
}

TEST(ControlEscapingTest, NewlinesTabsAndUtf8TextPassUnchanged) {
  std::string text = "top 5\tsites\nmünchen.py:12 → ok\n";
  EXPECT_EQ(escaped(text), text);
  EXPECT_EQ(escaped(text, true), text);
}

TEST(ControlEscapingTest, Utf8C1ControlsAreEscapedBothBytes) {
  // U+009B, the 8-bit CSI, in UTF-8; U+00A0 (no-break space) is text.
  EXPECT_EQ(escaped("a\xc2\x9b" "2Jb"), "a\\xc2\\x9b2Jb");
  EXPECT_EQ(escaped("a\xc2\xa0" "b"), "a\xc2\xa0" "b");
  EXPECT_EQ(escaped("end\xc2"), "end\xc2") << "a lead byte at the end is written when the stream closes";
}

TEST(ControlEscapingTest, DeleteAndNulAreEscaped) {
  EXPECT_EQ(escaped(std::string("a\x7f" "b\0c", 5)), "a\\x7fb\\x00c");
}

}  // namespace
}  // namespace leakspy::cli
