#include "recorder/recording_loop.h"

#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>

#include "common/error.h"
#include "recorder/message_stream.h"
#include "common/clock.h"

namespace leakspy::recorder {

namespace {

constexpr double kStopGraceSeconds = 5.0;      // for the agent to flush after Stop
constexpr double kExitGraceSeconds = 2.0;      // for the stream to end after the target exits

void send_stop(const UniqueFd& connection) {
  wire::MessageHeader stop{static_cast<uint32_t>(wire::MessageType::Stop), 0};
  // The agent may be gone already; then there is nothing to stop.
  ssize_t ignored = ::send(connection.get(), &stop, sizeof(stop), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
}

}  // namespace

void configure_agent(const UniqueFd& connection, const AgentConfiguration& configuration) {
  struct {
    wire::MessageHeader header;
    wire::WireConfigure body;
  } message{{static_cast<uint32_t>(wire::MessageType::Configure), sizeof(wire::WireConfigure)},
            {configuration.native_frames ? wire::kConfigureNativeFrames : 0u, 0}};
  // One write, so the agent finds the payload right behind the header.
  ssize_t ignored = ::send(connection.get(), &message, sizeof(message), MSG_NOSIGNAL);
  (void)ignored;
}

LoopResult run_recording_loop(const UniqueFd& connection, RecordingSession& session, const LoopOptions& options) {
  LoopResult result;
  MessageStream stream(connection.get());
  double start = monotonic_seconds();
  double deadline = options.duration_seconds > 0 ? start + options.duration_seconds : 0;
  double give_up_at = 0;  // set once a stop or an exit makes the end near
  bool pidfd_open = options.target_pidfd >= 0;

  auto request_stop = [&] {
    if (result.stop_requested) return;
    result.stop_requested = true;
    send_stop(connection);
    give_up_at = monotonic_seconds() + kStopGraceSeconds;
  };

  for (;;) {
    pollfd fds[3];
    nfds_t count = 0;
    fds[count++] = {connection.get(), POLLIN, 0};
    int signal_index = -1;
    int pid_index = -1;
    if (options.signals != nullptr) {
      signal_index = static_cast<int>(count);
      fds[count++] = {options.signals->fd(), POLLIN, 0};
    }
    if (pidfd_open) {
      pid_index = static_cast<int>(count);
      fds[count++] = {options.target_pidfd, POLLIN, 0};
    }
    double now = monotonic_seconds();
    double wake = 0;
    if (deadline > 0 && !result.stop_requested) wake = deadline;
    if (give_up_at > 0) wake = wake > 0 ? std::min(wake, give_up_at) : give_up_at;
    int timeout_ms = wake > 0 ? std::max(0, static_cast<int>((wake - now) * 1000) + 1) : 1000;
    int ready = ::poll(fds, count, timeout_ms);
    if (ready < 0 && errno != EINTR) break;

    if (ready > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      bool open = stream.read_available();
      try {
        stream.drain([&](const wire::MessageHeader& header, const uint8_t* payload) { session.on_message(header, payload); });
      } catch (const Error& error) {
        if (error.kind() != ErrorKind::AgentProtocol) throw;
        // Nothing more is read: what came before the bad message is whole.
        result.protocol_error = error.what();
        session.note_protocol_error(error.what());
        ::shutdown(connection.get(), SHUT_RDWR);
        break;
      }
      if (!open) {
        SessionStats stats = session.stats();
        result.agent_finished = stats.agent_said_goodbye;
        // The agent says goodbye at exit before the process is gone; a stream
        // that ends without goodbye means the process died. Either way its
        // exit is moments away: wait for it, so that the capture says how it ended.
        bool exiting = !stats.agent_said_goodbye || stats.goodbye_reason == wire::GoodbyeReason::ProcessExit;
        if (exiting && pidfd_open && !result.target_exited) {
          pollfd exit_fd{options.target_pidfd, POLLIN, 0};
          result.target_exited = ::poll(&exit_fd, 1, static_cast<int>(kExitGraceSeconds * 1000)) > 0;
        }
        break;
      }
    }
    if (signal_index >= 0 && (fds[signal_index].revents & POLLIN)) {
      int signal = options.signals->take();
      if (signal != 0) {
        if (result.stop_requested) break;  // a second signal: stop waiting for the agent
        result.signal = signal;
        request_stop();
      }
    }
    if (pid_index >= 0 && (fds[pid_index].revents & POLLIN)) {
      result.target_exited = true;
      pidfd_open = false;  // stays readable; stop polling it
      double end = monotonic_seconds() + kExitGraceSeconds;
      give_up_at = give_up_at > 0 ? std::min(give_up_at, end) : end;
    }
    now = monotonic_seconds();
    if (deadline > 0 && now >= deadline) request_stop();
    if (give_up_at > 0 && now >= give_up_at) {
      result.agent_silent = result.stop_requested && !result.target_exited;
      break;
    }
  }
  return result;
}

}  // namespace leakspy::recorder
