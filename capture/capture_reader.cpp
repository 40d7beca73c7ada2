#include "capture/capture_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "capture/record_encoder.h"
#include "common/error.h"

namespace leakspy::capture {

namespace {

uint32_t get_u32(const uint8_t* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(in[i]) << (8 * i);
  return value;
}

}  // namespace

CaptureReader::CaptureReader(const std::string& path) : path_(path) {
  fd_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd_) throw_errno(ErrorKind::CaptureUnreadable, "cannot open capture " + path);
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw_errno(ErrorKind::CaptureUnreadable, "cannot stat " + path);
  if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::CaptureUnreadable, path + " is a directory, not a capture");
  summary_.file_bytes = static_cast<uint64_t>(st.st_size);

  uint8_t fixed[kFileHeaderSize];
  if (!read_exact(fixed, sizeof(fixed))) {
    throw Error(ErrorKind::CaptureUnreadable,
                path + " is not a leakspy capture: it is " + std::to_string(st.st_size) +
                    " bytes, shorter than a capture header");
  }
  if (std::memcmp(fixed, kMagic, sizeof(kMagic)) != 0) {
    throw Error(ErrorKind::CaptureUnreadable, path + " is not a leakspy capture (no LSPYCAP magic)");
  }
  uint32_t version = get_u32(fixed + 8);
  if (version > kFormatVersion) {
    throw Error(ErrorKind::CaptureUnreadable,
                path + " has capture format version " + std::to_string(version) +
                    ", newer than the version " + std::to_string(kFormatVersion) +
                    " this leakspy reads: upgrade leakspy to read it");
  }
  if (version == 0) {
    throw Error(ErrorKind::CaptureUnreadable, path + " has an invalid capture format version 0");
  }
  uint32_t header_size = get_u32(fixed + 12);
  if (header_size > (1u << 20)) corrupt("the header claims " + std::to_string(header_size) + " bytes");
  std::vector<uint8_t> payload(header_size);
  if (!read_exact(payload.data(), payload.size())) {
    throw Error(ErrorKind::CaptureUnreadable, path + " is cut short inside its header");
  }
  header_ = decode_header(payload.data(), payload.size(), version);
  summary_.bytes_read = offset_;

  zstd_ = ZSTD_createDCtx();
  if (zstd_ == nullptr) throw Error(ErrorKind::Internal, "zstd: cannot create a decompression context");
}

CaptureReader::~CaptureReader() { ZSTD_freeDCtx(zstd_); }

bool CaptureReader::read_exact(void* out, size_t size) {
  char* bytes = static_cast<char*>(out);
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd_.get(), bytes + got, size - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(ErrorKind::CaptureUnreadable, "cannot read capture " + path_);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  offset_ += got;
  return got == size;
}

void CaptureReader::mark_truncated(const std::string& why) {
  summary_.truncated = true;
  summary_.truncation = why;
  done_ = true;
}

void CaptureReader::corrupt(const std::string& why) const {
  throw Error(ErrorKind::CaptureUnreadable, "corrupt capture " + path_ + " at byte " +
                                                std::to_string(summary_.bytes_read) + ": " + why);
}

bool CaptureReader::next_chunk() {
  if (done_) return false;
  uint8_t frame[kFrameHeaderSize];
  if (!read_exact(frame, sizeof(frame))) {
    mark_truncated(offset_ == summary_.bytes_read
                       ? "the capture ends after chunk " + std::to_string(summary_.chunks) +
                             " without its end mark: the recording was cut short"
                       : "the last chunk is incomplete: the recording was cut short");
    return false;
  }
  uint32_t kind = get_u32(frame);
  uint32_t compressed = get_u32(frame + 4);
  uint32_t raw = get_u32(frame + 8);
  if (kind == kEndFrame) {
    done_ = true;
    summary_.bytes_read = offset_;
    return false;
  }
  if (kind != kChunkFrame) corrupt("unknown frame kind " + std::to_string(kind));
  if (raw > kMaxChunkRawSize || compressed > ZSTD_compressBound(kMaxChunkRawSize)) {
    corrupt("a chunk claims " + std::to_string(raw) + " bytes");
  }
  compressed_.resize(compressed);
  if (!read_exact(compressed_.data(), compressed)) {
    mark_truncated("the last chunk is incomplete: the recording was cut short");
    return false;
  }
  if (raw_.size() < raw) raw_.resize(raw);
  size_t n = ZSTD_decompressDCtx(zstd_, raw_.data(), raw, compressed_.data(), compressed);
  if (ZSTD_isError(n)) corrupt(std::string("chunk ") + std::to_string(summary_.chunks) + ": " + ZSTD_getErrorName(n));
  if (n != raw) corrupt("chunk " + std::to_string(summary_.chunks) + " has the wrong size");
  raw_size_ = n;
  summary_.raw_bytes += n;
  summary_.bytes_read = offset_;
  ++summary_.chunks;
  return true;
}

}  // namespace leakspy::capture
