#include "render/xml_text.h"

#include <gtest/gtest.h>

namespace leakspy::render {
namespace {

TEST(XmlText, EscapesMarkup) {
  EXPECT_EQ(xml_escape("std::map<int, int>::operator[](int const&) \"q\" 'a'"),
            "std::map&lt;int, int&gt;::operator[](int const&amp;) &quot;q&quot; &apos;a&apos;");
}

TEST(XmlText, ReplacesWhatXmlCannotHold) {
  EXPECT_EQ(valid_utf8("caf\xc3\xa9"), "caf\xc3\xa9");  // é stays
  EXPECT_EQ(valid_utf8("a\xff"
                       "b"),
            "a?b");                              // not UTF-8
  EXPECT_EQ(valid_utf8("a\xc3"), "a?");          // cut short
  EXPECT_EQ(valid_utf8("\xc0\xaf"), "??");       // overlong
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "???");  // a surrogate
  EXPECT_EQ(valid_utf8(std::string("a\0b\x01\tc\n", 7)), "a?b?\tc\n");
  EXPECT_EQ(valid_utf8("\xf0\x9f\x94\xa5"), "\xf0\x9f\x94\xa5");  // 4 bytes
}

}  // namespace
}  // namespace leakspy::render
