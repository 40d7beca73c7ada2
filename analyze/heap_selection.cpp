#include "analyze/heap_selection.h"

#include "common/error.h"

namespace leakspy::analyze {

HeapSelection HeapSelection::parse(const std::string& text) {
  if (text.empty()) throw Error(ErrorKind::Usage, "--heap needs a name: host, mmap, cuda, torch, all or a heap's name");
  return HeapSelection(text);
}

bool HeapSelection::selects(std::string_view heap_name) const {
  if (text_ == "all") return true;
  if (text_ == "host") return heap_name == "malloc" || heap_name == "python";
  // Device memory as the driver handed it out. A mapping is a view of
  // physical memory already counted, and tensors live inside the caching
  // allocator's segments: adding either would count the same bytes twice.
  if (text_ == "cuda") {
    return heap_name.starts_with("cuda:") && !heap_name.ends_with("/mapped") && !heap_name.ends_with("/torch");
  }
  if (text_ == "torch") return heap_name.starts_with("cuda:") && heap_name.ends_with("/torch");
  return heap_name == text_;
}

std::string_view cuda_heap_level(std::string_view heap_name) {
  if (!heap_name.starts_with("cuda:")) return {};
  if (heap_name.ends_with("/torch")) return "tensors (PyTorch's allocated memory)";
  if (heap_name.ends_with("/mapped")) return "mappings (views of physical memory)";
  if (heap_name == "cuda:pinned") return "segments (page-locked host memory)";
  return "segments (from the CUDA driver: PyTorch's reserved memory)";
}

}  // namespace leakspy::analyze
