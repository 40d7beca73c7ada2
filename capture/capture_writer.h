#pragma once
// Writes a capture file: the file header, then records in zstd-compressed
// chunks, then the trailer and the end mark. Owned by the recorder; not
// thread-safe; throws Error(OutputUnwritable) when the file cannot be written.

#include <cstdint>
#include <string>

#include "capture/record_encoder.h"
#include "capture/records.h"
#include "common/unique_fd.h"

struct ZSTD_CCtx_s;

namespace leakspy::capture {

// Creates (or truncates) a capture file with mode 0600, never following a
// symlink. Throws Error(OutputUnwritable) with the reason.
UniqueFd open_capture_file(const std::string& path);

class CaptureWriter {
 public:
  static constexpr size_t kDefaultChunkBytes = 1 << 20;

  // Creates `path` with mode 0600 (never following a symlink) and writes the header.
  CaptureWriter(const std::string& path, const CaptureHeader& header, int compression_level = 3,
                size_t chunk_bytes = kDefaultChunkBytes);
  // Writes into a file already opened with open_capture_file().
  CaptureWriter(UniqueFd file, const std::string& path, const CaptureHeader& header, int compression_level = 3,
                size_t chunk_bytes = kDefaultChunkBytes);
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  // Records go here; call maybe_flush() after each batch of them.
  RecordEncoder& records() { return encoder_; }
  // Writes a chunk once the pending records reach the chunk size.
  void maybe_flush() {
    if (encoder_.size() >= chunk_bytes_) flush();
  }
  // Writes the pending records as a chunk now (a no-op when there are none).
  void flush();
  // Writes the trailer and the end mark. Nothing may be written afterwards.
  void finish(const Trailer& trailer);

  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t chunks_written() const { return chunks_; }
  const std::string& path() const { return path_; }

 private:
  void start(const CaptureHeader& header, int compression_level);
  void write_all(const void* data, size_t size);
  void write_frame(uint32_t kind, const void* payload, uint32_t compressed, uint32_t raw);

  std::string path_;
  UniqueFd fd_;
  ZSTD_CCtx_s* zstd_ = nullptr;
  std::string compressed_;
  RecordEncoder encoder_;
  size_t chunk_bytes_;
  uint64_t bytes_written_ = 0;
  uint64_t chunks_ = 0;
  bool finished_ = false;
};

}  // namespace leakspy::capture
