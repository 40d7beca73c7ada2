// Hook installation and restoration on a library loaded with dlopen after the
// agent started; the agent itself loaded with plain dlopen, as after attach.
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "recorder/agent_listener.h"
#include "recorder/message_stream.h"
#include "recorder/recording_session.h"
#include "tests/support/capture_summary.h"
#include "tests/support/process.h"

namespace leakspy {
namespace {

TEST(AgentDlopen, PatchesALibraryLoadedLaterAndRestoresItAtStop) {
  std::string directory = test::make_temp_dir();
  std::string capture_path = directory + "/agent.lspy";
  recorder::AgentListener listener;
  test::BackgroundProcess host({test::target_path("agent_host"), LEAKSPY_AGENT_LIBRARY, listener.address(),
                                test::target_path("libleakspy_probe.so")});
  UniqueFd connection = listener.accept(host.pid(), 10000, [] { return false; });
  ASSERT_TRUE(connection) << "the agent did not connect";

  recorder::SessionOptions options;
  options.output_path = capture_path;
  options.pid = host.pid();
  options.attached = true;
  recorder::RecordingSession session(std::move(options));
  uint32_t process = session.add_process(host.pid());
  recorder::MessageStream stream(connection.get());
  auto feed = [&](const wire::MessageHeader& header, const uint8_t* payload) {
    session.on_message(process, header, payload);
  };

  ASSERT_TRUE(host.wait_for_output("allocated", 15)) << host.output();
  EXPECT_NE(host.output().find("hooked"), std::string::npos);
  wire::MessageHeader stop{static_cast<uint32_t>(wire::MessageType::Stop), 0};
  ASSERT_EQ(::send(connection.get(), &stop, sizeof(stop), MSG_NOSIGNAL), static_cast<ssize_t>(sizeof(stop)));
  while (stream.read_available()) stream.drain(feed);  // until the agent closes the socket
  stream.drain(feed);
  EXPECT_TRUE(session.stream_stats(process).said_goodbye);

  host.close_stdin();
  EXPECT_EQ(host.wait(15), 0);
  EXPECT_NE(host.output().find("restored"), std::string::npos) << host.output();
  EXPECT_EQ(host.output().find("not-restored"), std::string::npos) << host.output();
  session.finish(capture::TargetEnd::StillRunning, 0);

  test::CaptureSummary summary = test::summarize_capture(capture_path);
  EXPECT_TRUE(summary.header.attached_mid_run());
  std::vector<test::LiveEntry> probe_blocks = summary.live_with_size(12345);
  ASSERT_EQ(probe_blocks.size(), 1u) << "exactly the allocation made while recording";
  std::vector<uint64_t> frames = summary.frames(probe_blocks[0].stack);
  ASSERT_FALSE(frames.empty());
  EXPECT_NE(summary.module_of(frames[0]).find("libleakspy_probe.so"), std::string::npos)
      << "the innermost frame is the probe's call to malloc";
  std::system(("rm -rf " + directory).c_str());
}

TEST(AgentDlopen, UnhooksByItselfWhenTheRecorderVanishes) {
  recorder::AgentListener listener;
  test::BackgroundProcess host({test::target_path("agent_host"), LEAKSPY_AGENT_LIBRARY, listener.address(),
                                test::target_path("libleakspy_probe.so")});
  UniqueFd connection = listener.accept(host.pid(), 10000, [] { return false; });
  ASSERT_TRUE(connection) << "the agent did not connect";
  ASSERT_TRUE(host.wait_for_output("allocated", 15)) << host.output();
  connection.reset();  // as if leakspy was killed with SIGKILL: no Stop, the socket just closes
  host.close_stdin();
  EXPECT_EQ(host.wait(15), 0);
  EXPECT_NE(host.output().find("restored"), std::string::npos) << host.output();
  EXPECT_EQ(host.output().find("not-restored"), std::string::npos) << host.output();
}

}  // namespace
}  // namespace leakspy
