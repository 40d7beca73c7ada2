// The decoder on raw records whose counts the chunk's bytes would allow but no
// real record has: each would decode into far more memory than it takes on
// disk once compressed (a decompression bomb), so each is refused.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capture/record_decoder.h"

namespace leakspy::capture {
namespace {

struct CountingVisitor : RecordVisitor {
  int records = 0;
  void on_module(const ModuleRecord&) { ++records; }
  void on_symbol(const SymbolRecord&) { ++records; }
  void on_counters(const CountersRecord&) { ++records; }
};

// `type`, then `prefix_fields` zero varints, then `count`, then enough zero
// bytes for `count` entries of `fields` varints each.
std::vector<uint8_t> record_claiming(RecordType type, int prefix_fields, uint64_t count, int fields) {
  std::vector<uint8_t> bytes{static_cast<uint8_t>(type)};
  bytes.insert(bytes.end(), prefix_fields, 0);
  uint8_t varint[kMaxVarintBytes];
  bytes.insert(bytes.end(), varint, put_varint(varint, count));
  bytes.insert(bytes.end(), count * fields, 0);
  return bytes;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  CountingVisitor visitor;
  RecordDecoder<CountingVisitor> decoder(visitor);
  try {
    decoder.decode_chunk(bytes.data(), bytes.size(), 0);
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::CaptureUnreadable);
    EXPECT_EQ(visitor.records, 0);
    return error.what();
  }
  return "";
}

// Module: id, path, build-id (empty), load bias, then the segments.
TEST(RecordBounds, AModuleWithMoreSegmentsThanAnyElfIsRefused) {
  EXPECT_EQ(error_of(record_claiming(RecordType::Module, 4, kMaxModuleSegments, 3)), "");
  EXPECT_NE(error_of(record_claiming(RecordType::Module, 4, kMaxModuleSegments + 1, 3)).find("segments"),
            std::string::npos);
}

// Symbol: address, module, then the frames.
TEST(RecordBounds, ASymbolWithMoreFramesThanTheLimitIsRefused) {
  EXPECT_EQ(error_of(record_claiming(RecordType::Symbol, 2, kMaxSymbolFrames, 3)), "");
  EXPECT_NE(error_of(record_claiming(RecordType::Symbol, 2, kMaxSymbolFrames + 1, 3)).find("frames"),
            std::string::npos);
}

// Counters: rss, then (heap, bytes) pairs.
TEST(RecordBounds, CountersForMoreHeapsThanExistAreRefused) {
  EXPECT_EQ(error_of(record_claiming(RecordType::Counters, 1, kMaxCountersHeaps, 2)), "");
  EXPECT_NE(error_of(record_claiming(RecordType::Counters, 1, kMaxCountersHeaps + 1, 2)).find("heaps"),
            std::string::npos);
}

}  // namespace
}  // namespace leakspy::capture
