#include "tests/support/capture_bombs.h"

#include <functional>

#include "capture/capture_writer.h"
#include "capture/format.h"

namespace leakspy::test {

namespace {

// Records of the largest chunks the reader takes, compressed hard: the
// smallest file for the most decoded records.
uint64_t write_bomb(const std::string& path, uint64_t records,
                    const std::function<void(capture::RecordEncoder&, uint64_t)>& write_record) {
  capture::CaptureHeader header;
  header.pid = 1;
  header.time_unit_ns = 1000;
  header.command_line = {"bomb"};
  header.page_size = 4096;
  capture::CaptureWriter writer(path, header, 9, capture::kMaxChunkRawSize / 2);
  for (uint64_t i = 0; i < records; ++i) {
    write_record(writer.records(), i);
    writer.maybe_flush();
  }
  writer.finish(capture::Trailer{});
  return writer.bytes_written();
}

}  // namespace

uint64_t write_allocation_bomb(const std::string& path, uint64_t blocks) {
  return write_bomb(path, blocks, [](capture::RecordEncoder& records, uint64_t i) {
    records.event({capture::EventKind::Alloc, HeapId(capture::kHeapMalloc), StackId(0), 16, 0x10000 + 16 * i});
  });
}

uint64_t write_string_bomb(const std::string& path, uint64_t strings) {
  return write_bomb(path, strings, [](capture::RecordEncoder& records, uint64_t) { records.string(""); });
}

uint64_t write_node_bomb(const std::string& path, uint64_t nodes) {
  return write_bomb(path, nodes, [](capture::RecordEncoder& records, uint64_t i) {
    records.node({StackId(static_cast<uint32_t>(i + 1)), StackId(static_cast<uint32_t>(i)), 0x401000});
  });
}

}  // namespace leakspy::test
