// The torch batch reader's harness: the batch in a buffer of exactly its
// length, every code and entry read back as the agent reads them
// (agent/python/torch_memory_history.cpp), frames included.
#include <cstring>
#include <memory>

#include "agent/python/torch_batch.h"
#include "tests/fuzz/fuzz_harnesses.h"

namespace leakspy::fuzz {

namespace {

class TouchingVisitor final : public agent::python::TorchBatchVisitor {
 public:
  void on_code(uint32_t id, std::string_view filename, std::string_view name) override {
    sum_ += id;
    for (char c : filename) sum_ += static_cast<uint8_t>(c);
    for (char c : name) sum_ += static_cast<uint8_t>(c);
  }
  void on_entry(const agent::python::TorchEntry& entry) override {
    sum_ += entry.address + entry.size + entry.device;
    for (uint32_t i = 0; i < entry.frame_count; ++i) {
      agent::python::TorchFrame frame = agent::python::torch_frame(entry, i);
      sum_ += frame.code + frame.line;
    }
  }
  uint64_t sum() const { return sum_; }

 private:
  uint64_t sum_ = 0;
};

}  // namespace

int fuzz_torch_batch(const uint8_t* data, size_t size) {
  std::unique_ptr<uint8_t[]> batch(new uint8_t[size]);
  if (size > 0) std::memcpy(batch.get(), data, size);
  agent::python::TorchBatchHeader header;
  TouchingVisitor visitor;
  if (agent::python::read_torch_batch(batch.get(), size, &header, visitor)) {
    volatile uint64_t sink = visitor.sum() + header.note.size();
    (void)sink;
  }
  return 0;
}

}  // namespace leakspy::fuzz
