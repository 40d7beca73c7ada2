#include "agent/session.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "agent/agent_log.h"
#include "agent/agent_state.h"
#include "agent/agent_thread.h"
#include "agent/allocator_accounting.h"
#include "agent/child_announcer.h"
#include "agent/doorbell.h"
#if LEAKSPY_WITH_CUDA
#include "agent/cuda/cuda_session.h"
#endif
#include "agent/drain_cycle.h"
#include "agent/event_recorder.h"
#include "agent/exec_hooks.h"
#include "agent/exit_mark.h"
#include "agent/fast_unwinder.h"
#include "agent/got_patcher.h"
#include "agent/hook_list.h"
#include "agent/loaded_modules.h"
#include "agent/module_reporter.h"
#include "agent/notes.h"
#include "agent/python/python_runtime.h"
#include "agent/python/python_session.h"
#include "agent/python/python_worker.h"
#include "agent/stack_capture.h"
#include "agent/thread_state.h"
#include "agent/transport.h"
#include "common/clock.h"

namespace leakspy::agent {

namespace {

enum SessionState : uint32_t { Idle = 0, Running = 1 };

// constinit throughout the agent: the preload constructor may run before any
// dynamic initializer of another file, which would then reset what it set up.
constinit std::atomic<uint32_t> session_state{Idle};
constinit std::atomic<bool> exit_requested{false};
// Written by the writer when a session ends; the exit path waits on it (futex).
constinit std::atomic<uint32_t> session_generation{0};

// Whether a fork goes on being recorded (session_after_fork).
constinit std::atomic<bool> follows_forks{false};
// The process whose session runs: a vfork child shares this memory without
// being that process.
constinit std::atomic<int> session_pid{0};

constinit Transport transport;
constinit Drainer drainer;
constinit ModuleReporter modules;
constinit AllocatorSampler allocator_sampler;
constinit ControlPayload control_payload;  // writer thread only

constexpr uint64_t kBusyWaitNs = 1'000'000;   // between cycles while events flow
constexpr uint64_t kIdleWaitNs = 10'000'000;  // between cycles while the target is quiet
constexpr uint64_t kBusyCycleEvents = 1024;
constexpr uint64_t kHookRetryNs = 50'000'000;
constexpr int kAcceptWaitMs = 1000;                    // at exit, for a recorder that has not yet taken the stream
constexpr uint64_t kForkConnectDelayNs = 20'000'000;  // before a forked child's writer connects

bool init_once() {
  static bool done = false;
  if (done) return true;
  init_agent_log();
  if (!resolve_real_functions()) return false;
  leakspy_real_dlopen = reinterpret_cast<void*>(real.dlopen);
  remember_agent_path();
  done = rings.init() && traces.init() && init_stack_capture() && init_fast_unwinder() &&
         init_thread_exit_tracking() && drainer.init();
  return done;
}

void end_session(wire::GoodbyeReason reason, bool connected) {
  tracking.store(false, std::memory_order_release);
  python::stop_python_support(reason == wire::GoodbyeReason::ProcessExit);
#if LEAKSPY_WITH_CUDA
  cuda::stop_cuda_support(reason == wire::GoodbyeReason::ProcessExit);
#endif
  if (reason != wire::GoodbyeReason::ProcessExit) remove_got_hooks();
  if (connected) {
    // Hooks that passed their tracking check just before it was cleared are
    // still writing; give them a moment so their events make the last cycle.
    pause_ns(2'000'000);
    CycleResult last = drainer.cycle(transport, true);
    if (last.connected) {
      wire::WireGoodbye goodbye{static_cast<uint32_t>(reason), 0, traces.stacks_lost()};
      transport.add_copy(wire::MessageType::Goodbye, &goodbye, sizeof(goodbye));
      transport.flush();
    }
  }
  transport.close();
  session_state.store(Idle, std::memory_order_release);
  session_generation.fetch_add(1, std::memory_order_release);
  syscall(SYS_futex, &session_generation, FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
}

// Whether this session's Configure came before its hooks went in (attach).
constinit bool configured_before_hooks = false;
constexpr int kAttachConfigureWaitMs = 1000;

void apply_configuration(const wire::WireConfigure& configuration) {
  python::native_frames.store((configuration.flags & wire::kConfigureNativeFrames) != 0, std::memory_order_relaxed);
  if ((configuration.flags & wire::kConfigureFollowForks) != 0) set_follows_forks(true);
  python::set_type_census_always((configuration.flags & wire::kConfigureTypeCensus) != 0);
}

// Connects, then sends the hello and the module list. False (closed again)
// when the recorder cannot be reached.
bool greet_recorder(const char* socket_path, uint32_t hello_flags) {
  if (!transport.connect(socket_path)) return false;
  wire::Hello hello{wire::kWireVersion, static_cast<uint32_t>(getpid()), clock_ns(), hello_flags,
                    RingRegistry::kRingCapacity};
  bool ok = transport.add_copy(wire::MessageType::Hello, &hello, sizeof(hello)) &&
            modules.report_changes(transport, read_load_counters()) && transport.flush();
  if (!ok) transport.close();
  return ok;
}

// A forked child's writer: its own connection, then the usual loop. It
// connects only after a moment (sooner when the child exits): a fork that
// execs at once (a shell running a command) is then recorded as the program
// it execs, not also as a copy of its parent. Meanwhile the child's events
// wait in its ring (a full ring holds its thread back until the writer runs).
void forked_writer_body() {
  uint64_t deadline = clock_ns() + kForkConnectDelayNs;
  for (uint64_t now = clock_ns(); now < deadline && !exit_requested.load(std::memory_order_acquire); now = clock_ns()) {
    wait_doorbell(deadline - now);
  }
  if (!greet_recorder(remembered_recorder_address(), wire::kHelloForked)) {
    end_session(wire::GoodbyeReason::Failure, false);
    return;
  }
  run_writer_loop();
}

}  // namespace

bool claim_session() {
  uint32_t expected = Idle;
  return session_state.compare_exchange_strong(expected, Running);
}

void release_session_claim() { session_state.store(Idle, std::memory_order_release); }

StartResult open_session(const char* socket_path, uint32_t hello_flags, bool claimed) {
  if (!claimed && !claim_session()) return StartResult::AlreadyRecording;
  ReentrancyGuard guard(this_thread());
  if (!init_once()) {
    session_state.store(Idle);
    return StartResult::InitFailed;
  }
  exit_requested.store(false);
  python::native_frames.store(false, std::memory_order_relaxed);
  rings.reset_all();
  drainer.reset();
  modules.reset();
  allocator_sampler.reset();
  session_pid.store(getpid(), std::memory_order_relaxed);
  if (!greet_recorder(socket_path, hello_flags)) {
    session_state.store(Idle);
    return StartResult::ConnectFailed;
  }
  // An attached process has no environment that says what to record: its
  // hooks wait for the recorder's Configure (which answers the hello), so
  // that a fork or exec right after them is already followed as asked.
  configured_before_hooks = false;
  if ((hello_flags & wire::kHelloAttached) != 0) {
    ControlPayload payload;
    ControlMessage answer = transport.wait_control(&payload, kAttachConfigureWaitMs);
    if (answer == ControlMessage::Configure) {
      apply_configuration(payload.configuration);
      configured_before_hooks = true;
    } else if (answer != ControlMessage::None) {  // stopped or gone already: nothing to record
      transport.close();
      session_state.store(Idle);
      return StartResult::ConnectFailed;
    }
  }
  install_got_hooks();
  if (got_patch_stats().slots == 0) {
    post_note(capture::NoteSeverity::Warning,
              "no allocation function could be hooked, so nothing will be recorded: the agent could not read "
              "/proc/self/maps (is /proc mounted in the target's file system?)");
  }
  arm_exit_mark();
  python::start_python_support();
  tracking.store(true, std::memory_order_release);
#if LEAKSPY_WITH_CUDA
  cuda::start_cuda_support();  // after tracking is on: the first allocation it subscribes to is recorded
#endif
  if (agent_debug_enabled()) {
    PatchStats patched = got_patch_stats();
    agent_debug("hooks installed: GOT entries patched: ", patched.slots, "");
    agent_debug("modules with patched entries: ", patched.modules, "");
  }
  return StartResult::Started;
}

void run_writer_loop() {
  wire::GoodbyeReason reason = wire::GoodbyeReason::StopRequested;
  bool connected = true;
  bool configured = configured_before_hooks;  // the recorder took the stream: its first message is a Configure
  for (;;) {
    CycleResult result = drainer.cycle(transport, false);
    LoadCounters loaded = read_load_counters();  // one look at the loader a cycle, for all who need it
    connected = result.connected && modules.report_changes(transport, loaded) &&
                allocator_sampler.maybe_send(transport, clock_ns()) && python::report_type_census(transport) &&
                python::report_kept_by(transport) && transport.flush();
    if (!connected) break;
    // Modules dlopen'ed by threads that have not allocated since, or still
    // being loaded at the last look.
    retry_hooks_in_writer(clock_ns(), kHookRetryNs);
    python::poll_python_support(loaded.adds);
#if LEAKSPY_WITH_CUDA
    cuda::poll_cuda_support(loaded.adds);
#endif
    ControlMessage control = transport.poll_control(&control_payload);
    if (control == ControlMessage::Configure) {
      apply_configuration(control_payload.configuration);
      configured = true;
    }
    if (control == ControlMessage::KeptByQuery &&
        !python::ask_kept_by(control_payload.samples, control_payload.sample_count)) {
      wire::WireKeptBy none{0, 0};  // no Python to ask: the answer is that nothing was found
      transport.add_copy(wire::MessageType::KeptBy, &none, sizeof(none));
    }
    if (control == ControlMessage::Stop) break;
    if (control == ControlMessage::Closed) {
      connected = false;
      break;
    }
    if (exit_requested.load(std::memory_order_acquire)) {
      // The recorder tells a descendant from a stranger while the process
      // lives (its parent); a child that exits at once waits to be taken.
      if (!configured && transport.wait_control(&control_payload, kAcceptWaitMs) == ControlMessage::Configure) {
        apply_configuration(control_payload.configuration);
      }
      reason = wire::GoodbyeReason::ProcessExit;
      break;
    }
    wait_doorbell(result.events_sent >= kBusyCycleEvents ? kBusyWaitNs : kIdleWaitNs);
  }
  end_session(reason, connected);
  agent_debug("session ended, reason ", static_cast<uint64_t>(reason), connected ? " (recorder connected)" : " (recorder gone)");
}

void cancel_session() { end_session(wire::GoodbyeReason::Failure, true); }

void finish_session_at_exit() {
  if (session_state.load(std::memory_order_acquire) != Running) return;
  if (session_pid.load(std::memory_order_relaxed) != getpid()) return;
  mark_exit(capture::ExitCause::Exit);  // when no earlier sign of the exit came
  uint32_t generation = session_generation.load(std::memory_order_acquire);
  exit_requested.store(true, std::memory_order_release);
  ring_doorbell();
  // Bounded: a recorder that stopped reading must not hold the target's exit.
  uint64_t deadline = clock_ns() + 3'000'000'000ull;
  while (session_generation.load(std::memory_order_acquire) == generation) {
    uint64_t now = clock_ns();
    if (now >= deadline) break;
    uint64_t left = deadline - now;
    timespec timeout{static_cast<time_t>(left / 1000000000), static_cast<long>(left % 1000000000)};
    syscall(SYS_futex, &session_generation, FUTEX_WAIT_PRIVATE, generation, &timeout, nullptr, 0);
  }
}

void set_follows_forks(bool follows) { follows_forks.store(follows, std::memory_order_relaxed); }

bool recorded_pid_text(char (&text)[kDecimalDigitsMax + 1]) {
  if (session_state.load(std::memory_order_acquire) != Running) return false;
  if (follows_forks.load(std::memory_order_relaxed)) {
    static_assert(sizeof(wire::kEveryPid) <= sizeof(text));
    std::memcpy(text, wire::kEveryPid, sizeof(wire::kEveryPid));
    return true;
  }
  int pid = session_pid.load(std::memory_order_relaxed);
  if (pid <= 0) return false;
  text[decimal_text(static_cast<uint64_t>(pid), text)] = '\0';
  return true;
}

ForkedSession session_after_fork() {
  if (session_state.load(std::memory_order_relaxed) != Running) return ForkedSession::None;
  transport.close();  // the child's copy only; the parent's connection is untouched
  auto drop = [] {
    tracking.store(false, std::memory_order_relaxed);
    session_state.store(Idle, std::memory_order_relaxed);
    return ForkedSession::Dropped;
  };
  if (!follows_forks.load(std::memory_order_relaxed)) return drop();
  // Tracking stays on: what the child does from here is recorded into the
  // forking thread's ring, which its writer sends once connected.
  session_pid.store(getpid(), std::memory_order_relaxed);
  rings.adopt_after_fork(this_thread().ring, static_cast<uint32_t>(syscall(SYS_gettid)),
                         current_epoch.load(std::memory_order_relaxed));
  release_note_lock_after_fork();
  python::settle_python_after_fork();
  drainer.reset();
  modules.reset();
  allocator_sampler.reset();
  exit_requested.store(false, std::memory_order_relaxed);
  arm_exit_mark();  // the child's exit is its own
  return start_agent_thread("leakspy-agent", forked_writer_body) ? ForkedSession::Followed : drop();
}

}  // namespace leakspy::agent
