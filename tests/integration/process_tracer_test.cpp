// ProcessTracer on real processes: whatever leakspy does to a thread while it
// is attached (single steps, interrupts), no signal of leakspy's reaches the
// target after detach.
#include "attach/process_tracer.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "attach/elf_symbols.h"
#include "attach/process_maps.h"
#include "attach/remote_call.h"
#include "attach/safe_point.h"
#include "common/error.h"
#include "tests/support/process.h"

namespace leakspy::attach {
namespace {

using test::BackgroundProcess;

// The address no thread will reach: stepping goes on until it gives up.
constexpr uintptr_t kNowhere = 1;

// blocked_threads prints "ready" before its threads reach their blocking
// calls: waits (up to 5 s) until the kernel says every thread of `pid` sleeps.
bool all_threads_asleep(pid_t pid) {
  std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (int attempt = 0; attempt < 500; ++attempt) {
    bool asleep = true;
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
      std::ifstream stat(task.path() / "stat");
      std::string line;
      std::getline(stat, line);
      size_t end_of_name = line.rfind(')');
      asleep = asleep && end_of_name != std::string::npos && line.compare(end_of_name + 2, 1, "S") == 0;
    }
    if (asleep && !error) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Regression: a thread blocked in a system call was single-stepped; the step
// blocked in the kernel, was interrupted after the timeout, and its trap
// (reported when the call ended) stayed pending: the target died of SIGTRAP
// after detach (status 133), about once in 15 attaches to a Python program
// whose main thread sat in Thread.join().
TEST(ProcessTracerTest, SteppingThreadsBlockedInSystemCallsLeavesNoTrapBehind) {
  for (int round = 0; round < 5; ++round) {
    BackgroundProcess target({test::target_path("blocked_threads")});
    ASSERT_TRUE(target.wait_for_output("ready\n"));
    ASSERT_TRUE(all_threads_asleep(target.pid()));
    {
      ProcessTracer tracer(target.pid());
      ASSERT_EQ(tracer.threads().size(), 2u);
      for (pid_t tid : tracer.threads()) {
        user_regs_struct before = tracer.registers(tid);
        EXPECT_GE(static_cast<long long>(before.orig_rax), 0) << "thread " << tid << " is not in a system call";
        EXPECT_FALSE(tracer.step_until(tid, kNowhere, 1000, std::chrono::milliseconds(50)));
        EXPECT_EQ(tracer.registers(tid).rip, before.rip) << "a blocked thread was stepped";
      }
      tracer.run_briefly(std::chrono::milliseconds(5));
    }
    target.write_stdin("go\n");
    EXPECT_EQ(target.wait(10), 0) << "round " << round << ": " << target.output();
    EXPECT_NE(target.output().find("done\n"), std::string::npos);
  }
}

// The safe-point search on the same process: both threads are blocked in
// named libc entry points (pthread_join, read), whose unnamed internals in a
// stripped libc must not make them unsafe.
TEST(ProcessTracerTest, ThreadsBlockedInLibcCallsAreSafePoints) {
  BackgroundProcess target({test::target_path("blocked_threads")});
  ASSERT_TRUE(target.wait_for_output("ready\n"));
  ASSERT_TRUE(all_threads_asleep(target.pid()));
  {
    ProcessTracer tracer(target.pid());
    SafePointFinder finder(tracer);
    for (pid_t tid : tracer.threads()) {
      std::optional<SafePointFinder::Unsafe> unsafe = finder.unsafe_frame(tid);
      EXPECT_FALSE(unsafe.has_value()) << "thread " << tid << " judged unsafe: " << (unsafe ? unsafe->reason : "");
    }
  }
  target.write_stdin("go\n");
  EXPECT_EQ(target.wait(10), 0);
}

// A target that dies while attached is said to have died, and how: never
// "cannot read the registers" blamed on a process leakspy may have killed.
TEST(ProcessTracerTest, ATargetKilledWhileAttachedIsNamedWithItsSignal) {
  BackgroundProcess target({test::target_path("blocked_threads")});
  ASSERT_TRUE(target.wait_for_output("ready\n"));
  ProcessTracer tracer(target.pid());
  ASSERT_EQ(::kill(target.pid(), SIGKILL), 0);
  try {
    tracer.run_briefly(std::chrono::milliseconds(5));
    FAIL() << "the tracer did not notice the end";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::ProcessExiting);
    EXPECT_NE(std::string(error.what()).find("was killed by SIGKILL"), std::string::npos) << error.what();
  }
}

// A call into the target that takes longer than leakspy's patience is said
// to be overdue and waited for, never abandoned: a thread left inside it
// would return to address 0 when the call ended and take its process down
// (an attach whose dlopen took over 30 s on a loaded machine did that).
TEST(ProcessTracerTest, ACallThatOutlastsItsPatienceIsWaitedForAndTheTargetLives) {
  BackgroundProcess target({test::target_path("blocked_threads")});
  ASSERT_TRUE(target.wait_for_output("ready\n"));
  ASSERT_TRUE(all_threads_asleep(target.pid()));
  std::vector<Mapping> maps = read_maps(target.pid());
  std::optional<MappedFile> libc = find_mapped_file(maps, "libc.so.6");
  ASSERT_TRUE(libc.has_value());
  std::optional<ElfSymbol> sleep_symbol = ElfSymbols(openable_path(target.pid(), *libc)).find("sleep");
  ASSERT_TRUE(sleep_symbol.has_value());
  {
    ProcessTracer tracer(target.pid());
    int overdue = 0;
    auto began = std::chrono::steady_clock::now();
    uint64_t unslept = call_in_target(tracer, tracer.threads().front(), libc->bias + sleep_symbol->value,
                                      {uint64_t{1}}, std::chrono::milliseconds(100), [&] { ++overdue; });
    EXPECT_EQ(unslept, 0u) << "sleep(1) ran to its end";
    EXPECT_EQ(overdue, 1);
    EXPECT_GE(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(900));
  }
  target.write_stdin("go\n");
  EXPECT_EQ(target.wait(10), 0) << target.output();
}

}  // namespace
}  // namespace leakspy::attach
