#pragma once
// Text that is safe inside SVG/XML: markup characters escaped, and whatever
// XML cannot hold (control characters, invalid UTF-8 from a file name in a
// capture) replaced, so that one odd name never makes a browser refuse the
// whole file. Thread-safe.

#include <string>
#include <string_view>

namespace leakspy::render {

// `text` with invalid UTF-8 sequences and control characters (but tab and
// newline) replaced by '?'.
std::string valid_utf8(std::string_view text);

// valid_utf8(text) with & < > " ' escaped for element text and attribute values.
std::string xml_escape(std::string_view text);

}  // namespace leakspy::render
