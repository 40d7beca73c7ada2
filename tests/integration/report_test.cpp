// top, flamegraph and export on real recordings of deterministic targets:
// exact sites, lines and bytes; the JSON agrees with the table; a capture
// renders the same after the program's files are gone; a progress bar on a
// terminal only; errors become the documented exit codes.
#include <gtest/gtest.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "capture/capture_writer.h"
#include "tests/support/capture_summary.h"
#include "tests/support/process.h"

namespace leakspy {
namespace {

using test::run_process;

// The line of `source` (under the repository) that contains `marker`.
uint32_t line_of(const std::string& source, const std::string& marker) {
  std::ifstream file(std::string(LEAKSPY_SOURCE_DIR) + "/" + source);
  std::string line;
  for (uint32_t number = 1; std::getline(file, line); ++number) {
    if (line.find(marker) != std::string::npos) return number;
  }
  ADD_FAILURE() << marker << " not found in " << source;
  return 0;
}

std::vector<std::string> table_rows(const std::string& table) {
  std::vector<std::string> rows;
  std::istringstream in(table);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (inside && !line.empty()) rows.push_back(line);
    if (line.size() > 10 && line.compare(line.size() - 10, 10, "  location") == 0) inside = true;
  }
  return rows;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }
  std::string path(const std::string& name) const { return directory_ + "/" + name; }

  std::string record(const std::string& program, const std::string& name) {
    test::ProcessResult result = run_process({test::leakspy_binary(), "run", "-o", path(name), program});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return path(name);
  }
  std::string leakspy(const std::vector<std::string>& arguments) {
    std::vector<std::string> argv = {test::leakspy_binary()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    test::ProcessResult result = run_process(argv);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  }
  static std::string read_file(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  std::string directory_;
};

TEST_F(ReportTest, TopNamesTheLeakingFunctionWithItsLineAndExactBytes) {
  std::string capture = record(test::target_path("leak_known_line"), "leak.lspy");
  std::string location = "leak_page (" + std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/leak_known_line.c:" +
                         std::to_string(line_of("tests/targets/leak_known_line.c", "malloc(4096)")) + ")";

  std::vector<std::string> exact = table_rows(leakspy({"top", capture, "--bytes"}));
  ASSERT_FALSE(exact.empty());
  std::istringstream row(exact[0]);
  std::string live, peak, allocated, count;
  row >> live >> peak >> allocated >> count;
  EXPECT_EQ(live, "4096000");
  EXPECT_EQ(peak, "4096000");
  EXPECT_EQ(allocated, "4096000");
  EXPECT_EQ(count, "1,000");
  EXPECT_EQ(exact[0].substr(exact[0].find("leak_page")), location);

  nlohmann::json json = nlohmann::json::parse(leakspy({"top", capture, "--json"}));
  const nlohmann::json& first = json["sites"][0];
  EXPECT_EQ(first["function"], "leak_page");
  EXPECT_EQ(first["line"], line_of("tests/targets/leak_known_line.c", "malloc(4096)"));
  EXPECT_EQ(first["live_bytes"], 4096000u);
  EXPECT_EQ(first["allocations"], 1000u);
  EXPECT_EQ(first["location"], location);
  EXPECT_EQ(json["totals"]["dropped_events"], 0u);
  EXPECT_FALSE(json["capture"]["attached_mid_run"].get<bool>());

  // The human table and the JSON say the same, row by row.
  std::vector<std::string> human = table_rows(leakspy({"top", capture}));
  ASSERT_EQ(human.size(), json["sites"].size());
  for (size_t i = 0; i < human.size(); ++i) {
    const nlohmann::json& site = json["sites"][i];
    std::string expected_location = site["location"];
    EXPECT_EQ(human[i].substr(human[i].size() - expected_location.size()), expected_location);
    std::vector<std::string> exact_cells;
    std::istringstream exact_row(table_rows(leakspy({"top", capture, "--bytes"}))[i]);
    for (std::string cell; exact_cells.size() < 3 && exact_row >> cell;) exact_cells.push_back(cell);
    EXPECT_EQ(exact_cells[0], std::to_string(site["live_bytes"].get<uint64_t>()));
    EXPECT_EQ(exact_cells[1], std::to_string(site["peak_bytes"].get<uint64_t>()));
    EXPECT_EQ(exact_cells[2], std::to_string(site["allocated_bytes"].get<uint64_t>()));
  }
}

TEST_F(ReportTest, InlinedFunctionIsTheSiteAndTheStackShowsTheInlineChain) {
  std::string capture = record(test::target_path("leak_inlined"), "inlined.lspy");
  std::string source = std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/leak_inlined.cpp";
  std::string make_entry = "cache::make_entry(unsigned long) (" + source + ":" +
                           std::to_string(line_of("tests/targets/leak_inlined.cpp", "LEAK: make_entry")) + ")";
  std::string fill = "cache::fill(std::vector<char*, std::allocator<char*> >&, int) (" + source + ":" +
                     std::to_string(line_of("tests/targets/leak_inlined.cpp", "CALL: fill")) + ")";
  nlohmann::json json = nlohmann::json::parse(leakspy({"top", capture, "--json"}));
  EXPECT_EQ(json["sites"][0]["location"], make_entry);
  EXPECT_EQ(json["sites"][0]["live_bytes"], 500u * 256u);
  EXPECT_EQ(json["sites"][0]["allocations"], 500u);

  std::string collapsed = leakspy({"export", capture, "--format", "collapsed"});
  EXPECT_NE(collapsed.find(";" + fill + ";" + make_entry + ";operator new"), std::string::npos) << collapsed;
  EXPECT_NE(collapsed.find(" 128000\n"), std::string::npos);
  std::string reversed = leakspy({"export", capture, "--format", "collapsed", "--reverse"});
  // Leaf first: the 500 leaks start at operator new, then the inlined function.
  EXPECT_NE(reversed.find("\noperator new(unsigned long) (libstdc++.so.6);" + make_entry + ";" + fill + ";main"),
            std::string::npos)
      << reversed;
}

TEST_F(ReportTest, CaptureRendersTheSameAfterTheProgramIsGone) {
  std::string app = path("app");
  ASSERT_EQ(run_process({"mkdir", "-p", app}).exit_code, 0);
  ASSERT_EQ(run_process({"cp", test::target_path("leak_known_line"), app + "/leak_known_line"}).exit_code, 0);
  std::string capture = record(app + "/leak_known_line", "gone.lspy");
  auto render_all = [&](const std::string& file) {
    return std::vector<std::string>{leakspy({"top", file}), leakspy({"top", file, "--json", "--by", "allocated"}),
                                    leakspy({"export", file, "--format", "collapsed", "--metric", "allocated"}),
                                    leakspy({"export", file, "--format", "speedscope"}),
                                    leakspy({"flamegraph", file, "-o", "-"})};
  };
  std::vector<std::string> before = render_all(capture);
  EXPECT_NE(before[0].find("leak_page ("), std::string::npos);

  ASSERT_EQ(run_process({"cp", capture, path("copied.lspy")}).exit_code, 0);
  ASSERT_EQ(run_process({"rm", "-rf", app, capture}).exit_code, 0);
  std::vector<std::string> after = render_all(path("copied.lspy"));
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]) << "output " << i;
}

TEST_F(ReportTest, SymbolsOfATargetStillRunningWhenRecordingStops) {
  // Recording stops while the program lives on: the recorder resolves its
  // frames through /proc/PID/root (the program's own view of its files).
  std::string capture = path("running.lspy");
  test::BackgroundProcess recording(
      {test::leakspy_binary(), "run", "-o", capture, test::target_path("leak_known_line"), "--wait"});
  ASSERT_TRUE(recording.wait_for_output("leaked 1000 pages", 30)) << recording.output();
  recording.send_signal(SIGINT);  // leakspy alone: the program keeps waiting on its stdin
  ASSERT_TRUE(test::wait_for_finished_capture(capture));
  recording.close_stdin();
  EXPECT_EQ(recording.wait(30), 0);
  nlohmann::json json = nlohmann::json::parse(leakspy({"top", capture, "--json"}));
  EXPECT_EQ(json["capture"]["target_end"], "still running");
  EXPECT_EQ(json["sites"][0]["function"], "leak_page");
  EXPECT_EQ(json["sites"][0]["line"], line_of("tests/targets/leak_known_line.c", "malloc(4096)"));
  EXPECT_EQ(json["sites"][0]["live_bytes"], 4096000u);
}

TEST_F(ReportTest, SpeedscopeAndSvgAreWellFormed) {
  std::string capture = record(test::target_path("leak_known_line"), "leak.lspy");
  nlohmann::json speedscope = nlohmann::json::parse(leakspy({"export", capture, "--format", "speedscope"}));
  EXPECT_EQ(speedscope["profiles"][0]["unit"], "bytes");
  EXPECT_EQ(speedscope["profiles"][0]["endValue"], 4096000u + 4096u);  // the leak and stdout's buffer
  EXPECT_EQ(speedscope["profiles"][0]["samples"].size(), speedscope["profiles"][0]["weights"].size());

  leakspy({"flamegraph", capture, "-o", path("graph.svg"), "--metric", "peak", "--reverse"});
  std::string svg = read_file(path("graph.svg"));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("leak_page ("), std::string::npos);
  EXPECT_NE(svg.find("Memory live at the peak, by allocating function (reversed)"), std::string::npos);
  EXPECT_NE(svg.find("</svg>\n"), std::string::npos);
}

// A report's -o file is written as a capture is: never through a symlink or
// into another user's file; an older file is replaced whole; /dev/null and
// other devices of root's are written as they are.
TEST_F(ReportTest, OutputFilesAreReplacedOnlyWhenTheyAreLeakspysOwn) {
  std::string capture = record(test::target_path("leak_known_line"), "leak.lspy");
  std::ofstream(path("old.svg")) << "an older graph";
  leakspy({"flamegraph", capture, "-o", path("old.svg")});
  EXPECT_EQ(read_file(path("old.svg")).rfind("<?xml", 0), 0u);
  leakspy({"flamegraph", capture, "-o", "/dev/null"});

  std::ofstream(path("target.svg")) << "not to be written";
  ASSERT_EQ(::symlink(path("target.svg").c_str(), path("link.svg").c_str()), 0);
  test::ProcessResult linked = run_process({test::leakspy_binary(), "flamegraph", capture, "-o", path("link.svg")});
  EXPECT_EQ(linked.exit_code, 4);
  EXPECT_NE(linked.err.find("cannot write output " + path("link.svg") + ": it is a symlink"), std::string::npos)
      << linked.err;
  if (geteuid() == 0) {
    ASSERT_EQ(::chown(path("target.svg").c_str(), 12345, 12345), 0);
    test::ProcessResult theirs =
        run_process({test::leakspy_binary(), "export", capture, "--format", "collapsed", "-o", path("target.svg")});
    EXPECT_EQ(theirs.exit_code, 4);
    EXPECT_NE(theirs.err.find("it belongs to uid 12345"), std::string::npos) << theirs.err;
  }
  EXPECT_EQ(read_file(path("target.svg")), "not to be written");
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory_)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"leak.lspy", "link.svg", "old.svg", "target.svg"}));
}

TEST_F(ReportTest, ErrorsBecomeTheirExitCodes) {
  EXPECT_EQ(run_process({test::leakspy_binary(), "top", path("missing.lspy")}).exit_code, 3);
  std::ofstream(path("not-a-capture.lspy")) << "hello";
  EXPECT_EQ(run_process({test::leakspy_binary(), "flamegraph", path("not-a-capture.lspy")}).exit_code, 3);
  std::string capture = record(test::target_path("leak_known_line"), "leak.lspy");
  EXPECT_EQ(run_process({test::leakspy_binary(), "flamegraph", capture, "-o", path("no/such/dir/x.svg")}).exit_code, 4);
  EXPECT_EQ(run_process({test::leakspy_binary(), "top", capture, "--by", "rss"}).exit_code, 2);
  EXPECT_EQ(run_process({test::leakspy_binary(), "export", capture}).exit_code, 2);  // --format is required
  test::ProcessResult unknown_heap = run_process({test::leakspy_binary(), "top", capture, "--heap", "gpu0"});
  EXPECT_EQ(unknown_heap.exit_code, 2);
  EXPECT_NE(unknown_heap.err.find("its heaps: malloc, mmap"), std::string::npos) << unknown_heap.err;
  test::ProcessResult no_heap = run_process({test::leakspy_binary(), "top", capture, "--heap", "cuda"});
  EXPECT_EQ(no_heap.exit_code, 0);
  EXPECT_NE(no_heap.out.find("no call site has live bytes"), std::string::npos) << no_heap.out;
}

// Runs `argv` with stdin, stdout and stderr on a new terminal; returns all it wrote.
std::string run_on_terminal(const std::vector<std::string>& argv) {
  int terminal = -1;
  pid_t pid = forkpty(&terminal, nullptr, nullptr, nullptr);
  if (pid < 0) return "forkpty failed";
  if (pid == 0) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  std::string output;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(terminal, buffer, sizeof(buffer));
    if (n > 0) {
      output.append(buffer, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO once the child has exited and closed the terminal
    }
  }
  ::close(terminal);
  int status = 0;
  waitpid(pid, &status, 0);
  return output;
}

TEST_F(ReportTest, ProgressBarOnATerminalOnly) {
  // A capture of a few MiB: addresses far apart do not compress.
  std::string big = path("big.lspy");
  {
    capture::CaptureWriter writer(big, capture::CaptureHeader{});
    writer.records().node({StackId(1), StackId(0), 0x1000});
    std::mt19937_64 random(7);
    for (int i = 0; i < 400000; ++i) {
      writer.records().event({capture::EventKind::Alloc, HeapId(0), StackId(1), 16, random()});
      writer.maybe_flush();
    }
    writer.finish({});
  }
  std::string on_terminal = run_on_terminal({test::leakspy_binary(), "top", big, "-n", "1"});
  EXPECT_NE(on_terminal.find("reading big.lspy ["), std::string::npos) << on_terminal.substr(0, 300);
  EXPECT_NE(on_terminal.find("100%"), std::string::npos);
  test::ProcessResult piped = run_process({test::leakspy_binary(), "top", big, "-n", "1"});
  EXPECT_EQ(piped.exit_code, 0);
  EXPECT_EQ(piped.err.find("reading"), std::string::npos) << piped.err;
}

}  // namespace
}  // namespace leakspy
