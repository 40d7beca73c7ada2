#include "capture/capture_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
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
  frame_header_size_ = version >= 3 ? kFrameHeaderSize : kFrameHeaderSizeBeforeV3;
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

namespace {

// Whether `bytes` (at least kFrameHeaderSize + 4 of them) start a frame as
// the writer makes them: a chunk of sane sizes whose payload is a zstd
// frame, or the end mark.
bool looks_like_frame(const uint8_t* bytes) {
  uint32_t kind = get_u32(bytes);
  uint32_t compressed = get_u32(bytes + 4);
  uint32_t raw = get_u32(bytes + 8);
  if (kind == kEndFrame) return compressed == 0 && raw == 0;
  return kind == kChunkFrame && raw <= kMaxChunkRawSize && compressed > 0 &&
         compressed <= ZSTD_compressBound(kMaxChunkRawSize) && get_u32(bytes + kFrameHeaderSize) == kZstdFrameMagic;
}

}  // namespace

bool CaptureReader::skip_to_next_frame(uint64_t from) {
  constexpr size_t kNeed = kFrameHeaderSize + 4;
  // Windows that start small and double: the next frame is most often near,
  // and a file full of fake frames must not cost a large read per fake.
  size_t window = 4096;
  for (uint64_t position = from; position + kNeed <= summary_.file_bytes;) {
    scan_.resize(window + kNeed);
    ssize_t got = ::pread(fd_.get(), scan_.data(), scan_.size(), static_cast<off_t>(position));
    if (got < static_cast<ssize_t>(kNeed)) break;
    for (size_t i = 0; i + kNeed <= static_cast<size_t>(got) && i < window; ++i) {
      if (!looks_like_frame(scan_.data() + i)) continue;
      uint64_t found = position + i;
      ++summary_.damaged_chunks;
      summary_.damaged_bytes += found - from;
      if (::lseek(fd_.get(), static_cast<off_t>(found), SEEK_SET) < 0) break;
      offset_ = found;
      return true;
    }
    position += window;
    window = std::min<size_t>(window * 2, 1u << 20);
  }
  ++summary_.damaged_chunks;
  summary_.damaged_bytes += summary_.file_bytes - from;
  mark_truncated("damaged from byte " + std::to_string(from) + " to its end: no whole chunk follows");
  return false;
}

bool CaptureReader::next_chunk() {
  while (!done_) {
    uint64_t frame_start = offset_;
    uint8_t frame[kFrameHeaderSize] = {};
    if (!read_exact(frame, frame_header_size_)) {
      mark_truncated(offset_ == summary_.bytes_read
                         ? "the capture ends after chunk " + std::to_string(summary_.chunks) +
                               " without its end mark: the recording was cut short"
                         : "the last chunk is incomplete: the recording was cut short");
      return false;
    }
    uint32_t kind = get_u32(frame);
    uint32_t compressed = get_u32(frame + 4);
    uint32_t raw = get_u32(frame + 8);
    bool salvages = frame_header_size_ == kFrameHeaderSize;  // format 3: strings are numbered per chunk
    if (kind == kEndFrame) {
      done_ = true;
      summary_.bytes_read = offset_;
      return false;
    }
    bool sane = kind == kChunkFrame && raw <= kMaxChunkRawSize && compressed <= ZSTD_compressBound(kMaxChunkRawSize);
    if (!sane) {
      if (!salvages) {
        if (kind != kChunkFrame) corrupt("unknown frame kind " + std::to_string(kind));
        corrupt("a chunk claims " + std::to_string(raw) + " bytes");
      }
      if (!skip_to_next_frame(frame_start)) return false;
      continue;
    }
    compressed_.resize(compressed);
    if (!read_exact(compressed_.data(), compressed)) {
      mark_truncated("the last chunk is incomplete: the recording was cut short");
      return false;
    }
    if (raw_.size() < raw) raw_.resize(raw);
    size_t n = ZSTD_decompressDCtx(zstd_, raw_.data(), raw, compressed_.data(), compressed);
    if (ZSTD_isError(n) || n != raw) {
      if (!salvages) {
        if (ZSTD_isError(n)) corrupt("chunk " + std::to_string(summary_.chunks) + ": " + ZSTD_getErrorName(n));
        corrupt("chunk " + std::to_string(summary_.chunks) + " has the wrong size");
      }
      // Its frame was whole: the next one follows it, unless its sizes
      // were the damage; then it is looked for.
      if (offset_ + kFrameHeaderSize + 4 <= summary_.file_bytes) {
        uint8_t next[kFrameHeaderSize + 4];
        if (::pread(fd_.get(), next, sizeof(next), static_cast<off_t>(offset_)) == sizeof(next) &&
            looks_like_frame(next)) {
          ++summary_.damaged_chunks;
          summary_.damaged_bytes += offset_ - frame_start;
          continue;
        }
      }
      if (!skip_to_next_frame(frame_start + 1)) return false;
      continue;
    }
    raw_size_ = n;
    chunk_string_base_ = salvages ? get_u32(frame + 12) : 0;
    summary_.raw_bytes += n;
    summary_.bytes_read = offset_;
    ++summary_.chunks;
    return true;
  }
  return false;
}

}  // namespace leakspy::capture
