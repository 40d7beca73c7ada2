#pragma once
// Encodes records into the raw (uncompressed) bytes of one chunk.
// Not thread-safe; allocates (a growing byte vector). Offline/recorder side only.

#include <cstdint>
#include <string_view>
#include <vector>

#include "capture/format.h"
#include "capture/records.h"

namespace leakspy::capture {

class RecordEncoder {
 public:
  RecordEncoder();

  // Starts a new chunk: forgets the bytes and resets the delta state.
  void reset_chunk();
  const uint8_t* data() const { return buffer_.data(); }
  size_t size() const { return used_; }

  void string(std::string_view text);  // the next string id; ids start at 1
  // How many String records were written, over all chunks.
  uint32_t strings_written() const { return strings_written_; }
  void module(const ModuleRecord& module);
  void module_unload(ModuleId id);
  void heap(const HeapRecord& heap);
  void thread(const ThreadRecord& thread);
  void thread_end(ThreadIndex index);
  void node(const NodeRecord& node);
  void time(uint64_t units_since_start);
  void switch_thread(ThreadIndex index);
  void event(const EventRecord& event);
  void counters(const CountersRecord& counters);
  void allocator(const AllocatorRecord& allocator);
  void python_types(const PythonTypesRecord& census);
  void kept_by(const KeptByRecord& kept);
  void dropped(const DroppedRecord& dropped);
  void trailer(const Trailer& trailer);
  void python_code(const PythonCodeRecord& code);
  void note(const NoteRecord& note);
  void exit(const ExitRecord& exit);
  void process(const ProcessRecord& process);
  void process_end(const ProcessEndRecord& end);
  void scope(uint32_t process);
  void symbol(const SymbolRecord& symbol);

 private:
  uint8_t* reserve(size_t max_bytes);
  void commit(uint8_t* end);
  void put_type(RecordType type);
  void put(uint64_t value);
  void put_bytes(std::string_view bytes);

  std::vector<uint8_t> buffer_;
  size_t used_ = 0;
  DeltaState delta_;
  uint32_t strings_written_ = 0;
};

// The header payload that follows the fixed 16-byte file header.
std::vector<uint8_t> encode_header(const CaptureHeader& header);
// Throws Error(CaptureUnreadable) on malformed input.
CaptureHeader decode_header(const uint8_t* data, size_t size, uint32_t version);

}  // namespace leakspy::capture
