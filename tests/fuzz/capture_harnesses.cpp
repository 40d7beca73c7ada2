// The capture readers' harnesses: the whole model (analyze/capture_model.h)
// is built from the fuzzer's bytes, so that every consumer of records - the
// decoder, symbol table, live set, time slices, GPU levels - sees them.
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include <cstring>
#include <string>
#include <vector>

#include "analyze/capture_model.h"
#include "capture/format.h"
#include "capture/record_encoder.h"
#include "common/error.h"
#include "tests/fuzz/fuzz_harnesses.h"

namespace leakspy::fuzz {

namespace {

// One memory file for the process, rewritten for each input: the reader
// takes a path, and /proc/self/fd/N opens it again from its start.
class MemoryFile {
 public:
  MemoryFile() : fd_(memfd_create("leakspy-fuzz", MFD_CLOEXEC)), path_("/proc/self/fd/" + std::to_string(fd_)) {
    if (fd_ < 0) throw Error(ErrorKind::Internal, "memfd_create failed");
  }
  const std::string& hold(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0) throw Error(ErrorKind::Internal, "ftruncate of the memory file failed");
    size_t done = 0;
    while (done < size) {
      ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) throw Error(ErrorKind::Internal, "write to the memory file failed");
      done += static_cast<size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

void read_model(const uint8_t* file, size_t size) {
  static MemoryFile memory_file;
  const std::string& path = memory_file.hold(file, size);
  analyze::SlicePlan slices;
  slices.slices = 16;
  slices.snapshot_seconds = {0.5};
  try {
    // One thread: the model is the same either way, and a fuzzer wants one.
    analyze::CaptureModel model =
        analyze::read_capture_model(path, analyze::HeapSelection::parse("all"), {}, false, slices);
    // What every report asks of the model first: each node's frames.
    for (uint32_t id : model.node_order) {
      for (analyze::LocationId location : model.node_locations(StackId(id))) (void)location;
    }
  } catch (const Error&) {
    // The reader's refusal: the expected answer to damaged bytes.
  }
}

void put_u32(std::vector<uint8_t>& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// A capture file around one chunk of raw records: header, the chunk as zstd
// compressed it, the end mark (capture/capture_writer.cpp writes the same).
std::vector<uint8_t> capture_around(const uint8_t* records, size_t size) {
  std::vector<uint8_t> file(capture::kMagic, capture::kMagic + sizeof(capture::kMagic));
  capture::CaptureHeader header;
  header.executable = "fuzz";
  std::vector<uint8_t> payload = capture::encode_header(header);
  put_u32(file, capture::kFormatVersion);
  put_u32(file, static_cast<uint32_t>(payload.size()));
  file.insert(file.end(), payload.begin(), payload.end());
  std::vector<uint8_t> compressed(ZSTD_compressBound(size));
  size_t n = ZSTD_compress(compressed.data(), compressed.size(), records, size, 1);
  if (ZSTD_isError(n)) throw Error(ErrorKind::Internal, "zstd cannot compress a fuzz input");
  put_u32(file, capture::kChunkFrame);
  put_u32(file, static_cast<uint32_t>(n));
  put_u32(file, static_cast<uint32_t>(size));
  file.insert(file.end(), compressed.begin(), compressed.begin() + static_cast<ptrdiff_t>(n));
  put_u32(file, capture::kEndFrame);
  put_u32(file, 0);
  put_u32(file, 0);
  return file;
}

}  // namespace

int fuzz_record_stream(const uint8_t* data, size_t size) {
  std::vector<uint8_t> file = capture_around(data, size);
  read_model(file.data(), file.size());
  return 0;
}

int fuzz_capture_file(const uint8_t* data, size_t size) {
  read_model(data, size);
  return 0;
}

}  // namespace leakspy::fuzz
