// The report model on a capture with known numbers (tests/support/report_fixture.cpp),
// and its peak attribution against a brute-force replay of random captures.
#include "analyze/capture_model.h"

#include <unistd.h>

#include <random>

#include "capture/capture_writer.h"
#include "tests/unit/analyze/report_model_fixture.h"

namespace leakspy::analyze {
namespace {

using capture::EventKind;

TEST_F(ReportModelTest, HostHeapsTotalsAndPeak) {
  CaptureModel model = fixture_model("host");
  EXPECT_EQ(model.counted_heaps, (std::vector<std::string>{"malloc", "python"}));
  EXPECT_EQ(model.totals.live_bytes, 3364u);
  EXPECT_EQ(model.totals.peak_bytes, 7460u);
  EXPECT_EQ(model.peak_time, 4000u);
  EXPECT_DOUBLE_EQ(model.seconds(model.peak_time), 0.004);
  EXPECT_EQ(model.totals.allocated_bytes, 10560u);
  EXPECT_EQ(model.totals.allocations, 20u);
  EXPECT_EQ(model.end_time, 10000u);
  EXPECT_EQ(model.events, 28u);
  EXPECT_EQ(model.counted_events, 26u);  // all but the two mmap events
  EXPECT_EQ(model.dropped_events, 7u);
  EXPECT_EQ(model.unknown_frees, 1u);
  EXPECT_EQ(model.implicit_frees, 0u);
  ASSERT_TRUE(model.trailer.has_value());
  EXPECT_FALSE(model.read.truncated);
  ASSERT_EQ(model.notes.size(), 1u);
}

TEST_F(ReportModelTest, OneThreadGivesTheSameModel) {
  fixture_model("all");
  CaptureModel two = read_capture_model(path("fixture.lspy"), HeapSelection::parse("all"));
  CaptureModel one = read_capture_model(path("fixture.lspy"), HeapSelection::parse("all"), {}, false);
  EXPECT_EQ(one.totals.live_bytes, two.totals.live_bytes);
  EXPECT_EQ(one.totals.peak_bytes, two.totals.peak_bytes);
  EXPECT_EQ(one.totals.allocated_bytes, two.totals.allocated_bytes);
  EXPECT_EQ(one.unknown_frees, two.unknown_frees);
  ASSERT_EQ(one.stacks.size(), two.stacks.size());
  for (size_t i = 0; i < one.stacks.size(); ++i) EXPECT_EQ(one.stacks[i].peak_bytes, two.stacks[i].peak_bytes);
}

TEST_F(ReportModelTest, PerStackNumbers) {
  CaptureModel model = fixture_model("host");
  const StackTotals& cache = model.stacks[test::kFixtureCacheStack];
  EXPECT_EQ(cache.allocated_bytes, 1300u);
  EXPECT_EQ(cache.allocations, 11u);
  EXPECT_EQ(cache.live_bytes, 1200u);
  EXPECT_EQ(cache.peak_bytes, 1200u);
  const StackTotals& parse = model.stacks[test::kFixtureParseStack];
  EXPECT_EQ(parse.allocated_bytes, 5000u);
  EXPECT_EQ(parse.live_bytes, 2000u);
  EXPECT_EQ(parse.peak_bytes, 2000u);
  const StackTotals& python = model.stacks[test::kFixturePythonStack];
  EXPECT_EQ(python.live_bytes, 0u);
  EXPECT_EQ(python.peak_bytes, 4096u);         // freed after the peak, live at it
  EXPECT_EQ(model.stacks[0].live_bytes, 64u);  // the stackless allocation
  uint64_t peak_sum = 0;
  for (const StackTotals& stack : model.stacks) peak_sum += stack.peak_bytes;
  EXPECT_EQ(peak_sum, model.totals.peak_bytes);
}

TEST_F(ReportModelTest, HeapSelectionByName) {
  CaptureModel all = fixture_model("all");
  EXPECT_EQ(all.totals.live_bytes, 3364u + 4096u);  // half of the mapping is still there
  EXPECT_EQ(all.totals.allocated_bytes, 10560u + 8192u);
  CaptureModel mmap = fixture_model("mmap");
  EXPECT_EQ(mmap.counted_heaps, (std::vector<std::string>{"mmap"}));
  EXPECT_EQ(mmap.totals.live_bytes, 4096u);
  EXPECT_EQ(mmap.totals.peak_bytes, 8192u);
  EXPECT_EQ(mmap.stacks[test::kFixtureParseStack].live_bytes, 4096u);
  CaptureModel python = fixture_model("python");
  EXPECT_EQ(python.totals.peak_bytes, 4096u);
  EXPECT_EQ(python.totals.live_bytes, 0u);
  CaptureModel none = fixture_model("cuda");
  EXPECT_TRUE(none.counted_heaps.empty());
  EXPECT_EQ(none.totals.allocations, 0u);
  EXPECT_THROW(HeapSelection::parse(""), Error);
}

TEST_F(ReportModelTest, FramesResolveThroughSymbolsAndInlineChains) {
  CaptureModel model = fixture_model("host");
  auto labels = [&](uint32_t node) {
    std::vector<std::string> out;
    for (LocationId id : model.node_locations(StackId(node))) out.push_back(model.symbols.label(id));
    return out;
  };
  EXPECT_EQ(labels(1), (std::vector<std::string>{"main (/src/shop/server.cpp:40)"}));
  EXPECT_EQ(labels(2),
            (std::vector<std::string>{"cache::Store<std::string>::put(std::string const&) (/src/shop/cache.h:17)",
                                      "handle_request(Request const&) (/src/shop/server.cpp:25)"}));
  EXPECT_EQ(labels(3), (std::vector<std::string>{"operator new(unsigned long) (libstdc++.so.6)"}));
  EXPECT_EQ(labels(5), (std::vector<std::string>{"libmystery.so+0x2000"}));
  EXPECT_EQ(labels(6), (std::vector<std::string>{"load_model (/app/odd;name.py:12)"}));
  EXPECT_TRUE(model.node_locations(StackId(0)).empty());
}

TEST_F(ReportModelTest, WithoutSymbolsFramesAreModulePlusOffset) {
  test::ReportFixtureOptions options;
  options.with_symbols = false;
  CaptureModel model = fixture_model("host", options);
  ASSERT_EQ(model.node_locations(StackId(1)).size(), 1u);
  EXPECT_EQ(model.symbols.label(model.node_locations(StackId(1))[0]), "server+0x1100");
  EXPECT_EQ(model.symbols.label(model.node_locations(StackId(3))[0]), "libstdc++.so.6+0x1000");
  EXPECT_EQ(model.totals.live_bytes, 3364u);
}

// Random allocations and frees over a few stacks: the model's per-stack
// live bytes at the peak must equal a replay that snapshots every stack at
// the peak's exact event.
TEST_F(ReportModelTest, PeakAttributionMatchesBruteForceReplay) {
  std::mt19937_64 random(12345);
  for (int round = 0; round < 20; ++round) {
    std::string file = path("random.lspy");
    capture::CaptureHeader header;
    capture::CaptureWriter writer(file, header, 1, 4096);  // small chunks: deltas restart often
    constexpr uint32_t kStacks = 6;
    for (uint32_t stack = 1; stack <= kStacks; ++stack) {
      writer.records().node({StackId(stack), StackId(0), 0x1000 + stack});
    }
    std::vector<std::pair<uint64_t, std::pair<uint32_t, uint64_t>>> live;  // address -> (stack, size)
    std::vector<uint64_t> stack_live(kStacks + 1, 0), at_peak(kStacks + 1, 0);
    uint64_t total = 0, peak = 0, next_address = 0x10000;
    for (int i = 0; i < 2000; ++i) {
      writer.records().time(static_cast<uint64_t>(i));
      bool allocate = live.empty() || random() % 100 < 52;
      if (allocate) {
        uint32_t stack = 1 + static_cast<uint32_t>(random() % kStacks);
        uint64_t size = 1 + random() % 500;
        writer.records().event({EventKind::Alloc, HeapId(0), StackId(stack), size, next_address});
        live.push_back({next_address, {stack, size}});
        next_address += 0x1000;
        stack_live[stack] += size;
        total += size;
        if (total > peak) {
          peak = total;
          at_peak = stack_live;
        }
      } else {
        size_t index = random() % live.size();
        auto [address, block] = live[index];
        live.erase(live.begin() + static_cast<long>(index));
        writer.records().event({EventKind::Free, HeapId(0), StackId(0), 0, address});
        stack_live[block.first] -= block.second;
        total -= block.second;
      }
      writer.maybe_flush();
    }
    writer.finish({});
    CaptureModel model = read_capture_model(file, HeapSelection::parse("host"));
    // The same model whether events are replayed on a second thread or not.
    CaptureModel same_thread = read_capture_model(file, HeapSelection::parse("host"), {}, false);
    ASSERT_EQ(same_thread.totals.peak_bytes, model.totals.peak_bytes);
    ASSERT_EQ(same_thread.peak_time, model.peak_time);
    ASSERT_EQ(same_thread.stacks.size(), model.stacks.size());
    for (size_t stack = 0; stack < model.stacks.size(); ++stack) {
      ASSERT_EQ(same_thread.stacks[stack].peak_bytes, model.stacks[stack].peak_bytes);
      ASSERT_EQ(same_thread.stacks[stack].live_bytes, model.stacks[stack].live_bytes);
      ASSERT_EQ(same_thread.stacks[stack].allocated_bytes, model.stacks[stack].allocated_bytes);
    }
    ASSERT_EQ(model.totals.peak_bytes, peak);
    ASSERT_EQ(model.totals.live_bytes, total);
    for (uint32_t stack = 1; stack <= kStacks; ++stack) {
      ASSERT_EQ(model.stacks[stack].peak_bytes, at_peak[stack]) << "round " << round << " stack " << stack;
      ASSERT_EQ(model.stacks[stack].live_bytes, stack_live[stack]);
    }
  }
}

TEST_F(ReportModelTest, DamagedTreeEdgesCannotFormCycles) {
  std::string file = path("cycle.lspy");
  {
    capture::CaptureWriter writer(file, capture::CaptureHeader{});
    writer.records().node({StackId(1), StackId(0), 0x10});
    writer.records().node({StackId(2), StackId(1), 0x20});
    writer.records().node({StackId(1), StackId(2), 0x30});  // redefinition: ignored
    writer.records().node({StackId(3), StackId(7), 0x40});  // parent not yet defined: hangs off the root
    writer.records().event({EventKind::Alloc, HeapId(0), StackId(2), 10, 0x100});
    writer.records().event({EventKind::Alloc, HeapId(0), StackId(3), 20, 0x200});
    writer.records().event({EventKind::Alloc, HeapId(0), StackId(9), 40, 0x300});  // never defined
    writer.records().node({StackId(4000000000u), StackId(1), 0x50});  // an absurd id: ignored, never allocated for
    writer.records().event({EventKind::Alloc, HeapId(0), StackId(4000000000u), 80, 0x400});  // counts as no stack
    writer.finish({});
  }
  CaptureModel model = read_capture_model(file, HeapSelection::parse("host"));
  EXPECT_EQ(model.nodes[1].parent.value(), 0u);
  EXPECT_EQ(model.nodes[1].frame, 0x10u);
  EXPECT_EQ(model.nodes[3].parent.value(), 0u);
  EXPECT_EQ(model.totals.live_bytes, 150u);
  EXPECT_EQ(model.symbols.label(model.node_locations(StackId(9))[0]), "[no stack]");
  EXPECT_LT(model.nodes.size(), 1u << 21);
  EXPECT_EQ(model.stacks[0].live_bytes, 80u);
}

TEST_F(ReportModelTest, TheTeardownAfterTheExitIsKeptOutOfTheProgramsLife) {
  std::string file = path("exit.lspy");
  {
    capture::CaptureWriter writer(file, capture::CaptureHeader{});
    writer.records().node({StackId(1), StackId(0), 0x10});
    writer.records().time(100);
    writer.records().event({EventKind::Alloc, HeapId(0), StackId(1), 10, 0x100});
    writer.records().event({EventKind::Alloc, HeapId(0), StackId(1), 20, 0x200});
    writer.records().event({EventKind::Free, HeapId(0), StackId(0), 0, 0x100});
    writer.records().time(500);
    writer.records().exit({capture::ExitCause::PythonFinalization});
    writer.records().event({EventKind::Free, HeapId(0), StackId(0), 0, 0x200});
    writer.records().event({EventKind::Alloc, HeapId(0), StackId(1), 40, 0x300});
    writer.records().time(900);
    capture::Trailer trailer;
    trailer.end_time = 1000;
    writer.finish(trailer);
  }
  CaptureModel model = read_capture_model(file, HeapSelection::parse("host"));
  ASSERT_TRUE(model.exit.has_value());
  EXPECT_EQ(model.exit->time, 500u);
  EXPECT_EQ(model.exit->cause, capture::ExitCause::PythonFinalization);
  EXPECT_EQ(model.exit->teardown_events, 2u);
  EXPECT_EQ(model.end_time, 500u) << "the program's life ends where its exit begins";
  EXPECT_EQ(model.events, 5u);
  EXPECT_EQ(model.totals.live_bytes, 20u) << "the teardown's free is not a release";
  EXPECT_EQ(model.totals.allocations, 2u);
  EXPECT_EQ(model.stacks[1].live_bytes, 20u);
}

// Two processes (an exec chain, or a parent and its child): the same address
// is different code, and different blocks, in each.
TEST_F(ReportModelTest, AddressesMeanWhatTheirProcessSays) {
  std::string file = path("processes.lspy");
  {
    capture::CaptureWriter writer(file, capture::CaptureHeader{});
    capture::RecordEncoder& records = writer.records();
    records.string("first");   // 1
    records.string("second");  // 2
    records.string("prog");    // 3
    records.process({0, 100, 0, capture::ProcessOrigin::Started, StringId(3), {StringId(3)}});
    records.process({1, 100, 1, capture::ProcessOrigin::Exec, StringId(3), {}});
    records.scope(0);
    records.thread({ThreadIndex(1), 100, StringId(0)});
    records.node({StackId(1), StackId(0), 0x1000});
    records.symbol({0x1000, ModuleId(0), {{StringId(1), StringId(0), 0}}});
    records.scope(1);
    records.thread({ThreadIndex(2), 100, StringId(0)});
    records.node({StackId(2), StackId(0), 0x1000});
    records.symbol({0x1000, ModuleId(0), {{StringId(2), StringId(0), 0}}});
    records.switch_thread(ThreadIndex(1));
    records.event({EventKind::Alloc, HeapId(0), StackId(1), 10, 0x500});
    records.switch_thread(ThreadIndex(2));
    records.event({EventKind::Alloc, HeapId(0), StackId(2), 20, 0x500});  // another process's block
    records.scope(1);
    records.exit({capture::ExitCause::Exit});
    records.switch_thread(ThreadIndex(2));
    records.event({EventKind::Free, HeapId(0), StackId(0), 0, 0x500});    // process 1's teardown
    records.switch_thread(ThreadIndex(1));
    records.event({EventKind::Free, HeapId(0), StackId(0), 0, 0x500});    // process 0 lives on
    records.process_end({0, capture::ProcessEndKind::Exec, 0});
    writer.finish({});
  }
  CaptureModel model = read_capture_model(file, HeapSelection::parse("host"));
  ASSERT_EQ(model.processes.size(), 2u);
  EXPECT_EQ(model.processes[1].origin, capture::ProcessOrigin::Exec);
  EXPECT_EQ(model.processes[1].parent, 1u);
  ASSERT_TRUE(model.processes[0].end.has_value());
  EXPECT_EQ(model.processes[0].end->how, capture::ProcessEndKind::Exec);
  EXPECT_EQ(model.nodes[1].process, 0u);
  EXPECT_EQ(model.nodes[2].process, 1u);
  EXPECT_EQ(model.symbols.label(model.node_locations(StackId(1))[0]), "first");
  EXPECT_EQ(model.symbols.label(model.node_locations(StackId(2))[0]), "second");
  EXPECT_EQ(model.implicit_frees, 0u) << "the same address in two processes is two blocks";
  EXPECT_EQ(model.stacks[1].live_bytes, 0u) << "process 0 freed its block";
  EXPECT_EQ(model.stacks[2].live_bytes, 20u) << "process 1 freed its block in its teardown";
  ASSERT_TRUE(model.exit.has_value());
  EXPECT_EQ(model.exit->teardown_events, 1u);
}

// A child's exit ends the child's life, not the recording's (a restarted
// gunicorn worker); chosen with --process, its exit ends the window.
TEST_F(ReportModelTest, AChildsExitEndsItsOwnLifeOnly) {
  std::string file = path("child_exit.lspy");
  {
    capture::CaptureWriter writer(file, capture::CaptureHeader{});
    capture::RecordEncoder& records = writer.records();
    records.string("prog");  // 1
    records.process({0, 100, 0, capture::ProcessOrigin::Started, StringId(1), {StringId(1)}});
    records.process({1, 200, 1, capture::ProcessOrigin::Child, StringId(1), {}});
    records.scope(0);
    records.thread({ThreadIndex(1), 100, StringId(0)});
    records.node({StackId(1), StackId(0), 0x1000});
    records.scope(1);
    records.thread({ThreadIndex(2), 200, StringId(0)});
    records.time(100);
    records.switch_thread(ThreadIndex(2));
    records.event({EventKind::Alloc, HeapId(0), StackId(1), 20, 0x500});
    records.time(300);
    records.scope(1);
    records.exit({capture::ExitCause::Exit});
    records.event({EventKind::Free, HeapId(0), StackId(0), 0, 0x500});  // the child's teardown
    records.process_end({1, capture::ProcessEndKind::Exited, 0});
    records.time(600);
    records.switch_thread(ThreadIndex(1));
    records.event({EventKind::Alloc, HeapId(0), StackId(1), 10, 0x600});
    records.time(900);
    capture::Trailer trailer;
    trailer.end_time = 900;
    writer.finish(trailer);
  }
  CaptureModel whole = read_capture_model(file, HeapSelection::parse("host"));
  EXPECT_FALSE(whole.exit.has_value()) << "the target did not exit";
  EXPECT_EQ(whole.end_time, 900u);
  EXPECT_EQ(whole.totals.live_bytes, 30u) << "the child's teardown is no release, the parent's later block counts";
  CaptureModel child = read_capture_model(file, EventSelection(HeapSelection::parse("host"), 200));
  ASSERT_TRUE(child.exit.has_value());
  EXPECT_EQ(child.exit->time, 300u);
  EXPECT_EQ(child.exit->teardown_events, 1u);
  EXPECT_EQ(child.end_time, 300u);
  EXPECT_EQ(child.totals.live_bytes, 20u);
}

TEST_F(ReportModelTest, AVersion1CaptureIsOneProcessFromItsHeader) {
  CaptureModel model = fixture_model("host");
  ASSERT_EQ(model.processes.size(), 1u);
  EXPECT_EQ(model.processes[0].pid, 4242u);
  EXPECT_EQ(model.processes[0].origin, capture::ProcessOrigin::Started);
}

TEST_F(ReportModelTest, ATruncatedCaptureIsReadToItsLastWholeChunk) {
  std::string file = path("cut.lspy");
  test::write_report_fixture(file);
  ASSERT_EQ(::truncate(file.c_str(), 200), 0);  // inside the first chunk
  CaptureModel model = read_capture_model(file, HeapSelection::parse("host"));
  EXPECT_TRUE(model.read.truncated);
  EXPECT_FALSE(model.trailer.has_value());
  EXPECT_EQ(model.totals.allocations, 0u);
  EXPECT_EQ(model.header.pid, 4242u);
}

}  // namespace
}  // namespace leakspy::analyze
