#include "analyze/heap_selection.h"

#include "common/error.h"

namespace leakspy::analyze {

HeapSelection HeapSelection::parse(const std::string& text) {
  if (text.empty()) throw Error(ErrorKind::Usage, "--heap needs a name: host, mmap, cuda, all or a heap's name");
  return HeapSelection(text);
}

bool HeapSelection::selects(std::string_view heap_name) const {
  if (text_ == "all") return true;
  if (text_ == "host") return heap_name == "malloc" || heap_name == "python";
  if (text_ == "cuda") return heap_name.starts_with("cuda:");
  return heap_name == text_;
}

}  // namespace leakspy::analyze
