#include "agent/python/torch_batch.h"

#include <cstring>

namespace leakspy::agent::python {

namespace {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  template <typename T>
  bool read(T* value) {
    if (size_ - offset_ < sizeof(T)) return false;
    std::memcpy(value, data_ + offset_, sizeof(T));
    offset_ += sizeof(T);
    return true;
  }
  bool bytes(size_t count, const uint8_t** out) {
    if (size_ - offset_ < count) return false;
    *out = data_ + offset_;
    offset_ += count;
    return true;
  }
  bool text(size_t count, std::string_view* out) {
    const uint8_t* start = nullptr;
    if (!bytes(count, &start)) return false;
    *out = std::string_view(reinterpret_cast<const char*>(start), count);
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t offset_ = 0;
};

constexpr char kMagic[4] = {'L', 'S', 'T', 'B'};
constexpr size_t kFrameBytes = 8;

bool read_code(ByteReader& reader, TorchBatchVisitor& visitor) {
  uint32_t id = 0;
  uint16_t filename_length = 0;
  uint16_t name_length = 0;
  std::string_view filename;
  std::string_view name;
  if (!reader.read(&id) || !reader.read(&filename_length) || !reader.read(&name_length) ||
      !reader.text(filename_length, &filename) || !reader.text(name_length, &name)) {
    return false;
  }
  visitor.on_code(id, filename, name);
  return true;
}

bool read_entry(ByteReader& reader, TorchBatchVisitor& visitor) {
  uint8_t action = 0;
  uint8_t reserved8 = 0;
  uint16_t device = 0;
  uint16_t frame_count = 0;
  uint16_t reserved16 = 0;
  TorchEntry entry{};
  if (!reader.read(&action) || !reader.read(&reserved8) || !reader.read(&device) || !reader.read(&frame_count) ||
      !reader.read(&reserved16) || !reader.read(&entry.address) || !reader.read(&entry.size) ||
      !reader.bytes(size_t{frame_count} * kFrameBytes, &entry.frames)) {
    return false;
  }
  if (action != static_cast<uint8_t>(TorchAction::Alloc) && action != static_cast<uint8_t>(TorchAction::Free)) {
    return false;
  }
  entry.action = static_cast<TorchAction>(action);
  entry.device = device;
  entry.frame_count = frame_count;
  visitor.on_entry(entry);
  return true;
}

}  // namespace

TorchFrame torch_frame(const TorchEntry& entry, uint32_t index) {
  TorchFrame frame{};
  std::memcpy(&frame.code, entry.frames + size_t{index} * kFrameBytes, sizeof(frame.code));
  std::memcpy(&frame.line, entry.frames + size_t{index} * kFrameBytes + 4, sizeof(frame.line));
  return frame;
}

bool read_torch_batch(const uint8_t* data, size_t size, TorchBatchHeader* header, TorchBatchVisitor& visitor) {
  ByteReader reader(data, size);
  char magic[4] = {};
  uint8_t status = 0;
  uint8_t reserved8 = 0;
  uint16_t reserved16 = 0;
  uint32_t note_length = 0;
  if (!reader.read(&magic) || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0 || !reader.read(&status) ||
      !reader.read(&reserved8) || !reader.read(&reserved16) || !reader.read(&header->lost) ||
      !reader.read(&note_length) || !reader.text(note_length, &header->note) || !reader.read(&header->codes)) {
    return false;
  }
  if (status > static_cast<uint8_t>(TorchHistoryStatus::Off)) return false;
  header->status = static_cast<TorchHistoryStatus>(status);
  for (uint32_t i = 0; i < header->codes; ++i) {
    if (!read_code(reader, visitor)) return false;
  }
  if (!reader.read(&header->entries)) return false;
  for (uint32_t i = 0; i < header->entries; ++i) {
    if (!read_entry(reader, visitor)) return false;
  }
  return true;
}

}  // namespace leakspy::agent::python
