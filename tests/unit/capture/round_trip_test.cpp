#include <sys/stat.h>

#include <gtest/gtest.h>

#include "tests/unit/capture/capture_fixture.h"

namespace leakspy::capture {
namespace {

class RoundTrip : public CaptureFileTest {};

TEST_F(RoundTrip, HeaderSurvives) {
  CaptureHeader header = sample_header();
  {
    CaptureWriter writer(path("h.lspy"), header);
    writer.finish(Trailer{});
  }
  CaptureReader reader(path("h.lspy"));
  const CaptureHeader& read = reader.header();
  EXPECT_EQ(read.version, kFormatVersion);
  EXPECT_EQ(read.pid, 4242u);
  EXPECT_EQ(read.start_unix_ns, header.start_unix_ns);
  EXPECT_EQ(read.start_monotonic_ns, header.start_monotonic_ns);
  EXPECT_EQ(read.time_unit_ns, 1000u);
  EXPECT_TRUE(read.attached_mid_run());
  EXPECT_EQ(read.command_line, header.command_line);
  EXPECT_EQ(read.executable, header.executable);
  EXPECT_EQ(read.hostname, "box");
  EXPECT_EQ(read.leakspy_version, "0.1.0");
  EXPECT_EQ(read.page_size, 4096u);
}

TEST_F(RoundTrip, EveryRecordTypeSurvivesInOrder) {
  ModuleRecord module{ModuleId(3), StringId(1), std::string("\x01\x02\xfe", 3), 0x7f0000000000,
                      {{0x0, 0x1000, 4}, {0x1000, 0x2345, 5}}};
  std::vector<EventRecord> events = {
      {EventKind::Alloc, HeapId(0), StackId(7), 4096, 0x55d000001000},
      {EventKind::Free, HeapId(0), StackId(0), 0, 0x55d000001000},
      {EventKind::Alloc, HeapId(1), StackId(2), 1 << 20, 0x7f1234560000},
      {EventKind::FreeRange, HeapId(1), StackId(0), 4096, 0x7f1234561000},
      {EventKind::ReallocOut, HeapId(0), StackId(0), 0, 0x55d000002000},
      {EventKind::ReallocIn, HeapId(0), StackId(9), 77, 0x55d000003000},
      {EventKind::Alloc, HeapId(42), StackId(9), 12, 0x302000000},  // an escaped heap id
      {EventKind::Free, HeapId(42), StackId(0), 0, 0x302000000},
  };
  {
    CaptureWriter writer(path("all.lspy"), sample_header());
    RecordEncoder& records = writer.records();
    records.string("/usr/lib/libc.so.6");
    records.string("");
    records.module(module);
    records.heap({HeapId(0), StringId(1), 0});
    records.heap({HeapId(3), StringId(2), kHeapFlagRanges});
    records.thread({ThreadIndex(1), 4242, StringId(2)});
    records.node({StackId(1), StackId(0), 0x401000});
    records.node({StackId(2), StackId(1), 0x401234});
    records.node({StackId(7), StackId(1), 0x7fffffffffff});
    records.time(5);
    records.switch_thread(ThreadIndex(1));
    for (const EventRecord& event : events) records.event(event);
    records.time(3'000'000'000ull);
    records.exit({ExitCause::PythonFinalization});
    records.process({1, 77, 1, ProcessOrigin::Exec, StringId(1), {StringId(1), StringId(2)}});
    records.scope(1);
    records.process_end({1, ProcessEndKind::Signaled, -9});
    records.allocator({AllocatorKind::GlibcMallinfo2, 8u << 20, 3u << 20, 5u << 20, 1u << 30, 4096});
    records.counters({1 << 24, {{HeapId(0), 4096}, {HeapId(1), 0}}});
    records.python_types({{{StringId(1), 12}, {StringId(2), 7}}});
    records.dropped({ThreadIndex(1), 17});
    records.thread_end(ThreadIndex(1));
    records.module_unload(ModuleId(3));
    Trailer trailer;
    trailer.end_time = 3'000'000'001ull;
    trailer.events_by_kind[0] = 3;
    trailer.dropped_events = 17;
    trailer.late_events = 1;
    trailer.unknown_frees = 2;
    trailer.implicit_frees = 3;
    trailer.stacks_lost = 4;
    trailer.forced_orders = 5;
    trailer.target_end = TargetEnd::Signaled;
    trailer.exit_status = 9;
    writer.finish(trailer);
  }
  CaptureReader reader(path("all.lspy"));
  RecordLog log;
  ReadSummary summary = reader.read(log);
  EXPECT_FALSE(summary.truncated);
  std::vector<std::string> expected = {
      "string 1 /usr/lib/libc.so.6", "string 2 ", "module 3", "heap 0 1 0", "heap 3 2 1", "thread 1 4242 2",
      "node 1 0 4198400", "node 2 1 4198964", "node 7 1 140737488355327", "time 5", "switch 1"};
  for (size_t i = 0; i < events.size(); ++i) expected.push_back("event");
  // The trailer has a chunk of its own, which starts in process 0's scope.
  for (const char* line : {"time 3000000000", "exit 1", "process 1 77 1 1 2", "scope 1", "process-end 1 2 -9",
                           "allocator 1 5242880", "counters 16777216", "python-types 2", "dropped 1 17", "thread-end 1", "unload 3", "scope 0", "trailer"}) {
    expected.push_back(line);
  }
  EXPECT_EQ(log.lines, expected);
  EXPECT_EQ(log.events, events);
  ASSERT_EQ(log.modules.size(), 1u);
  EXPECT_EQ(log.modules[0], module);
  ASSERT_EQ(log.counters.size(), 1u);
  EXPECT_EQ(log.counters[0].live_bytes.size(), 2u);
  EXPECT_EQ(log.counters[0].live_bytes[0].second, 4096u);
  ASSERT_EQ(log.allocators.size(), 1u);
  EXPECT_EQ(log.allocators[0],
            (AllocatorRecord{AllocatorKind::GlibcMallinfo2, 8u << 20, 3u << 20, 5u << 20, 1u << 30, 4096}));
  ASSERT_EQ(log.censuses.size(), 1u);
  EXPECT_EQ(log.censuses[0], (PythonTypesRecord{{{StringId(1), 12}, {StringId(2), 7}}}));
  ASSERT_TRUE(log.has_trailer);
  EXPECT_EQ(log.trailer.end_time, 3'000'000'001ull);
  EXPECT_EQ(log.trailer.dropped_events, 17u);
  EXPECT_EQ(log.trailer.forced_orders, 5u);
  EXPECT_EQ(log.trailer.target_end, TargetEnd::Signaled);
  EXPECT_EQ(log.trailer.exit_status, 9);
}

TEST_F(RoundTrip, ManyChunksKeepTimeAndDeltasRight) {
  // Small chunks force many chunk boundaries, where the delta state restarts.
  std::vector<EventRecord> events;
  {
    CaptureWriter writer(path("chunks.lspy"), sample_header(), 3, 256);
    for (uint32_t i = 0; i < 20000; ++i) {
      EventRecord event{i % 3 == 2 ? EventKind::Free : EventKind::Alloc, HeapId(0), StackId(i % 3 == 2 ? 0 : i % 50),
                        i % 3 == 2 ? 0 : 16 + i % 1000, 0x55d000000000ull + (i * 48ull) % 100000};
      if (i % 100 == 0) writer.records().time(i);
      writer.records().event(event);
      events.push_back(event);
      writer.maybe_flush();
    }
    writer.finish(Trailer{});
    EXPECT_GT(writer.chunks_written(), 50u);
  }
  CaptureReader reader(path("chunks.lspy"));
  RecordLog log;
  ReadSummary summary = reader.read(log);
  EXPECT_FALSE(summary.truncated);
  EXPECT_EQ(log.events, events);
  EXPECT_TRUE(log.has_trailer);
}

TEST_F(RoundTrip, CaptureIsPrivateToItsOwner) {
  { CaptureWriter writer(path("private.lspy"), sample_header()); writer.finish(Trailer{}); }
  struct stat st {};
  ASSERT_EQ(stat(path("private.lspy").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(RoundTrip, RefusesToWriteThroughASymlink) {
  ASSERT_EQ(symlink("/tmp/elsewhere.lspy", path("link.lspy").c_str()), 0);
  EXPECT_THROW(CaptureWriter(path("link.lspy"), sample_header()), Error);
}

TEST_F(RoundTrip, UnwritablePathIsAnOutputError) {
  try {
    CaptureWriter writer(path("missing-dir/x.lspy"), sample_header());
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::OutputUnwritable);
    EXPECT_NE(std::string(error.what()).find("No such file or directory"), std::string::npos);
  }
}

}  // namespace
}  // namespace leakspy::capture
