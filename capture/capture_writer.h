#pragma once
// Writes a capture file: the file header, then records in zstd-compressed
// chunks, then the trailer and the end mark. The file at the path is
// replaced only by the finished capture (capture/capture_file.h: written
// beside it, renamed over it by finish(); removed when the writer is
// destroyed unfinished). Owned by the recorder; not thread-safe; throws
// Error(OutputUnwritable) when the file cannot be written.

#include <cstdint>
#include <string>

#include "capture/capture_file.h"
#include "capture/record_encoder.h"
#include "capture/records.h"
#include "common/unique_fd.h"

struct ZSTD_CCtx_s;

namespace leakspy::capture {

class CaptureWriter {
 public:
  static constexpr size_t kDefaultChunkBytes = 1 << 20;

  // Writes the capture for `path` (CaptureFile::create) and its header. A
  // header that cannot be written (a full disk) is kept as header_error(),
  // and every later write throws it (Error(OutputUnwritable)).
  CaptureWriter(const std::string& path, const CaptureHeader& header, int compression_level = 3,
                size_t chunk_bytes = kDefaultChunkBytes);
  // Writes into a file made earlier (so that an unwritable path fails
  // before anything starts), or adopted (CaptureFile::adopt).
  CaptureWriter(CaptureFile file, const CaptureHeader& header, int compression_level = 3,
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
  // Writes the pending records as a chunk when the last chunk was written
  // `max_age_ns` or longer ago: a slow stream of events reaches the file
  // within about that time, so that a killed recorder loses little.
  void flush_if_older(uint64_t max_age_ns);
  // Writes the trailer and the end mark, and puts the capture at its path
  // (CaptureFile::commit). Nothing may be written afterwards.
  void finish(const Trailer& trailer);
  // The capture cannot be finished (its file cannot be written): what was
  // written stays at partial_path(), readable up to its last whole chunk.
  void keep_incomplete() { file_.keep_partial(); }

  // Why the header could not be written ("" when it was).
  const std::string& header_error() const { return header_error_; }
  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t chunks_written() const { return chunks_; }
  const std::string& path() const { return file_.path(); }
  // Where the capture is until finish() ("" for an adopted descriptor).
  const std::string& partial_path() const { return file_.partial_path(); }

 private:
  void start(const CaptureHeader& header, int compression_level);
  void write_all(const void* data, size_t size);
  void write_frame(uint32_t kind, const void* payload, uint32_t compressed, uint32_t raw);

  CaptureFile file_;
  ZSTD_CCtx_s* zstd_ = nullptr;
  std::string compressed_;
  RecordEncoder encoder_;
  size_t chunk_bytes_;
  uint64_t bytes_written_ = 0;
  uint64_t chunks_ = 0;
  uint32_t chunk_string_base_ = 1;  // the id of the next chunk's first string
  std::string header_error_;
  uint64_t last_flush_ns_ = 0;  // CLOCK_MONOTONIC
  bool finished_ = false;
};

}  // namespace leakspy::capture
