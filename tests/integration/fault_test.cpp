// Issue 16's fault suite: every terminating signal ends a recording with a
// complete capture; a full disk stops the recording, keeps what was written
// (readable, beside the path, which stays untouched) and never costs the
// program: `run` waits for it and exits with its status, `record` detaches;
// a capture cut anywhere reads up to its last whole chunk, and the later the
// cut the more it holds. (A SIGKILLed leakspy and a failed start over an
// existing capture: run_test.cpp.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "capture/format.h"
#include "tests/support/capture_summary.h"
#include "tests/support/process.h"

namespace leakspy {
namespace {

constexpr char kPython[] = "/usr/bin/python3";

// A Python program that allocates about 2 million small strings (tens of
// MiB of capture before compression), then exits with status 7.
const std::string kBusyThenSeven =
    "import time\n"
    "kept = []\n"
    "for i in range(2000000):\n"
    "    kept.append(str(i) * 3)\n"
    "print('program done', flush=True)\n"
    "raise SystemExit(7)\n";

// The same allocations without end, for attaching to.
const std::string kBusyForever =
    "import sys, time\n"
    "kept = []\n"
    "print('ready', flush=True)\n"
    "while True:\n"
    "    kept.append(str(len(kept)) * 3)\n"
    "    if len(kept) % 100000 == 0:\n"
    "        kept.clear()\n"
    "        time.sleep(0.01)\n";

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override {
    if (mounted_) ::umount2(full_.c_str(), MNT_DETACH);
    std::system(("rm -rf " + directory_).c_str());
  }
  std::string path(const std::string& name) const { return directory_ + "/" + name; }
  // A 1 MiB tmpfs: a capture fills it within a second. Root only.
  bool mount_small_disk() {
    full_ = path("full");
    std::filesystem::create_directory(full_);
    mounted_ = ::mount("tmpfs", full_.c_str(), "tmpfs", 0, "size=1m") == 0;
    return mounted_;
  }
  // The files in the small disk.
  std::vector<std::string> files_on_disk() const {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(full_)) found.push_back(entry.path().string());
    return found;
  }

  std::string directory_;
  std::string full_;
  bool mounted_ = false;
};

TEST_F(FaultTest, AFullDiskStopsRunsRecordingButNotItsProgram) {
  if (::access(kPython, X_OK) != 0) GTEST_SKIP() << "Debian's python3 is not installed";
  if (!mount_small_disk()) GTEST_SKIP() << "mounting a small tmpfs needs root";
  std::string output = full_ + "/x.lspy";
  test::ProcessResult run = test::run_leakspy({"run", "-o", output, "--", kPython, "-c", kBusyThenSeven});
  EXPECT_EQ(run.exit_code, 7) << "run exits with its program's status: " << run.err;
  EXPECT_NE(run.out.find("program done"), std::string::npos) << "the program ran to its end";
  EXPECT_NE(run.err.find("cannot write capture " + output + ": No space left on device; the recording stopped there "
                         "and the agent unhooked; what was captured up to then is in " + output + ".partial-"),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(std::filesystem::exists(output)) << "only a complete capture takes the path";
  std::vector<std::string> files = files_on_disk();
  ASSERT_EQ(files.size(), 1u);
  test::CaptureSummary summary = test::summarize_capture(files[0]);
  EXPECT_TRUE(summary.read.truncated);
  EXPECT_GT(summary.events, 1000u) << "what was written before the disk filled reads";
  test::ProcessResult top = test::run_leakspy({"top", files[0]});
  EXPECT_EQ(top.exit_code, 0) << top.err;
}

// A disk full before the capture's header: nothing is captured, and the
// program still runs to its end with run waiting for it.
TEST_F(FaultTest, ADiskFullFromTheStartCostsTheCaptureOnly) {
  if (::access(kPython, X_OK) != 0) GTEST_SKIP() << "Debian's python3 is not installed";
  if (!mount_small_disk()) GTEST_SKIP() << "mounting a small tmpfs needs root";
  {
    std::ofstream filler(full_ + "/filler", std::ios::binary);
    std::string block(64 * 1024, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) filler.flush();
  }
  std::string output = full_ + "/x.lspy";
  test::ProcessResult run = test::run_leakspy({"run", "-o", output, "--", kPython, "-c", kBusyThenSeven});
  EXPECT_EQ(run.exit_code, 7) << run.err;
  EXPECT_NE(run.out.find("program done"), std::string::npos);
  EXPECT_NE(run.err.find("No space left on device; the recording stopped there and the agent unhooked; nothing "
                         "was captured"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(files_on_disk(), std::vector<std::string>{full_ + "/filler"}) << "no file is left behind";
}

TEST_F(FaultTest, AFullDiskStopsRecordsRecordingAndDetaches) {
  if (::access(kPython, X_OK) != 0) GTEST_SKIP() << "Debian's python3 is not installed";
  if (!mount_small_disk()) GTEST_SKIP() << "mounting a small tmpfs needs root";
  test::BackgroundProcess target({kPython, "-c", kBusyForever});
  ASSERT_TRUE(target.wait_for_output("ready", 60));
  std::string output = full_ + "/attached.lspy";
  test::ProcessResult record =
      test::run_leakspy({"record", "--pid", std::to_string(target.pid()), "-o", output, "--duration", "30"});
  EXPECT_EQ(record.exit_code, 4) << record.err;
  EXPECT_NE(record.err.find("No space left on device; the recording stopped there and the agent unhooked"),
            std::string::npos)
      << record.err;
  EXPECT_NE(record.err.find("detached; process " + std::to_string(target.pid()) + " runs on"), std::string::npos)
      << record.err;
  EXPECT_EQ(::kill(target.pid(), 0), 0) << "the target lives on";
  EXPECT_FALSE(std::filesystem::exists(output));
  std::vector<std::string> files = files_on_disk();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_GT(test::summarize_capture(files[0]).events, 1000u);
}

// Each signal that ends leakspy by default, sent as a terminal sends it (to
// the whole foreground group: leakspy and its program).
class StopSignalTest : public FaultTest, public ::testing::WithParamInterface<int> {};

TEST_P(StopSignalTest, ASignalToTheGroupEndsTheRecordingWithACompleteCapture) {
  int signal = GetParam();
  std::string output = path("signaled.lspy");
  test::BackgroundProcess leakspy({test::leakspy_binary(), "run", "-o", output, test::target_path("allocate_forever")});
  ASSERT_TRUE(leakspy.wait_for_output("ready"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // What the terminal does to its foreground group: leakspy and its program
  // (here one by one, so that other tests' processes are not touched).
  ASSERT_EQ(::kill(leakspy.pid(), signal), 0);
  ASSERT_EQ(std::system(("pkill -" + std::to_string(signal) + " -P " + std::to_string(leakspy.pid())).c_str()), 0);
  EXPECT_EQ(leakspy.wait(30), 128 + signal) << "run exits as its program did";
  test::CaptureSummary summary = test::summarize_capture(output);
  EXPECT_FALSE(summary.read.truncated) << summary.read.truncation;
  ASSERT_TRUE(summary.has_trailer);
  // Which of the two took the signal first decides how the capture says the
  // program ended: killed by it, or still running when the recording stopped.
  if (summary.trailer.target_end == capture::TargetEnd::Signaled) {
    EXPECT_EQ(summary.trailer.exit_status, signal);
  } else {
    EXPECT_EQ(summary.trailer.target_end, capture::TargetEnd::StillRunning);
  }
  EXPECT_GT(summary.events, 10000u);
}

INSTANTIATE_TEST_SUITE_P(Signals, StopSignalTest, ::testing::Values(SIGHUP, SIGTERM, SIGINT, SIGQUIT),
                         [](const auto& test_case) { return std::string(sigabbrev_np(test_case.param)); });

// `kill PID` of leakspy alone: the recording ends complete, and `run` waits
// for its program, which runs on unhooked.
TEST_F(FaultTest, ATermToLeakspyAloneFinishesTheCaptureAndWaitsForTheProgram) {
  std::string output = path("terminated.lspy");
  test::BackgroundProcess leakspy({test::leakspy_binary(), "run", "-o", output, test::target_path("allocate_forever")});
  ASSERT_TRUE(leakspy.wait_for_output("ready"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  leakspy.send_signal(SIGTERM);
  ASSERT_TRUE(test::wait_for_finished_capture(output, 30));
  test::CaptureSummary summary = test::summarize_capture(output);
  ASSERT_TRUE(summary.has_trailer);
  EXPECT_EQ(summary.trailer.target_end, capture::TargetEnd::StillRunning);
  EXPECT_GT(summary.events, 10000u);
  ASSERT_EQ(std::system(("pkill -TERM -P " + std::to_string(leakspy.pid())).c_str()), 0);
  EXPECT_EQ(leakspy.wait(30), 128 + SIGTERM) << "run exits as its program did";
}

// A capture cut at 10 points spread over it: each cut reads (its whole
// chunks), and a later cut never holds fewer events.
TEST_F(FaultTest, ACaptureCutAnywhereReadsItsWholeChunks) {
  if (::access(kPython, X_OK) != 0) GTEST_SKIP() << "Debian's python3 is not installed";
  std::string output = path("whole.lspy");
  test::ProcessResult run = test::run_leakspy({"run", "-o", output, "--", kPython, "-c", kBusyThenSeven});
  ASSERT_EQ(run.exit_code, 7) << run.err;
  std::uintmax_t size = std::filesystem::file_size(output);
  std::ifstream in(output, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  uint64_t full = test::summarize_capture(output).events;
  ASSERT_GT(full, 10000u);
  uint64_t previous = 0;
  for (int cut = 1; cut <= 10; ++cut) {
    std::string piece = path("cut-" + std::to_string(cut) + ".lspy");
    std::ofstream(piece, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(size * cut / 11));
    test::ProcessResult inspect = test::run_leakspy({"inspect", "--stats", piece});
    EXPECT_EQ(inspect.exit_code, 0) << "cut " << cut << ": " << inspect.err;
    uint64_t events = test::summarize_capture(piece).events;
    EXPECT_GE(events, previous) << "cut " << cut;
    EXPECT_LE(events, full);
    previous = events;
  }
  EXPECT_GT(previous, full / 2) << "nine tenths of the file hold more than half its events";
}

// The frames of a capture file (its chunks and end mark): where each begins.
std::vector<size_t> frame_offsets(const std::string& bytes) {
  auto u32 = [&](size_t at) {
    uint32_t value = 0;
    std::memcpy(&value, bytes.data() + at, 4);
    return value;
  };
  std::vector<size_t> frames;
  for (size_t at = capture::kFileHeaderSize + u32(12); at + capture::kFrameHeaderSize <= bytes.size();
       at += capture::kFrameHeaderSize + u32(at + 4)) {
    frames.push_back(at);
  }
  return frames;
}

// One damaged chunk in the middle: the reports go on with the rest, say how
// much was lost, and count every event of the other chunks (as many as the
// file with that chunk cut out holds).
TEST_F(FaultTest, ADamagedChunkInTheMiddleIsSkippedAndSaid) {
  if (::access(kPython, X_OK) != 0) GTEST_SKIP() << "Debian's python3 is not installed";
  std::string output = path("whole.lspy");
  ASSERT_EQ(test::run_leakspy({"run", "-o", output, "--", kPython, "-c", kBusyThenSeven}).exit_code, 7);
  std::ifstream in(output, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::vector<size_t> frames = frame_offsets(bytes);
  ASSERT_GE(frames.size(), 5u) << "a capture of several chunks";
  size_t chunk = frames.size() / 2;
  std::string damaged = bytes;
  size_t middle = (frames[chunk] + capture::kFrameHeaderSize + frames[chunk + 1]) / 2;
  damaged[middle] = static_cast<char>(damaged[middle] ^ 0x40);
  std::ofstream(path("damaged.lspy"), std::ios::binary).write(damaged.data(), static_cast<std::streamsize>(damaged.size()));
  std::string without = bytes.substr(0, frames[chunk]) + bytes.substr(frames[chunk + 1]);
  std::ofstream(path("without.lspy"), std::ios::binary).write(without.data(), static_cast<std::streamsize>(without.size()));

  test::CaptureSummary read = test::summarize_capture(path("damaged.lspy"));
  EXPECT_EQ(read.events, test::summarize_capture(path("without.lspy")).events);
  EXPECT_LT(read.events, test::summarize_capture(output).events);
  EXPECT_TRUE(read.has_trailer);
  test::ProcessResult top = test::run_leakspy({"top", path("damaged.lspy")});
  EXPECT_EQ(top.exit_code, 0) << top.err;
  EXPECT_NE(top.err.find("is damaged: 1 chunk damaged ("), std::string::npos) << top.err;
  EXPECT_NE(top.out.find("WARNING    the capture is damaged: 1 chunk damaged ("), std::string::npos) << top.out;
  test::ProcessResult stats = test::run_leakspy({"inspect", "--stats", path("damaged.lspy")});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_NE(stats.out.find("damage: 1 chunk damaged"), std::string::npos) << stats.out;
}

}  // namespace
}  // namespace leakspy
