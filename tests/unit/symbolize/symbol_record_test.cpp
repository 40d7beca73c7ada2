// Symbol records through the writer and reader, and a damaged one.
#include <gtest/gtest.h>

#include <cstdlib>

#include "capture/capture_reader.h"
#include "capture/capture_writer.h"
#include "tests/support/process.h"

namespace leakspy::capture {
namespace {

struct SymbolLog : RecordVisitor {
  std::vector<SymbolRecord> symbols;
  void on_symbol(const SymbolRecord& symbol) { symbols.push_back(symbol); }
};

TEST(SymbolRecord, RoundTrips) {
  std::string directory = test::make_temp_dir();
  std::string path = directory + "/symbols.lspy";
  std::vector<SymbolRecord> written = {
      {0x55550000123a, ModuleId(1), {{StringId(1), StringId(2), 17}, {StringId(3), StringId(2), 4000000}}},
      {0x7f0000000001, ModuleId(2), {{StringId(4), StringId(0), 0}}},
      {0xffffffffffffffff, ModuleId(0), {}},  // unresolved, in no module
  };
  {
    CaptureWriter writer(path, CaptureHeader{});
    for (const char* text : {"inlined", "file.h", "outer", "operator new(unsigned long)"})
      writer.records().string(text);
    for (const SymbolRecord& symbol : written) writer.records().symbol(symbol);
    writer.finish({});
  }
  CaptureReader reader(path);
  SymbolLog log;
  reader.read(log);
  EXPECT_EQ(log.symbols, written);
  std::system(("rm -rf " + directory).c_str());
}

struct Ignore : RecordVisitor {};

TEST(SymbolRecord, AFrameCountPastTheChunkIsCorrupt) {
  uint8_t bytes[] = {static_cast<uint8_t>(RecordType::Symbol), 0x10, 0x01, 0x7f};  // 127 frames, no bytes
  Ignore ignore;
  RecordDecoder<Ignore> decoder(ignore);
  EXPECT_THROW(decoder.decode_chunk(bytes, sizeof(bytes), 0), Error);
}

}  // namespace
}  // namespace leakspy::capture
