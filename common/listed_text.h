#pragma once
// "12, 13, 14, ...": the first few items of a list as text, for messages
// that name what they count. Offline side (allocates).

#include <string>
#include <vector>

namespace leakspy {

inline std::string listed_text(const std::vector<std::string>& items, size_t most = 8) {
  std::string text;
  for (size_t i = 0; i < items.size() && i < most; ++i) text += (i ? ", " : "") + items[i];
  if (items.size() > most) text += ", ...";
  return text;
}

}  // namespace leakspy
