// How fast `leakspy top` and `leakspy flamegraph` read a capture, in events
// per second, on a synthetic capture of 10 million events (written once and
// reused). The target is 20 million events per second.
//
//   build/bench/leakspy_report_bench                  in-process, best of 3
//   build/bench/leakspy_report_bench --leakspy build/bin/leakspy
//                                                     also the CLI, end to end
//   options: --capture PATH (default /tmp/leakspy-report-bench-10M.lspy),
//            --events N, --runs N, --regenerate
//
// In-process numbers time what the commands do after parsing their options:
// read and replay the capture (decompress, decode, live set, per-stack
// totals), then build and render the report into memory.

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "analyze/capture_model.h"
#include "analyze/flame_tree.h"
#include "bench/reports/synthetic_capture.h"
#include "render/flamegraph_svg.h"
#include "render/top_report.h"
#include "render/units.h"

namespace {

using namespace leakspy;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string capture = "/tmp/leakspy-report-bench-10M.lspy";
  std::string leakspy;
  uint64_t events = 10'000'000;
  int runs = 3;
  bool regenerate = false;
};

double seconds_of(const std::function<void()>& work) {
  auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Best and median of `runs` timings.
std::pair<double, double> timed(int runs, const std::function<void()>& work) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) times.push_back(seconds_of(work));
  std::sort(times.begin(), times.end());
  return {times.front(), times[times.size() / 2]};
}

void report(const char* name, uint64_t events, std::pair<double, double> times) {
  std::printf("%-26s %7.3f s  %6.1f M events/s   (best of runs; median %.3f s, %.1f M events/s)\n", name, times.first,
              static_cast<double>(events) / times.first / 1e6, times.second,
              static_cast<double>(events) / times.second / 1e6);
}

int run_command(const std::vector<std::string>& argv) {
  std::fflush(stdout);  // or the child would print our buffered lines again
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    if (freopen("/dev/null", "w", stdout) == nullptr || freopen("/dev/null", "w", stderr) == nullptr) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--capture")
      options.capture = value();
    else if (arg == "--leakspy")
      options.leakspy = value();
    else if (arg == "--events")
      options.events = std::stoull(value());
    else if (arg == "--runs")
      options.runs = std::max(1, std::stoi(value()));
    else if (arg == "--regenerate")
      options.regenerate = true;
    else {
      std::fprintf(stderr, "usage: %s [--capture PATH] [--events N] [--runs N] [--regenerate] [--leakspy BINARY]\n",
                   argv[0]);
      return 2;
    }
  }
  struct stat st {};
  if (options.regenerate || ::stat(options.capture.c_str(), &st) != 0) {
    std::printf("writing %s (%s events)...\n", options.capture.c_str(), render::human_count(options.events).c_str());
    bench::SyntheticCaptureOptions synthetic;
    synthetic.events = options.events;
    double took = seconds_of([&] { bench::write_synthetic_capture(options.capture, synthetic); });
    std::printf("written in %.1f s\n", took);
    ::stat(options.capture.c_str(), &st);
  }
  analyze::HeapSelection host = analyze::HeapSelection::parse("host");
  analyze::CaptureModel probe = analyze::read_capture_model(options.capture, host);
  const uint64_t events = probe.events;
  std::printf("capture %s: %s events, %s, %zu stacks, %zu symbols\n", options.capture.c_str(),
              render::human_count(events).c_str(), render::human_bytes(static_cast<uint64_t>(st.st_size)).c_str(),
              probe.node_order.size(), probe.symbols.symbol_count());

  size_t sink = 0;  // keeps the work observable
  report("read (model), two threads", events,
         timed(options.runs, [&] { sink += analyze::read_capture_model(options.capture, host).stacks.size(); }));
  report("read, one thread", events, timed(options.runs, [&] {
           sink += analyze::read_capture_model(options.capture, host, {}, false).stacks.size();
         }));
  // Reports are written to a file, as the commands do.
  const std::string output = options.capture + ".report";
  report("top", events, timed(options.runs, [&] {
           analyze::CaptureModel model = analyze::read_capture_model(options.capture, host);
           render::TopOptions top;
           std::ofstream out(output);
           render::print_top_table(out, model, render::make_top_report(model, top), top);
           sink += static_cast<size_t>(out.tellp());
         }));
  report("flamegraph", events, timed(options.runs, [&] {
           analyze::CaptureModel model = analyze::read_capture_model(options.capture, host);
           analyze::FlameTree tree = analyze::FlameTree::build(model, analyze::Metric::Live, false);
           std::ofstream out(output);
           render::write_flamegraph_svg(out, model, tree);
           sink += static_cast<size_t>(out.tellp());
         }));
  ::unlink(output.c_str());
  if (!options.leakspy.empty()) {
    report("leakspy top (CLI)", events, timed(options.runs, [&] {
             if (run_command({options.leakspy, "top", options.capture}) != 0) std::fprintf(stderr, "top failed\n");
           }));
    report("leakspy flamegraph (CLI)", events, timed(options.runs, [&] {
             if (run_command({options.leakspy, "flamegraph", options.capture, "-o", "/dev/null"}) != 0) {
               std::fprintf(stderr, "flamegraph failed\n");
             }
           }));
  }
  return sink == 0 ? 1 : 0;
}
