#include "recorder/recording_loop.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "capture/wire_decoder.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/proc_status.h"
#include "recorder/message_stream.h"

namespace leakspy::recorder {

namespace {

constexpr double kStopGraceSeconds = 5.0;      // for the agents to flush after Stop
constexpr double kKeptByWaitSeconds = 3.0;     // for an agent's answer to a KeptByQuery, before its Stop
constexpr double kExitGraceSeconds = 2.0;      // for the streams to end after the target exits
constexpr int kLateHelloMs = 100;              // for a child's hello at the very end
constexpr int kMaxLateHellos = 256;            // connections waiting at the end that are read at most
constexpr int kFlushLookMs = 250;              // RecordingSession::flush_old_records, this often at least

void send_stop(const UniqueFd& connection) {
  wire::MessageHeader stop{static_cast<uint32_t>(wire::MessageType::Stop), 0};
  // The agent may be gone already; then there is nothing to stop.
  ssize_t ignored = ::send(connection.get(), &stop, sizeof(stop), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
}

constexpr uint32_t kNoProcess = UINT32_MAX;

// One agent's connection and the recorded process its stream feeds, known
// once its hello says whether it is recorded.
struct Connection {
  Connection(UniqueFd connection, pid_t peer) : fd(std::move(connection)), stream(fd.get()), pid(peer) {}
  UniqueFd fd;
  MessageStream stream;
  pid_t pid;
  bool verified = true;  // the target or one of its descendants; else gone before leakspy could tell
  uint32_t process = kNoProcess;
  bool done = false;  // an unrecorded child said its hello: nothing more to read
  double stop_at = 0;  // asked who keeps its objects: its Stop goes at the answer, or at this time
};

// Asks the agent who keeps the objects of `samples` (wire::KeptByQuery).
void send_kept_by_query(const UniqueFd& connection, const std::vector<wire::WireKeptBySample>& samples) {
  std::vector<uint8_t> message(sizeof(wire::MessageHeader) + sizeof(wire::WireKeptByQuery) +
                               samples.size() * sizeof(wire::WireKeptBySample));
  wire::MessageHeader header{static_cast<uint32_t>(wire::MessageType::KeptByQuery),
                             static_cast<uint32_t>(message.size() - sizeof(wire::MessageHeader))};
  wire::WireKeptByQuery query{static_cast<uint32_t>(samples.size()), 0};
  std::memcpy(message.data(), &header, sizeof(header));
  std::memcpy(message.data() + sizeof(header), &query, sizeof(query));
  std::memcpy(message.data() + sizeof(header) + sizeof(query), samples.data(),
              samples.size() * sizeof(wire::WireKeptBySample));
  // One write, so the agent finds the payload right behind the header.
  ssize_t ignored = ::send(connection.get(), message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
}

// The parent of `pid`; 0 when unknown.
pid_t parent_of(pid_t pid) {
  std::optional<ProcStat> stat = read_proc_stat(pid);
  return stat ? stat->parent : 0;
}

// The hello a connection starts with, checked by the one wire decoder;
// nothing when the first message is no valid hello.
std::optional<wire::HelloMessage> decode_hello(const wire::MessageHeader& header, const uint8_t* payload) {
  if (header.type != static_cast<uint32_t>(wire::MessageType::Hello)) return std::nullopt;
  try {
    wire::WireDecoder decoder;
    wire::Message message = decoder.decode(header, payload);
    if (const auto* hello = std::get_if<wire::HelloMessage>(&message)) return *hello;
  } catch (const Error& error) {
    // Broken, or an agent of another build (AgentFailed): no hello to take.
    if (error.kind() != ErrorKind::AgentProtocol && error.kind() != ErrorKind::AgentFailed) throw;
  }
  return std::nullopt;
}

// What `pid` runs now, or "a program".
std::string program_of(pid_t pid) {
  std::string path = executable_path(pid);
  return path.empty() ? "a program" : path;
}

// A process that exited (and was reaped) before leakspy could check whose it
// is: a short-lived child. Only its announcement is taken (a count in a
// warning), never a stream: anyone in the network namespace can connect.
bool gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// The nearest ancestor of `pid` that `known` holds, or 0 (64 generations at most).
template <typename Known>
pid_t recorded_ancestor(pid_t pid, Known&& known) {
  pid_t ancestor = pid;
  for (int generation = 0; generation < 64 && ancestor > 1; ++generation) {
    ancestor = parent_of(ancestor);
    if (ancestor > 0 && known(ancestor)) return ancestor;
  }
  return 0;
}

}  // namespace

void configure_agent(const UniqueFd& connection, const AgentConfiguration& configuration) {
  struct {
    wire::MessageHeader header;
    wire::WireConfigure body;
  } message{{static_cast<uint32_t>(wire::MessageType::Configure), sizeof(wire::WireConfigure)},
            {(configuration.native_frames ? wire::kConfigureNativeFrames : 0u) |
                 (configuration.follows_forks ? wire::kConfigureFollowForks : 0u) |
                 (configuration.type_census_always ? wire::kConfigureTypeCensus : 0u),
             0}};
  // One write, so the agent finds the payload right behind the header.
  ssize_t ignored = ::send(connection.get(), &message, sizeof(message), MSG_NOSIGNAL);
  (void)ignored;
}

LoopResult run_recording_loop(AgentListener& listener, UniqueFd first, RecordingSession& session,
                              const LoopOptions& options) {
  LoopResult result;
  std::vector<std::unique_ptr<Connection>> connections;
  connections.push_back(std::make_unique<Connection>(std::move(first), options.target_pid));
  std::set<pid_t> pids = {options.target_pid};  // of the processes recorded or heard of
  auto known = [&](pid_t pid) { return pids.count(pid) != 0; };
  // The first message of a connection is its hello: an unrecorded child
  // says so, is counted and hung up on; any other starts a recorded process.
  // A descendant that sends no valid hello is hung up on (only the target's
  // own stream ends the recording on a protocol error).
  auto begin_stream = [&](Connection& connection, const wire::MessageHeader& header, const uint8_t* payload) {
    bool target = connection.pid == options.target_pid;
    std::optional<wire::HelloMessage> hello = decode_hello(header, payload);
    if (!target && !hello) {
      connection.done = true;
      return;
    }
    if (!target && (hello->not_recorded || !options.subprocesses || !connection.verified)) {
      session.note_unrecorded_child(connection.pid, hello->forked);
      connection.done = true;
      return;
    }
    pid_t parent = target ? 0 : recorded_ancestor(connection.pid, known);
    connection.process = session.add_process(connection.pid, parent);
    configure_agent(connection.fd, options.configuration);
  };
  double start = monotonic_seconds();
  double deadline = options.duration_seconds > 0 ? start + options.duration_seconds : 0;
  double give_up_at = 0;  // set once a stop or an exit makes the end near
  bool pidfd_open = options.target_pidfd >= 0;

  // Stopping. A stream with Python is first asked who keeps its growing
  // objects alive, while the program still runs, and stopped at its answer
  // (or after kKeptByWaitSeconds); `ask`: false when the capture cannot be
  // written any more.
  auto request_stop = [&](bool ask) {
    if (result.stop_requested) return;
    result.stop_requested = true;
    double now = monotonic_seconds();
    give_up_at = now + kStopGraceSeconds;
    for (const auto& connection : connections) {
      std::vector<wire::WireKeptBySample> samples;
      if (ask && connection->process != kNoProcess) samples = session.kept_by_query(connection->process);
      if (samples.empty()) {
        send_stop(connection->fd);
        continue;
      }
      send_kept_by_query(connection->fd, samples);
      connection->stop_at = now + kKeptByWaitSeconds;
      give_up_at = now + kKeptByWaitSeconds + kStopGraceSeconds;
    }
  };
  // The Stop of each stream that was asked, once it answered or waited enough.
  auto stop_asked = [&] {
    for (const auto& connection : connections) {
      if (connection->stop_at == 0) continue;
      if (monotonic_seconds() < connection->stop_at && !session.kept_by_answered(connection->process)) continue;
      send_stop(connection->fd);
      connection->stop_at = 0;
    }
  };
  // A stream ended: its process's events are all in; whether it exited or
  // exec'd is told by what comes next (add_process, or finish()).
  bool recording_announced = false;  // on_recording was called
  bool agent_ended = false;  // the last stream ended with a goodbye that was no exit: nothing follows
  auto close_connection = [&](size_t index) {
    uint32_t process = connections[index]->process;
    bool target = connections[index]->pid == options.target_pid;
    StreamStats stats = process != kNoProcess ? session.stream_stats(process) : StreamStats{};
    if (process != kNoProcess) session.flush_process(process);
    connections.erase(connections.begin() + static_cast<ptrdiff_t>(index));
    if (!target) return;  // a descendant's end does not end the recording
    result.agent_finished = stats.said_goodbye;
    for (const auto& other : connections) {
      if (other->pid == options.target_pid) return;  // its next program is connected already
    }
    // The agent says goodbye at exit before the process is gone; a stream
    // that ends without goodbye means the process died, or exec'd and its
    // next program connects. Wait briefly for either, so that the capture
    // says how it ended.
    if (stats.said_goodbye && stats.goodbye_reason != wire::GoodbyeReason::ProcessExit) {
      agent_ended = true;
      return;
    }
    if (!pidfd_open || result.target_exited) return;
    pollfd fds[2] = {{options.target_pidfd, POLLIN, 0}, {listener.fd(), POLLIN, 0}};
    int ready = ::poll(fds, 2, static_cast<int>(kExitGraceSeconds * 1000));
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      result.target_exited = true;
      pidfd_open = false;
      return;
    }
    if (ready > 0 || stats.said_goodbye) return;  // a connection waits: the next program's, most likely
    // Alive, its agent gone without a goodbye, nothing connecting: it exec'd
    // a program the agent is not in.
    session.note_warning("process " + std::to_string(options.target_pid) + " exec'd " + program_of(options.target_pid) +
                         ", which leakspy's agent could not load into (a statically linked or setuid "
                         "program, or an environment without LD_PRELOAD): it ran unrecorded from there");
  };

  for (;;) {
    if (connections.empty()) {
      // Nothing more can come once the target is gone, the recording was
      // stopped, the agent left, or nothing says whether the target lives.
      if (result.target_exited || result.stop_requested || agent_ended || !pidfd_open) break;
    }
    std::vector<pollfd> fds;
    for (const auto& connection : connections) fds.push_back({connection->fd.get(), POLLIN, 0});
    size_t listener_index = fds.size();
    fds.push_back({listener.fd(), static_cast<short>(result.stop_requested ? 0 : POLLIN), 0});
    int signal_index = -1;
    int pid_index = -1;
    if (options.signals != nullptr) {
      signal_index = static_cast<int>(fds.size());
      fds.push_back({options.signals->fd(), POLLIN, 0});
    }
    if (pidfd_open) {
      pid_index = static_cast<int>(fds.size());
      fds.push_back({options.target_pidfd, POLLIN, 0});
    }
    double now = monotonic_seconds();
    double wake = 0;
    if (deadline > 0 && !result.stop_requested) wake = deadline;
    if (give_up_at > 0) wake = wake > 0 ? std::min(wake, give_up_at) : give_up_at;
    // At most a quarter second between looks at the capture's unwritten records.
    int timeout_ms = wake > 0 ? std::min(kFlushLookMs, std::max(0, static_cast<int>((wake - now) * 1000) + 1))
                              : kFlushLookMs;
    int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0 && errno != EINTR) break;

    if (ready > 0) {
      // In the order they connected: a fork's stream before the stream of
      // the program it execs, when both are read in one round.
      size_t i = 0;
      for (size_t slot = 0; slot < listener_index; ++slot) {
        if (!(fds[slot].revents & (POLLIN | POLLHUP | POLLERR))) {
          ++i;
          continue;
        }
        Connection& connection = *connections[i];
        bool open = connection.stream.read_available();
        try {
          connection.stream.drain([&](const wire::MessageHeader& header, const uint8_t* payload) {
            if (connection.done) return;
            if (connection.process == kNoProcess) begin_stream(connection, header, payload);
            if (connection.process != kNoProcess) session.on_message(connection.process, header, payload);
            if (!recording_announced && connection.pid == options.target_pid &&
                header.type == static_cast<uint32_t>(wire::MessageType::Seal)) {
              recording_announced = true;
              if (options.on_recording) options.on_recording();
            }
          });
        } catch (const Error& error) {
          if (error.kind() != ErrorKind::AgentProtocol) throw;
          if (connection.process == kNoProcess && connection.pid != options.target_pid) {
            connection.done = true;  // a descendant's bad bytes before any stream: hang up on it alone
            connections.erase(connections.begin() + static_cast<ptrdiff_t>(i));
            continue;
          }
          // Nothing more is read: what came before the bad message is whole.
          result.protocol_error = error.what();
          session.note_protocol_error(error.what());
          for (const auto& other : connections) ::shutdown(other->fd.get(), SHUT_RDWR);
          return result;
        }
        if (connection.done) {
          connections.erase(connections.begin() + static_cast<ptrdiff_t>(i));
        } else if (!open) {
          close_connection(i);
        } else {
          ++i;
        }
      }
      if (fds[listener_index].revents & POLLIN) {
        // The target's next program after an exec, or a descendant's.
        pid_t peer = 0;
        bool verified = false;
        UniqueFd connection = listener.accept_waiting(
            [&](pid_t pid) {
              verified = pid == options.target_pid || recorded_ancestor(pid, known) != 0;
              return verified || gone(pid);
            },
            &peer);
        if (connection) {
          if (verified) pids.insert(peer);
          connections.push_back(std::make_unique<Connection>(std::move(connection), peer));
          connections.back()->verified = verified;
        }
      }
    }
    if (signal_index >= 0 && (fds[signal_index].revents & POLLIN)) {
      int signal = options.signals->take();
      if (signal != 0) {
        if (result.stop_requested) break;  // a second signal: stop waiting for the agents
        result.signal = signal;
        request_stop(true);
      }
    }
    if (pid_index >= 0 && (fds[pid_index].revents & POLLIN)) {
      result.target_exited = true;
      pidfd_open = false;  // stays readable; stop polling it
      double end = monotonic_seconds() + kExitGraceSeconds;
      give_up_at = give_up_at > 0 ? std::min(give_up_at, end) : end;
    }
    session.flush_old_records();
    // Nowhere to write (a full disk): the agents stop and unhook; the
    // program runs on (docs/design.md, "The recorder").
    if (!session.output_failure().empty()) request_stop(false);
    stop_asked();
    now = monotonic_seconds();
    if (deadline > 0 && now >= deadline) request_stop(true);
    if (give_up_at > 0 && now >= give_up_at) {
      result.agent_silent = result.stop_requested && !result.target_exited;
      break;
    }
  }
  // Children that said hello just before the end (a fork's hello comes at
  // once, and a short program's children outlive it by moments) are counted
  // too: every connection still waiting, each given a moment for its hello.
  pid_t peer = 0;
  for (int late_count = 0; late_count < kMaxLateHellos; ++late_count) {
    UniqueFd late = listener.accept_waiting(
        [&](pid_t pid) { return recorded_ancestor(pid, known) != 0 || gone(pid); }, &peer);
    if (!late) break;
    Connection connection(std::move(late), peer);
    pollfd ready{connection.fd.get(), POLLIN, 0};
    if (::poll(&ready, 1, kLateHelloMs) <= 0 || !connection.stream.read_available()) continue;
    try {
      connection.stream.drain([&](const wire::MessageHeader& header, const uint8_t* payload) {
        std::optional<wire::HelloMessage> hello = decode_hello(header, payload);
        if (connection.done || !hello || !hello->not_recorded) return;
        session.note_unrecorded_child(peer, hello->forked);
        connection.done = true;
      });
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::AgentProtocol) throw;  // a bad header: not an announcement
    }
  }
  return result;
}

}  // namespace leakspy::recorder
