#include "tests/support/report_fixture.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "capture/capture_writer.h"

namespace leakspy::test {

namespace {

using capture::EventKind;

class FixtureWriter {
 public:
  FixtureWriter(const std::string& path, const capture::CaptureHeader& header) : writer_(path, header) {}
  capture::RecordEncoder& records() { return writer_.records(); }
  StringId text(const std::string& value) {
    auto [it, inserted] = strings_.try_emplace(value, StringId(next_));
    if (inserted) {
      ++next_;
      writer_.records().string(value);
    }
    return it->second;
  }
  void event(EventKind kind, uint32_t heap, uint64_t address, uint64_t size = 0, uint32_t stack = 0) {
    writer_.records().event({kind, HeapId(heap), StackId(stack), size, address});
  }
  void time(uint64_t units) { writer_.records().time(units); }
  capture::CaptureWriter& writer() { return writer_; }

 private:
  capture::CaptureWriter writer_;
  std::map<std::string, StringId> strings_;
  uint32_t next_ = 1;
};

constexpr uint64_t kServerBias = 0x555500000000;
constexpr uint64_t kLibstdcxxBias = 0x7f0000000000;
constexpr uint64_t kMysteryBias = 0x7f1000000000;
constexpr uint64_t kMain = kServerBias + 0x1100;
constexpr uint64_t kHandleRequest = kServerBias + 0x1200;
constexpr uint64_t kParseJson = kServerBias + 0x1300;
constexpr uint64_t kOperatorNew = kLibstdcxxBias + 0x1000;
constexpr uint64_t kMystery = kMysteryBias + 0x2000;
constexpr uint64_t kPythonLoadModel = capture::kFrameKindMask | (1ull << 32) | 12;  // code 1, line 12

}  // namespace

void write_report_fixture(const std::string& path, const ReportFixtureOptions& options) {
  capture::CaptureHeader header;
  header.pid = 4242;
  header.start_unix_ns = 1'700'000'000'000'000'000ull;
  header.start_monotonic_ns = 1'000'000;
  header.time_unit_ns = 1000;
  header.flags = options.attached_mid_run ? capture::kFlagAttachedMidRun : 0;
  header.command_line = {"/opt/shop/bin/server", "--port", "8080"};
  header.executable = "/opt/shop/bin/server";
  header.hostname = "build-host";
  header.leakspy_version = "fixture";
  FixtureWriter out(path, header);
  auto& records = out.records();

  records.heap({HeapId(0), out.text("malloc"), 0});
  records.heap({HeapId(1), out.text("mmap"), capture::kHeapFlagRanges});
  records.heap({HeapId(2), out.text("python"), 0});
  records.module({ModuleId(1), out.text("/opt/shop/bin/server"), "\x01\x02", kServerBias, {{0x1000, 0x10000, 5}}});
  records.module(
      {ModuleId(2), out.text("/usr/lib/x86_64-linux-gnu/libstdc++.so.6"), "", kLibstdcxxBias, {{0x0, 0x100000, 5}}});
  records.module({ModuleId(3), out.text("/usr/lib/libmystery.so"), "", kMysteryBias, {{0x0, 0x10000, 5}}});
  records.python_code({1, out.text("/app/odd;name.py"), out.text("load_model"), 10});
  records.thread({ThreadIndex(1), 4242, out.text("server")});

  records.node({StackId(1), StackId(0), kMain});
  records.node({StackId(2), StackId(1), kHandleRequest});
  records.node({StackId(3), StackId(2), kOperatorNew});
  records.node({StackId(4), StackId(1), kParseJson});
  records.node({StackId(5), StackId(4), kMystery});
  records.node({StackId(6), StackId(1), kPythonLoadModel});

  records.switch_thread(ThreadIndex(1));
  out.time(1000);  // 10 x 100 bytes from the inlined cache put
  for (uint64_t i = 0; i < 10; ++i) out.event(EventKind::Alloc, 0, 0x1000 + i * 0x100, 100, kFixtureCacheStack);
  out.time(2000);  // 5 x 1000 from parse_json, and an 8 KiB mapping
  for (uint64_t i = 0; i < 5; ++i) out.event(EventKind::Alloc, 0, 0x10000 + i * 0x1000, 1000, kFixtureParseStack);
  out.event(EventKind::Alloc, 1, 0x7000000, 8192, kFixtureParseStack);
  out.time(2500);
  out.event(EventKind::Alloc, 0, 0x20000, 50, kFixtureMysteryStack);
  out.event(EventKind::Alloc, 0, 0x20100, 50, kFixtureMysteryStack);
  out.time(2600);  // the agent's tables were full: no stack
  out.event(EventKind::Alloc, 0, 0x30000, 64, 0);
  out.time(3000);
  for (uint64_t i = 0; i < 3; ++i) out.event(EventKind::Free, 0, 0x10000 + i * 0x1000);
  out.time(3500);  // realloc of one cache block: 100 -> 300 bytes
  out.event(EventKind::ReallocOut, 0, 0x1000);
  out.event(EventKind::ReallocIn, 0, 0x40000, 300, kFixtureCacheStack);
  out.time(4000);  // the peak: 3364 + 4096
  out.event(EventKind::Alloc, 2, 0x50000, 4096, kFixturePythonStack);
  out.time(5000);
  out.event(EventKind::Free, 2, 0x50000);
  out.time(6000);
  out.event(EventKind::FreeRange, 1, 0x7000000, 4096);  // half of the mapping
  out.event(EventKind::Free, 0, 0xdead0);               // unknown: allocated before the recording
  records.dropped({ThreadIndex(1), 7});
  records.note({capture::NoteSeverity::Info, "an informational note"});

  if (options.with_symbols) {
    auto frame = [&](const char* function, const char* file, uint32_t line) {
      return capture::SymbolFrame{out.text(function), file ? out.text(file) : StringId(0), line};
    };
    records.symbol({kMain, ModuleId(1), {frame("main", "/src/shop/server.cpp", 40)}});
    records.symbol({kHandleRequest,
                    ModuleId(1),
                    {frame("cache::Store<std::string>::put(std::string const&)", "/src/shop/cache.h", 17),
                     frame("handle_request(Request const&)", "/src/shop/server.cpp", 25)}});
    records.symbol({kParseJson, ModuleId(1), {frame("parse_json(char const*, int&)", "/src/shop/json.cpp", 88)}});
    records.symbol({kOperatorNew, ModuleId(2), {frame("operator new(unsigned long)", nullptr, 0)}});
    records.symbol({kMystery, ModuleId(3), {}});
  }
  capture::Trailer trailer;
  trailer.end_time = 10000;
  const uint64_t events_by_kind[5] = {20, 5, 1, 1, 1};
  std::copy(std::begin(events_by_kind), std::end(events_by_kind), trailer.events_by_kind);
  trailer.dropped_events = 7;
  trailer.target_end = capture::TargetEnd::Exited;
  trailer.exit_status = options.exit_status;
  out.writer().finish(trailer);
}

}  // namespace leakspy::test
