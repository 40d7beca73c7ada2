#pragma once
// Which heaps a report counts, chosen by name so that it keeps working as
// heaps are added (heap ids are the capture's; names come from Heap records):
//   host   the host heap allocators: malloc and python (the agent does not
//          count the mallocs behind Python's allocator again)
//   mmap   mmap/munmap/mremap
//   cuda   device memory as the CUDA driver handed it out (segments): cuda:N,
//          cuda:N/physical, cuda:pinned; not the cuda:N/mapped views of
//          physical memory nor the cuda:N/torch tensors inside segments
//   torch  PyTorch's tensors: every cuda:N/torch heap
//   all    every heap
//   NAME   one heap by its name ("python", "cuda:0", ...)
// Thread-safe (immutable after parsing).

#include <string>
#include <string_view>

namespace leakspy::analyze {

class HeapSelection {
 public:
  HeapSelection() : HeapSelection(parse("host")) {}
  // Throws Error(Usage) for an empty name.
  static HeapSelection parse(const std::string& text);

  bool selects(std::string_view heap_name) const;
  // host, mmap, cuda, torch or all: a family, which a capture may well not have.
  bool is_family() const {
    return text_ == "host" || text_ == "mmap" || text_ == "cuda" || text_ == "torch" || text_ == "all";
  }
  const std::string& text() const { return text_; }

 private:
  explicit HeapSelection(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

// Which level of GPU memory a cuda heap counts ("segments (...)",
// "tensors (...)", "mappings (...)"); empty for other heaps.
std::string_view cuda_heap_level(std::string_view heap_name);

}  // namespace leakspy::analyze
