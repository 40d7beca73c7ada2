#pragma once
// Reads a capture file: validates the header, then hands every record of every
// whole chunk to a visitor. A file cut short (the recorder was killed, the disk
// filled) reads up to its last whole chunk and says so in ReadSummary; a file
// that is damaged or of a newer format throws Error(CaptureUnreadable).
// Not thread-safe. Allocates.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "capture/record_decoder.h"
#include "capture/records.h"
#include "common/unique_fd.h"

struct ZSTD_DCtx_s;

namespace leakspy::capture {

struct ReadSummary {
  bool truncated = false;    // no end mark: the capture stops early
  std::string truncation;    // why, in words, when truncated
  uint64_t chunks = 0;       // whole chunks read
  uint64_t bytes_read = 0;   // up to the end of the last whole frame
  uint64_t file_bytes = 0;
  uint64_t raw_bytes = 0;    // decompressed record bytes
  // Format 3 on: chunks that failed their checksum or whose frame was
  // garbage, skipped (the next frame is found again), and the bytes skipped.
  uint64_t damaged_chunks = 0;
  uint64_t damaged_bytes = 0;
};

// Called now and then with (bytes read, file size), for progress bars.
using ProgressCallback = std::function<void(uint64_t, uint64_t)>;

class CaptureReader {
 public:
  // Opens and checks the file header. Throws Error(CaptureUnreadable).
  explicit CaptureReader(const std::string& path);
  ~CaptureReader();
  CaptureReader(const CaptureReader&) = delete;
  CaptureReader& operator=(const CaptureReader&) = delete;

  const CaptureHeader& header() const { return header_; }
  const std::string& path() const { return path_; }
  uint64_t file_bytes() const { return summary_.file_bytes; }
  // What the chunk buffers hold now (up to a 64 MiB chunk and its frame).
  uint64_t buffer_bytes() const { return compressed_.capacity() + raw_.capacity() + scan_.capacity(); }

  // Reads every record from the first chunk on. May be called once.
  template <typename Visitor>
  ReadSummary read(Visitor& visitor, const ProgressCallback& progress = {}) {
    RecordDecoder<Visitor> decoder(visitor);
    while (next_chunk()) {
      decoder.decode_chunk(raw_.data(), raw_size_, summary_.chunks - 1, chunk_string_base_);
      if (progress) progress(summary_.bytes_read, summary_.file_bytes);
    }
    return summary_;
  }

 private:
  // Loads the next chunk's records into raw_; false at the end of the capture.
  // A damaged chunk of a format 3 capture is skipped and counted.
  bool next_chunk();
  // Counts the bytes from `from` up to the next frame as damaged and moves
  // there; false (the capture is read to its end) when none follows.
  bool skip_to_next_frame(uint64_t from);
  bool read_exact(void* out, size_t size);  // false on end of file
  void mark_truncated(const std::string& why);
  [[noreturn]] void corrupt(const std::string& why) const;

  std::string path_;
  UniqueFd fd_;
  ZSTD_DCtx_s* zstd_ = nullptr;
  CaptureHeader header_;
  ReadSummary summary_;
  std::vector<uint8_t> compressed_;
  std::vector<uint8_t> raw_;
  std::vector<uint8_t> scan_;  // skip_to_next_frame's window
  size_t raw_size_ = 0;
  uint32_t chunk_string_base_ = 0;  // of the chunk in raw_ (0: before format 3, ids run on)
  size_t frame_header_size_ = kFrameHeaderSize;
  uint64_t offset_ = 0;
  bool done_ = false;
};

}  // namespace leakspy::capture
