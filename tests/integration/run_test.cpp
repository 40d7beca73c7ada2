// `leakspy run` on deterministic targets, asserting exact numbers.
#include <signal.h>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "tests/support/capture_summary.h"
#include "tests/support/process.h"

namespace leakspy {
namespace {

using test::CaptureSummary;
using test::run_process;

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }
  std::string capture(const std::string& name) const { return directory_ + "/" + name + ".lspy"; }
  std::vector<std::string> names() const {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
      found.push_back(entry.path().filename().string());
    }
    std::sort(found.begin(), found.end());
    return found;
  }
  static std::string read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string directory_;
};

TEST_F(RunTest, LeakingTargetHasExactlyItsLeaksLiveWithOneStack) {
  test::ProcessResult result = run_process(
      {test::leakspy_binary(), "run", "-o", capture("leak"), test::target_path("leak_known_line")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("leaked 1000 pages"), std::string::npos);
  EXPECT_NE(result.err.find("wrote " + capture("leak")), std::string::npos) << result.err;

  CaptureSummary summary = test::summarize_capture(capture("leak"));
  EXPECT_FALSE(summary.read.truncated);
  ASSERT_TRUE(summary.has_trailer);
  EXPECT_EQ(summary.trailer.target_end, capture::TargetEnd::Exited);
  EXPECT_EQ(summary.trailer.exit_status, 0);
  EXPECT_EQ(summary.trailer.dropped_events, 0u);
  EXPECT_FALSE(summary.header.attached_mid_run());

  // Every live 4096-byte block, grouped by stack: the leak is one group of
  // exactly 1000 whose innermost frame is in the target (leak_page's call).
  std::map<uint32_t, int> pages_by_stack;
  for (const test::LiveEntry& entry : summary.live_with_size(4096)) ++pages_by_stack[entry.stack];
  auto leak = std::max_element(pages_by_stack.begin(), pages_by_stack.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  ASSERT_NE(leak, pages_by_stack.end());
  EXPECT_EQ(leak->second, 1000);
  std::vector<uint64_t> frames = summary.frames(leak->first);
  ASSERT_GE(frames.size(), 2u);
  EXPECT_NE(summary.module_of(frames[0]).find("leak_known_line"), std::string::npos);

  // The churn in between: 1000 malloc+free, 1000 calloc+realloc+free, all gone.
  EXPECT_EQ(summary.events_by_kind[static_cast<int>(capture::EventKind::ReallocIn)], 1000u);
  EXPECT_EQ(summary.events_by_kind[static_cast<int>(capture::EventKind::ReallocOut)], 1000u);
  EXPECT_GE(summary.events_by_kind[static_cast<int>(capture::EventKind::Alloc)], 3000u);
  EXPECT_GE(summary.events_by_kind[static_cast<int>(capture::EventKind::Free)], 2000u);
  EXPECT_EQ(summary.unknown_releases, 0u);
  EXPECT_EQ(summary.implicit_frees, 0u);
  uint64_t live_in_target = 0;
  for (const test::LiveEntry& entry : summary.live) {
    if (entry.heap == capture::kHeapMalloc && entry.stack == leak->first) live_in_target += entry.size;
  }
  EXPECT_EQ(live_in_target, 1000u * 4096u);
}

// Counts the capture's events between the allocations of two marker sizes.
struct WindowCounter : capture::RecordVisitor {
  uint64_t begin_size, end_size;
  bool inside = false, done = false;
  uint64_t allocations = 0, releases = 0;
  WindowCounter(uint64_t begin, uint64_t end) : begin_size(begin), end_size(end) {}
  void on_event(const capture::EventRecord& event) {
    if (event.kind == capture::EventKind::Alloc && event.size == begin_size) {
      inside = true;
      return;
    }
    if (event.kind == capture::EventKind::Alloc && event.size == end_size) {
      inside = false;
      done = true;
    }
    if (!inside) return;
    capture::event_releases(event.kind) ? ++releases : ++allocations;
  }
};

TEST_F(RunTest, CxxTargetsOwnCounterEqualsTheEventsRecorded) {
  test::ProcessResult result =
      run_process({test::leakspy_binary(), "run", "-o", capture("cxx"), test::target_path("cxx_counted")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  long news = 0, deletes = 0;
  ASSERT_EQ(std::sscanf(result.out.c_str(), "news=%ld deletes=%ld", &news, &deletes), 2) << result.out;
  EXPECT_GT(news, 800);

  capture::CaptureReader reader(capture("cxx"));
  WindowCounter window(0x5eed01, 0x5eed02);
  reader.read(window);
  ASSERT_TRUE(window.done);
  EXPECT_EQ(window.allocations, static_cast<uint64_t>(news));
  EXPECT_EQ(window.releases, static_cast<uint64_t>(deletes));
}

// Every event of the capture with its kind and size.
struct EventList : capture::RecordVisitor {
  std::vector<capture::EventRecord> events;
  void on_event(const capture::EventRecord& event) { events.push_back(event); }
  bool has(capture::EventKind kind, uint64_t size, uint32_t heap = capture::kHeapMalloc) const {
    return std::any_of(events.begin(), events.end(), [&](const capture::EventRecord& e) {
      return e.kind == kind && e.size == size && e.heap.value() == heap;
    });
  }
};

TEST_F(RunTest, EveryHookedFunctionIsRecordedAndForkedChildrenAreNot) {
  test::ProcessResult result =
      run_process({test::leakspy_binary(), "run", "-o", capture("hooks"), test::target_path("every_hook"),
                   test::target_path("libleakspy_probe.so")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("done child=0"), std::string::npos) << result.out;
  capture::CaptureReader reader(capture("hooks"));
  EventList list;
  reader.read(list);
  using capture::EventKind;
  EXPECT_TRUE(list.has(EventKind::Alloc, 1001)) << "malloc";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1002)) << "calloc";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1003)) << "realloc(NULL, n)";
  EXPECT_TRUE(list.has(EventKind::ReallocIn, 1004)) << "realloc";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1005)) << "reallocarray(NULL, ...)";
  EXPECT_TRUE(list.has(EventKind::ReallocIn, 1006)) << "reallocarray";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1007)) << "posix_memalign";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1032)) << "aligned_alloc";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1009)) << "memalign";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1010)) << "valloc";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1011)) << "pvalloc";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1012 * 4096, capture::kHeapMmap)) << "mmap";
  EXPECT_TRUE(list.has(EventKind::FreeRange, 1012 * 4096, capture::kHeapMmap)) << "mremap, old range";
  EXPECT_TRUE(list.has(EventKind::ReallocIn, 1013 * 4096, capture::kHeapMmap)) << "mremap, new range";
  EXPECT_TRUE(list.has(EventKind::FreeRange, 1013 * 4096, capture::kHeapMmap)) << "munmap";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1014 * 4096, capture::kHeapMmap)) << "mmap64";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1020)) << "a library dlopened while recording";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1021)) << "the same library, dlopened again after dlclose";
  EXPECT_TRUE(list.has(EventKind::Alloc, 1030)) << "the parent after fork";
  EXPECT_FALSE(list.has(EventKind::Alloc, 777777)) << "the forked child is not recorded";
  test::CaptureSummary summary = test::summarize_capture(capture("hooks"));
  EXPECT_EQ(summary.unknown_releases, 0u);
  EXPECT_EQ(summary.implicit_frees, 0u);
}

TEST_F(RunTest, EightThreadsWithAMillionAllocationsEachFinishWithoutDeadlock) {
  test::ProcessResult result = run_process(
      {test::leakspy_binary(), "run", "-o", capture("threads"), test::target_path("threads_stress"), "8", "1000000"},
      240);
  ASSERT_FALSE(result.timed_out) << "leakspy or the target hung";
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("allocations=8000000 kept=8000"), std::string::npos) << result.out;

  CaptureSummary summary = test::summarize_capture(capture("threads"));
  ASSERT_TRUE(summary.has_trailer);
  EXPECT_EQ(summary.threads.size() >= 8, true);
  // Every allocation is either in the capture or counted as dropped.
  uint64_t allocations = summary.events_by_kind[static_cast<int>(capture::EventKind::Alloc)];
  EXPECT_GE(allocations + summary.trailer.dropped_events, 8000000u);
  if (summary.trailer.dropped_events == 0) {
    // Nothing lost: the merged order must be consistent, so exactly the kept
    // blocks remain from the workers' allocate() calls.
    EXPECT_EQ(summary.implicit_frees, 0u);
    EXPECT_EQ(summary.trailer.forced_orders, 0u);
  }
  test::ProcessResult stats = run_process({test::leakspy_binary(), "inspect", "--stats", capture("threads")});
  EXPECT_EQ(stats.exit_code, 0);
  EXPECT_NE(stats.out.find("dropped events: " + std::to_string(summary.trailer.dropped_events)), std::string::npos)
      << stats.out;
}

TEST_F(RunTest, TargetKilledMidRunLeavesACleanCapture) {
  test::BackgroundProcess leakspy(
      {test::leakspy_binary(), "run", "-o", capture("killed"), test::target_path("allocate_forever")});
  ASSERT_TRUE(leakspy.wait_for_output("ready"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // Only this leakspy's program (its child): other tests run the same one.
  ASSERT_EQ(std::system(("pkill -KILL -P " + std::to_string(leakspy.pid())).c_str()), 0);
  EXPECT_EQ(leakspy.wait(20), 128 + SIGKILL) << "run exits as its program did";

  CaptureSummary summary = test::summarize_capture(capture("killed"));
  EXPECT_FALSE(summary.read.truncated) << summary.read.truncation;
  ASSERT_TRUE(summary.has_trailer);
  EXPECT_EQ(summary.trailer.target_end, capture::TargetEnd::Signaled);
  EXPECT_EQ(summary.trailer.exit_status, SIGKILL);
  EXPECT_GT(summary.events, 10000u);
}

TEST_F(RunTest, InterruptEndsTheRecordingWithACompleteCapture) {
  test::BackgroundProcess leakspy(
      {test::leakspy_binary(), "run", "-o", capture("interrupted"), test::target_path("allocate_forever")});
  ASSERT_TRUE(leakspy.wait_for_output("ready"));
  // Let some recording happen: a program killed by a signal loses what its
  // threads had not handed to the writer thread yet (one drain cycle, ~10 ms).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // Ctrl-C reaches the whole foreground process group: leakspy and its program.
  ::kill(-leakspy.pid(), SIGINT);
  EXPECT_EQ(leakspy.wait(20), 128 + SIGINT);
  CaptureSummary summary = test::summarize_capture(capture("interrupted"));
  EXPECT_FALSE(summary.read.truncated);
  ASSERT_TRUE(summary.has_trailer);
  EXPECT_GT(summary.events, 10000u);
}

TEST_F(RunTest, ErrorsAreOneLineWithTheirExitCode) {
  test::ProcessResult missing =
      run_process({test::leakspy_binary(), "run", "-o", capture("x"), directory_ + "/no-such-program"});
  EXPECT_EQ(missing.exit_code, 5);
  EXPECT_NE(missing.err.find("cannot run"), std::string::npos) << missing.err;
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;

  test::ProcessResult unwritable = run_process(
      {test::leakspy_binary(), "run", "-o", directory_ + "/no/dir/x.lspy", test::target_path("leak_known_line")});
  EXPECT_EQ(unwritable.exit_code, 4);
  EXPECT_NE(unwritable.err.find("cannot create capture"), std::string::npos) << unwritable.err;

  test::ProcessResult usage = run_process({test::leakspy_binary(), "run"});
  EXPECT_EQ(usage.exit_code, 2);

  test::ProcessResult corrupt = run_process({test::leakspy_binary(), "inspect", "/etc/hostname"});
  EXPECT_EQ(corrupt.exit_code, 3);
  EXPECT_NE(corrupt.err.find("not a leakspy capture"), std::string::npos) << corrupt.err;
}

// Issue 16: a capture file is only replaced by a complete capture. A failed
// start leaves the old file byte for byte and no other file.
TEST_F(RunTest, AFailedStartLeavesTheOldCaptureAsItWas) {
  std::string old_bytes = "LSPYCAP an older capture " + std::string(5000, 'x');
  std::ofstream(capture("keep"), std::ios::binary) << old_bytes;
  test::ProcessResult missing =
      run_process({test::leakspy_binary(), "run", "-o", capture("keep"), "--", "/no/such/prog"});
  EXPECT_EQ(missing.exit_code, 5) << missing.err;
  EXPECT_EQ(read(capture("keep")), old_bytes);
  EXPECT_EQ(names(), std::vector<std::string>{"keep.lspy"});

  // A recording that ends well replaces it, and leaves nothing else.
  test::ProcessResult recorded =
      run_process({test::leakspy_binary(), "run", "-o", capture("keep"), test::target_path("leak_known_line")});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_EQ(names(), std::vector<std::string>{"keep.lspy"});
  CaptureSummary summary = test::summarize_capture(capture("keep"));
  EXPECT_TRUE(summary.has_trailer);
}

// Issue 14, finding 10: root's capture never goes into a file that belongs
// to someone else (a predictable leakspy-PID.lspy made in advance), nor
// through a symlink; the program is not started.
TEST_F(RunTest, AnotherUsersFileOrASymlinkIsRefusedBeforeTheProgramStarts) {
  std::string marker = directory_ + "/started";
  std::string theirs = capture("theirs");
  std::ofstream(theirs) << "another user's file";
  if (geteuid() == 0) {
    ASSERT_EQ(::chown(theirs.c_str(), 12345, 12345), 0);
    ASSERT_EQ(::chmod(theirs.c_str(), 0666), 0);
    test::ProcessResult refused =
        run_process({test::leakspy_binary(), "run", "-o", theirs, "/bin/sh", "-c", "touch " + marker});
    EXPECT_EQ(refused.exit_code, 4) << refused.err;
    EXPECT_NE(refused.err.find("it belongs to uid 12345"), std::string::npos) << refused.err;
    EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
    EXPECT_EQ(read(theirs), "another user's file");
  }
  ASSERT_EQ(::symlink(theirs.c_str(), capture("link").c_str()), 0);
  test::ProcessResult linked =
      run_process({test::leakspy_binary(), "run", "-o", capture("link"), "/bin/sh", "-c", "touch " + marker});
  EXPECT_EQ(linked.exit_code, 4) << linked.err;
  EXPECT_NE(linked.err.find("it is a symlink"), std::string::npos) << linked.err;
  EXPECT_EQ(read(theirs), "another user's file");
  EXPECT_EQ(names(), (std::vector<std::string>{"link.lspy", "theirs.lspy"}));  // no marker, no partial file
}

// What a killed leakspy leaves: the partial file beside the path, a capture
// readable up to its last whole chunk; the path itself is not touched.
TEST_F(RunTest, AKilledLeakspyLeavesThePartialCaptureBesideThePath) {
  std::ofstream(capture("partial"), std::ios::binary) << "previous";
  test::BackgroundProcess leakspy(
      {test::leakspy_binary(), "run", "-o", capture("partial"), test::target_path("allocate_forever")});
  ASSERT_TRUE(leakspy.wait_for_output("ready"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  leakspy.send_signal(SIGKILL);
  leakspy.wait(20);
  EXPECT_EQ(read(capture("partial")), "previous");
  std::vector<std::string> found = names();
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0], "partial.lspy");
  EXPECT_EQ(found[1].rfind("partial.lspy.partial-", 0), 0u) << found[1];
  CaptureSummary summary = test::summarize_capture(directory_ + "/" + found[1]);
  // The program runs on (its agent unhooks once it finds leakspy gone): its
  // pid is the capture's, so no other test's program is touched.
  ::kill(static_cast<pid_t>(summary.header.pid), SIGKILL);
  EXPECT_FALSE(summary.has_trailer);
}

// Issue 16: a slow stream of events reaches the file within a second, so a
// SIGKILL of leakspy loses at most the last second. The target allocates
// every 5 ms: at that rate a chunk fills by size only after minutes.
TEST_F(RunTest, AKilledLeakspyLosesAtMostTheLastSecondOfASlowStream) {
  test::BackgroundProcess leakspy(
      {test::leakspy_binary(), "run", "-o", capture("slow"), "--", test::target_path("leak_to_the_end"), "60"});
  // The partial file appears when recording starts; then 2.5 s of recording.
  std::string partial;
  auto started = std::chrono::steady_clock::now();
  while (partial.empty() && std::chrono::steady_clock::now() - started < std::chrono::seconds(30)) {
    for (const std::string& name : names()) {
      if (name.rfind("slow.lspy.partial-", 0) == 0) partial = directory_ + "/" + name;
    }
    if (partial.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(partial.empty()) << "no partial capture appeared";
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // the quantity under test, not a handshake
  timespec killed{};
  clock_gettime(CLOCK_REALTIME, &killed);
  leakspy.send_signal(SIGKILL);
  leakspy.wait(20);

  CaptureSummary summary = test::summarize_capture(partial);
  ::kill(static_cast<pid_t>(summary.header.pid), SIGKILL);  // the program runs on without leakspy
  EXPECT_FALSE(summary.has_trailer);
  ASSERT_GT(summary.events, 0u) << "nothing reached the file";
  double killed_at = static_cast<double>(killed.tv_sec) + static_cast<double>(killed.tv_nsec) * 1e-9 -
                     static_cast<double>(summary.header.start_unix_ns) * 1e-9;
  double last_event = static_cast<double>(summary.last_time) * static_cast<double>(summary.header.time_unit_ns) * 1e-9;
  std::printf("killed at %.3f s, last event in the file at %.3f s: %.3f s lost\n", killed_at, last_event,
              killed_at - last_event);
  EXPECT_LT(killed_at - last_event, 1.0);
}

}  // namespace
}  // namespace leakspy
