#pragma once
// One batch of PyTorch tensor events, as agent/python/torch_history.py
// writes it (its header comment has the layout): the history's status, a
// note for the user, the (file, function) codes first seen in this batch and
// the trace entries not handed on before. Pure logic over bytes: it checks
// every length against the batch, calls nothing of Python or PyTorch and
// never allocates, so it is unit-tested on batches built from recorded
// trace entries (tests/unit/agent/torch_batch_test.cpp).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace leakspy::agent::python {

enum class TorchHistoryStatus : uint8_t {
  Waiting = 0,    // no torch in the program yet, or CUDA not initialized by it
  Recording = 1,  // the history is on and being read
  Off = 2,        // unsupported or failed: do not ask again this session
};

enum class TorchAction : uint8_t { Alloc = 1, Free = 2 };

struct TorchFrame {
  uint32_t code;  // the batch's code id (TorchBatchVisitor::on_code)
  uint32_t line;
};

struct TorchEntry {
  TorchAction action;
  uint32_t device;
  uint64_t address;
  uint64_t size;  // Alloc: the block's size; Free: what the trace says (not needed)
  uint32_t frame_count;
  const uint8_t* frames;  // frame_count packed (code, line) pairs, innermost first: read with torch_frame()
};

TorchFrame torch_frame(const TorchEntry& entry, uint32_t index);

class TorchBatchVisitor {
 public:
  virtual void on_code(uint32_t id, std::string_view filename, std::string_view name) = 0;
  virtual void on_entry(const TorchEntry& entry) = 0;

 protected:
  ~TorchBatchVisitor() = default;
};

struct TorchBatchHeader {
  TorchHistoryStatus status = TorchHistoryStatus::Waiting;
  uint32_t lost = 0;           // the script saw the trace wrap: events went missing
  std::string_view note;       // empty when there is nothing to tell
  uint32_t codes = 0;
  uint32_t entries = 0;
};

// Reads `size` bytes: the header into `header`, then every code and entry
// in order into `visitor`. False for a batch that is not one or is cut
// short; what came before the fault has been visited.
bool read_torch_batch(const uint8_t* data, size_t size, TorchBatchHeader* header, TorchBatchVisitor& visitor);

}  // namespace leakspy::agent::python
