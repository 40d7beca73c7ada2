// The agent's reader of the batches agent/python/torch_history.py writes
// (agent/python/torch_batch.h): a batch is built here by the layout in the
// script's header comment (torch_history_test.py checks the script writes
// that layout), read back, and cut or spoiled at every byte.
#include "agent/python/torch_batch.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace leakspy::agent::python {
namespace {

class BatchBuilder {
 public:
  BatchBuilder(uint8_t status, uint32_t lost, const std::string& note) {
    bytes_.insert(bytes_.end(), {'L', 'S', 'T', 'B'});
    put<uint8_t>(status);
    put<uint8_t>(0);
    put<uint16_t>(0);
    put<uint32_t>(lost);
    put<uint32_t>(static_cast<uint32_t>(note.size()));
    bytes_.insert(bytes_.end(), note.begin(), note.end());
  }
  void codes(const std::vector<std::pair<uint32_t, std::pair<std::string, std::string>>>& codes) {
    put<uint32_t>(static_cast<uint32_t>(codes.size()));
    for (const auto& [id, code] : codes) {
      put<uint32_t>(id);
      put<uint16_t>(static_cast<uint16_t>(code.first.size()));
      put<uint16_t>(static_cast<uint16_t>(code.second.size()));
      bytes_.insert(bytes_.end(), code.first.begin(), code.first.end());
      bytes_.insert(bytes_.end(), code.second.begin(), code.second.end());
    }
  }
  void entry_count(uint32_t count) { put<uint32_t>(count); }
  void entry(uint8_t action, uint16_t device, uint64_t address, uint64_t size,
             const std::vector<std::pair<uint32_t, uint32_t>>& frames) {
    put<uint8_t>(action);
    put<uint8_t>(0);
    put<uint16_t>(device);
    put<uint16_t>(static_cast<uint16_t>(frames.size()));
    put<uint16_t>(0);
    put<uint64_t>(address);
    put<uint64_t>(size);
    for (auto [code, line] : frames) {
      put<uint32_t>(code);
      put<uint32_t>(line);
    }
  }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  template <typename T>
  void put(T value) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    bytes_.insert(bytes_.end(), raw, raw + sizeof(T));
  }
  std::vector<uint8_t> bytes_;
};

struct Collected final : TorchBatchVisitor {
  std::vector<std::string> codes;
  std::vector<std::string> entries;
  void on_code(uint32_t id, std::string_view filename, std::string_view name) override {
    codes.push_back(std::to_string(id) + " " + std::string(filename) + " " + std::string(name));
  }
  void on_entry(const TorchEntry& entry) override {
    std::string text = (entry.action == TorchAction::Alloc ? "alloc " : "free ") + std::to_string(entry.device) + " " +
                       std::to_string(entry.address) + " " + std::to_string(entry.size);
    for (uint32_t i = 0; i < entry.frame_count; ++i) {
      TorchFrame frame = torch_frame(entry, i);
      text += " " + std::to_string(frame.code) + ":" + std::to_string(frame.line);
    }
    entries.push_back(text);
  }
};

// Two tensors of a request on cuda:0 and cuda:1, one freed: the shape of a
// batch after a read of a serving loop's trace.
std::vector<uint8_t> serving_batch() {
  BatchBuilder batch(1, 0, "PyTorch 2.4.1: recording CUDA tensors on cuda:N/torch (memory history)");
  batch.codes({{1, {"/srv/model.py", "forward"}}, {2, {"/srv/app.py", "handle"}}});
  batch.entry_count(3);
  batch.entry(1, 0, 0x7f0000000000, 4 << 20, {{1, 41}, {2, 12}});
  batch.entry(1, 1, 0x7e0000000000, 512, {{2, 13}});
  batch.entry(2, 0, 0x7f0000000000, 4 << 20, {});
  return batch.bytes();
}

TEST(TorchBatch, ReadsStatusNoteCodesAndEntriesInOrder) {
  std::vector<uint8_t> bytes = serving_batch();
  TorchBatchHeader header;
  Collected collected;
  ASSERT_TRUE(read_torch_batch(bytes.data(), bytes.size(), &header, collected));
  EXPECT_EQ(header.status, TorchHistoryStatus::Recording);
  EXPECT_EQ(header.lost, 0u);
  EXPECT_EQ(header.note, "PyTorch 2.4.1: recording CUDA tensors on cuda:N/torch (memory history)");
  EXPECT_EQ(header.codes, 2u);
  EXPECT_EQ(header.entries, 3u);
  EXPECT_EQ(collected.codes, (std::vector<std::string>{"1 /srv/model.py forward", "2 /srv/app.py handle"}));
  EXPECT_EQ(collected.entries, (std::vector<std::string>{"alloc 0 139637976727552 4194304 1:41 2:12",
                                                         "alloc 1 138538465099776 512 2:13",
                                                         "free 0 139637976727552 4194304"}));
}

TEST(TorchBatch, AnEmptyWaitingBatchIsABatch) {
  BatchBuilder batch(0, 0, "");
  batch.codes({});
  batch.entry_count(0);
  TorchBatchHeader header;
  Collected collected;
  ASSERT_TRUE(read_torch_batch(batch.bytes().data(), batch.bytes().size(), &header, collected));
  EXPECT_EQ(header.status, TorchHistoryStatus::Waiting);
  EXPECT_TRUE(header.note.empty());
  EXPECT_TRUE(collected.entries.empty());
}

TEST(TorchBatch, EveryCutIsRefusedAndNothingPastItIsVisited) {
  std::vector<uint8_t> bytes = serving_batch();
  for (size_t size = 0; size < bytes.size(); ++size) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(size));
    TorchBatchHeader header;
    Collected collected;
    EXPECT_FALSE(read_torch_batch(cut.data(), cut.size(), &header, collected)) << "cut at " << size;
    EXPECT_LE(collected.entries.size(), 2u);
  }
}

TEST(TorchBatch, WrongMagicStatusOrActionIsRefused) {
  std::vector<uint8_t> bytes = serving_batch();
  TorchBatchHeader header;
  Collected collected;
  std::vector<uint8_t> magic = bytes;
  magic[0] = 'X';
  EXPECT_FALSE(read_torch_batch(magic.data(), magic.size(), &header, collected));
  std::vector<uint8_t> status = bytes;
  status[4] = 3;
  EXPECT_FALSE(read_torch_batch(status.data(), status.size(), &header, collected));

  BatchBuilder batch(1, 0, "");
  batch.codes({});
  batch.entry_count(1);
  batch.entry(7, 0, 0x1000, 512, {});
  EXPECT_FALSE(read_torch_batch(batch.bytes().data(), batch.bytes().size(), &header, collected));
}

TEST(TorchBatch, ACountBeyondTheBytesIsRefused) {
  BatchBuilder batch(1, 2, "wrapped");
  batch.codes({});
  batch.entry_count(1000000);
  batch.entry(1, 0, 0x1000, 512, {{1, 2}});
  TorchBatchHeader header;
  Collected collected;
  EXPECT_FALSE(read_torch_batch(batch.bytes().data(), batch.bytes().size(), &header, collected));
  EXPECT_EQ(header.lost, 2u);
  EXPECT_EQ(collected.entries.size(), 1u);
}

}  // namespace
}  // namespace leakspy::agent::python
