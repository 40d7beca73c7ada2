#include "capture/capture_writer.h"

#include <fcntl.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/error.h"

namespace leakspy::capture {

namespace {

void put_u32(uint8_t* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace

CaptureWriter::CaptureWriter(const std::string& path, const CaptureHeader& header, int compression_level,
                             size_t chunk_bytes)
    : CaptureWriter(CaptureFile::create(path), header, compression_level, chunk_bytes) {}

CaptureWriter::CaptureWriter(CaptureFile file, const CaptureHeader& header, int compression_level,
                             size_t chunk_bytes)
    : file_(std::move(file)), chunk_bytes_(chunk_bytes) {
  try {
    start(header, compression_level);
  } catch (const Error& error) {
    // The caller learns it before its first write (RecordingSession goes
    // on without a capture), or from that write.
    if (error.kind() != ErrorKind::OutputUnwritable) throw;
    header_error_ = error.what();
  }
}

void CaptureWriter::start(const CaptureHeader& header, int compression_level) {
  zstd_ = ZSTD_createCCtx();
  if (zstd_ == nullptr) throw Error(ErrorKind::Internal, "zstd: cannot create a compression context");
  ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, compression_level);
  ZSTD_CCtx_setParameter(zstd_, ZSTD_c_checksumFlag, 1);

  std::vector<uint8_t> payload = encode_header(header);
  uint8_t fixed[kFileHeaderSize];
  std::memcpy(fixed, kMagic, sizeof(kMagic));
  put_u32(fixed + 8, kFormatVersion);
  put_u32(fixed + 12, static_cast<uint32_t>(payload.size()));
  write_all(fixed, sizeof(fixed));
  write_all(payload.data(), payload.size());
}

CaptureWriter::~CaptureWriter() { ZSTD_freeCCtx(zstd_); }

void CaptureWriter::write_all(const void* data, size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(file_.fd(), bytes, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(ErrorKind::OutputUnwritable, "cannot write capture " + file_.path());
    }
    bytes += n;
    size -= static_cast<size_t>(n);
    bytes_written_ += static_cast<uint64_t>(n);
  }
}

void CaptureWriter::write_frame(uint32_t kind, const void* payload, uint32_t compressed, uint32_t raw) {
  uint8_t frame[kFrameHeaderSize];
  put_u32(frame, kind);
  put_u32(frame + 4, compressed);
  put_u32(frame + 8, raw);
  put_u32(frame + 12, chunk_string_base_);
  write_all(frame, sizeof(frame));
  write_all(payload, compressed);
}

void CaptureWriter::flush() {
  if (finished_) throw Error(ErrorKind::Internal, "capture written after its trailer");
  if (!header_error_.empty()) throw Error(ErrorKind::OutputUnwritable, header_error_);
  if (encoder_.size() == 0) return;
  compressed_.resize(ZSTD_compressBound(encoder_.size()));
  size_t n = ZSTD_compress2(zstd_, compressed_.data(), compressed_.size(), encoder_.data(), encoder_.size());
  if (ZSTD_isError(n)) throw Error(ErrorKind::Internal, std::string("zstd: ") + ZSTD_getErrorName(n));
  write_frame(kChunkFrame, compressed_.data(), static_cast<uint32_t>(n), static_cast<uint32_t>(encoder_.size()));
  ++chunks_;
  chunk_string_base_ = encoder_.strings_written() + 1;
  encoder_.reset_chunk();
  last_flush_ns_ = clock_ns();
}

void CaptureWriter::flush_if_older(uint64_t max_age_ns) {
  if (encoder_.size() == 0) return;
  uint64_t now = clock_ns();
  if (last_flush_ns_ == 0) last_flush_ns_ = now;  // the first records: their age counts from here
  if (now - last_flush_ns_ >= max_age_ns) flush();
}

void CaptureWriter::finish(const Trailer& trailer) {
  flush();
  encoder_.trailer(trailer);
  flush();
  write_frame(kEndFrame, nullptr, 0, 0);
  finished_ = true;
  file_.commit();
}

}  // namespace leakspy::capture
