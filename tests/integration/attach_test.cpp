// `leakspy record --pid` on real processes started without leakspy: the leak
// is found, the target runs on unchanged, the agent unhooks when leakspy stops
// or dies, and every refusal has its message and exit code.
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/capture_summary.h"
#include "tests/support/process.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

using test::BackgroundProcess;
using test::run_process;

constexpr int kExitNoSuchProcess = 10;
constexpr int kExitNotPermitted = 11;
constexpr int kExitProcessExiting = 12;
constexpr int kExitAlreadyTraced = 13;
constexpr int kExitAlreadyRecording = 14;
constexpr int kExitUnsupportedTarget = 15;
constexpr int kExitTargetExited = 16;
constexpr int kExitAgentFailed = 6;
constexpr int kExitOutputUnwritable = 4;

std::string service_source() { return std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/attach_service.c"; }

int lines_of(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

// What the service prints after "ready": the same on every run.
std::string summary_of(const std::string& output) {
  size_t ready = output.find("ready\n");
  std::string rest = ready == std::string::npos ? output : output.substr(ready + 6);
  std::string summary;
  std::istringstream lines(rest);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("probe: ", 0) != 0) summary += line + "\n";
  }
  return summary;
}

class AttachTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }
  std::string capture(const std::string& name) const { return directory_ + "/" + name + ".lspy"; }

  std::vector<std::string> record(pid_t pid, const std::string& output, const std::string& duration) const {
    std::vector<std::string> command = {test::leakspy_binary(), "record", "--pid", std::to_string(pid), "-o", output};
    if (!duration.empty()) command.insert(command.end(), {"--duration", duration});
    return command;
  }

  // Asks the service whether its probe library's malloc is hooked.
  static std::string probe(BackgroundProcess& service) {
    size_t from = service.output().size();
    service.write_stdin("probe\n");
    if (!service.wait_for_output("\n", 10, from)) return "no answer";
    std::string answer = service.output().substr(from);
    return answer.substr(0, answer.find('\n'));
  }

  static bool wait_for_probe(BackgroundProcess& service, const std::string& expected, double seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (probe(service) == "probe: " + expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // /proc mounted inside a test's chroot, unmounted when it goes.
  struct ProcMount {
    explicit ProcMount(std::string mounted) : path(std::move(mounted)) {}
    ProcMount(const ProcMount&) = delete;
    std::string path;
    ~ProcMount() { run_process({"umount", "-l", path}); }
  };

  // A minimal root for attach_service at `jail`: the service in /bin, the
  // libraries it and the agent need, /tmp, and /proc mounted (nullopt when
  // it cannot be: the test skips).
  static std::optional<ProcMount> make_jail(const std::string& jail) {
    std::string build = "set -e; mkdir -p " + jail + "/bin " + jail + "/tmp " + jail + "/proc; chmod 1777 " + jail +
                        "/tmp; cp " + test::target_path("attach_service") + " " + jail + "/bin/; for l in $(ldd " +
                        test::target_path("attach_service") + " " + LEAKSPY_AGENT_LIBRARY +
                        " | grep -o '/[^ :]*' | sort -u); do mkdir -p " + jail + "$(dirname $l); cp -L $l " + jail +
                        "$l; done";
    EXPECT_EQ(run_process({"sh", "-c", build}).exit_code, 0);
    if (run_process({"mount", "-t", "proc", "proc", jail + "/proc"}).exit_code != 0) return std::nullopt;
    return std::optional<ProcMount>(std::in_place, jail + "/proc");
  }

  std::string directory_;
};

TEST_F(AttachTest, LeakingLineIsFoundAndTheTargetPrintsWhatAnUnattachedRunPrints) {
  test::ProcessResult reference = run_process({test::target_path("attach_service"), "2"}, 60);
  ASSERT_EQ(reference.exit_code, 0);

  BackgroundProcess service({test::target_path("attach_service"), "2"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  test::ProcessResult recorded = run_process(record(service.pid(), capture("service"), "2"), 60);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_NE(recorded.err.find("attached to process " + std::to_string(service.pid())), std::string::npos)
      << recorded.err;
  EXPECT_NE(recorded.err.find("detached"), std::string::npos) << recorded.err;

  struct stat file {};
  ASSERT_EQ(::stat(capture("service").c_str(), &file), 0);
  EXPECT_EQ(file.st_mode & 0777, 0600u) << "captures are private";

  test::ProcessResult top = run_process({test::leakspy_binary(), "top", capture("service"), "-n", "1"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  std::string leak = "remember_request (" + service_source() + ":" +
                     std::to_string(test::line_marked(service_source(), "// LEAK")) + ")";
  EXPECT_NE(top.out.find(leak), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("attached mid-run"), std::string::npos) << top.out;

  test::CaptureSummary summary = test::summarize_capture(capture("service"));
  ASSERT_TRUE(summary.has_trailer);
  EXPECT_EQ(summary.trailer.dropped_events, 0u);
  EXPECT_GT(summary.events, 1000u) << "two workers allocate all the time";

  service.close_stdin();
  ASSERT_EQ(service.wait(30), 0);
  EXPECT_EQ(summary_of(service.output()), summary_of(reference.out));
  EXPECT_NE(summary_of(service.output()).find("block checks failed: 0"), std::string::npos) << service.output();
}

TEST_F(AttachTest, FiftyAttachRecordDetachCyclesNeitherCrashNorHangNorChangeTheOutput) {
  test::ProcessResult reference = run_process({test::target_path("attach_service"), "4"}, 60);
  ASSERT_EQ(reference.exit_code, 0);
  BackgroundProcess service({test::target_path("attach_service"), "4"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  for (int cycle = 0; cycle < 50; ++cycle) {
    std::string path = capture("cycle");
    test::ProcessResult recorded = run_process(record(service.pid(), path, "0.1"), 30);
    ASSERT_EQ(recorded.exit_code, 0) << "cycle " << cycle << ": " << recorded.err;
    ASSERT_EQ(::kill(service.pid(), 0), 0) << "the target died in cycle " << cycle;
    if (cycle % 10 == 0) {
      test::CaptureSummary summary = test::summarize_capture(path);
      EXPECT_TRUE(summary.has_trailer) << "cycle " << cycle;
      EXPECT_GT(summary.events, 0u) << "cycle " << cycle;
    }
    std::filesystem::remove(path);
  }
  service.close_stdin();
  ASSERT_EQ(service.wait(30), 0);
  EXPECT_EQ(summary_of(service.output()), summary_of(reference.out));
}

TEST_F(AttachTest, ASingleThreadAlwaysInsideMallocOrFreeIsSteppedOutOfThem) {
  // malloc_loop spends nearly all its time inside malloc and free: the safe
  // point comes from single-stepping it out of them, every time.
  BackgroundProcess target({test::target_path("malloc_loop")});
  ASSERT_TRUE(target.wait_for_output("ready"));
  for (int cycle = 0; cycle < 10; ++cycle) {
    test::ProcessResult recorded = run_process(record(target.pid(), capture("tight"), "0.1"), 30);
    ASSERT_EQ(recorded.exit_code, 0) << "cycle " << cycle << ": " << recorded.err;
    ASSERT_EQ(::kill(target.pid(), 0), 0) << "the target died in cycle " << cycle;
  }
  EXPECT_GT(test::summarize_capture(capture("tight")).events, 1000u);
}

TEST_F(AttachTest, StoppingRestoresTheGotAndALaterAttachReusesTheLoadedAgent) {
  BackgroundProcess service({test::target_path("attach_service"), "1", test::target_path("libleakspy_probe.so")});
  ASSERT_TRUE(service.wait_for_output("ready"));
  EXPECT_EQ(probe(service), "probe: original");
  auto first = std::async(std::launch::async,
                          [&] { return run_process(record(service.pid(), capture("first"), "1.5"), 30); });
  EXPECT_TRUE(wait_for_probe(service, "hooked", 10)) << "the agent patched the probe library's GOT";
  test::ProcessResult first_result = first.get();
  ASSERT_EQ(first_result.exit_code, 0) << first_result.err;
  EXPECT_EQ(probe(service), "probe: original") << "the agent restored the GOT when the recording stopped";

  test::ProcessResult second = run_process(record(service.pid(), capture("second"), "0.5"), 30);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("reusing the agent"), std::string::npos) << second.err;
  EXPECT_GT(test::summarize_capture(capture("second")).events, 0u);
}

TEST_F(AttachTest, KilledRecorderLeavesTheTargetUnhookedWithinOneSecond) {
  BackgroundProcess service({test::target_path("attach_service"), "2", test::target_path("libleakspy_probe.so")});
  ASSERT_TRUE(service.wait_for_output("ready"));
  BackgroundProcess leakspy(record(service.pid(), capture("killed"), ""));
  ASSERT_TRUE(wait_for_probe(service, "hooked", 10));
  leakspy.send_signal(SIGKILL);
  leakspy.wait(10);
  auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_for_probe(service, "original", 5));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  EXPECT_LT(seconds, 1.0) << "the agent noticed the closed socket and unhooked by itself";
  service.close_stdin();
  ASSERT_EQ(service.wait(30), 0) << "the target runs on and ends normally";
  EXPECT_NE(service.output().find("block checks failed: 0"), std::string::npos) << service.output();
}

// Entries of /tmp named leakspy-*: what a recording could leave behind.
std::vector<std::string> leakspy_files_in_tmp() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp")) {
    std::string name = entry.path().filename().string();
    // Other tests' own directories (test::make_temp_dir) come and go meanwhile.
    if (name.rfind("leakspy-", 0) == 0 && name.rfind("leakspy-test-", 0) != 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST_F(AttachTest, KilledRecorderLeavesNoFileBehind) {
  BackgroundProcess service({test::target_path("attach_service"), "1", test::target_path("libleakspy_probe.so")});
  ASSERT_TRUE(service.wait_for_output("ready"));
  std::vector<std::string> before = leakspy_files_in_tmp();
  BackgroundProcess leakspy(record(service.pid(), capture("killed"), ""));
  ASSERT_TRUE(wait_for_probe(service, "hooked", 10));
  leakspy.send_signal(SIGKILL);
  leakspy.wait(10);
  ASSERT_TRUE(wait_for_probe(service, "original", 5));
  EXPECT_EQ(leakspy_files_in_tmp(), before) << "no socket directory or agent copy is left in /tmp";
  service.close_stdin();
  EXPECT_EQ(service.wait(30), 0);
}

// systemd's PrivateTmp=yes: the same root, another mount namespace with its
// own /tmp, where leakspy's files are out of the target's reach.
TEST_F(AttachTest, TargetWithAPrivateTmpIsRecorded) {
  // The program is opened before /tmp is covered: the build may live under /tmp.
  BackgroundProcess service({"unshare", "--mount", "--propagation", "private", "sh", "-c",
                             "exec 3<'" + test::target_path("attach_service") +
                                 "' && mount -t tmpfs private-tmp /tmp && exec /proc/self/fd/3 2"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  test::ProcessResult recorded = run_process(record(service.pid(), capture("private"), "1"), 60);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  test::ProcessResult top = run_process({test::leakspy_binary(), "top", capture("private"), "-n", "1"});
  EXPECT_NE(top.out.find("remember_request"), std::string::npos) << top.out;
  service.close_stdin();
  EXPECT_EQ(service.wait(30), 0);
}

// A network namespace of its own (a container's): the recorder's abstract
// socket must be made inside it.
TEST_F(AttachTest, TargetInAnotherNetworkNamespaceIsRecorded) {
  BackgroundProcess service({"unshare", "--net", test::target_path("attach_service"), "2"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  test::ProcessResult recorded = run_process(record(service.pid(), capture("network"), "1"), 60);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_GT(test::summarize_capture(capture("network")).events, 1000u);
  service.close_stdin();
  EXPECT_EQ(service.wait(30), 0);
}

// A pid namespace of its own: the target is pid 1 there, and seen from the
// host by its host pid, which the recorder checks the connection against.
TEST_F(AttachTest, TargetInAnotherPidNamespaceIsRecordedByItsHostPid) {
  BackgroundProcess unshared({"unshare", "--pid", "--fork", "--mount-proc", test::target_path("attach_service"), "2"});
  ASSERT_TRUE(unshared.wait_for_output("ready"));
  std::ifstream children("/proc/" + std::to_string(unshared.pid()) + "/task/" + std::to_string(unshared.pid()) +
                         "/children");
  pid_t service = 0;
  ASSERT_TRUE(children >> service) << "unshare forked no child";
  test::ProcessResult recorded = run_process(record(service, capture("pidns"), "1"), 60);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  test::ProcessResult top = run_process({test::leakspy_binary(), "top", capture("pidns"), "-n", "1"});
  EXPECT_NE(top.out.find("remember_request"), std::string::npos) << top.out;
  unshared.close_stdin();
  EXPECT_EQ(unshared.wait(30), 0);
}

TEST_F(AttachTest, TargetStoppedDuringTheRecordingIsSaidToBeStoppedAndLeftSo) {
  BackgroundProcess service({test::target_path("attach_service"), "1", test::target_path("libleakspy_probe.so")});
  ASSERT_TRUE(service.wait_for_output("ready"));
  auto recording = std::async(std::launch::async,
                              [&] { return run_process(record(service.pid(), capture("stopped"), "1"), 60); });
  ASSERT_TRUE(wait_for_probe(service, "hooked", 10));
  ASSERT_EQ(::kill(service.pid(), SIGSTOP), 0);
  test::ProcessResult result = recording.get();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("is stopped (SIGSTOP"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("runs on as before"), std::string::npos) << result.err;
  std::ifstream stat("/proc/" + std::to_string(service.pid()) + "/stat");
  std::string pid, name, state;
  stat >> pid >> name >> state;
  EXPECT_EQ(state, "T") << "leakspy left the process stopped, as it found it";
  ASSERT_EQ(::kill(service.pid(), SIGCONT), 0);
  EXPECT_TRUE(wait_for_probe(service, "original", 5)) << "resumed, the agent unhooks itself";
  service.close_stdin();
  EXPECT_EQ(service.wait(30), 0);
}

// A closed terminal or a dropped ssh session: SIGHUP ends the recording
// with a complete capture, and the target runs on unhooked.
TEST_F(AttachTest, HangupEndsTheRecordingCleanly) {
  BackgroundProcess service({test::target_path("attach_service"), "1", test::target_path("libleakspy_probe.so")});
  ASSERT_TRUE(service.wait_for_output("ready"));
  BackgroundProcess leakspy(record(service.pid(), capture("hangup"), ""));
  ASSERT_TRUE(wait_for_probe(service, "hooked", 10));
  leakspy.send_signal(SIGHUP);
  EXPECT_EQ(leakspy.wait(30), 0);
  EXPECT_EQ(probe(service), "probe: original");
  test::CaptureSummary summary = test::summarize_capture(capture("hangup"));
  EXPECT_TRUE(summary.has_trailer) << "the capture was finished";
  EXPECT_GT(summary.events, 0u);
  service.close_stdin();
  EXPECT_EQ(service.wait(30), 0);
}

TEST_F(AttachTest, TargetExitingDuringTheRecordingKeepsACompleteCapture) {
  BackgroundProcess service({test::target_path("attach_service"), "2", test::target_path("libleakspy_probe.so")});
  ASSERT_TRUE(service.wait_for_output("ready"));
  auto recording = std::async(std::launch::async,
                              [&] { return run_process(record(service.pid(), capture("exits"), ""), 60); });
  ASSERT_TRUE(wait_for_probe(service, "hooked", 10));
  service.close_stdin();
  EXPECT_EQ(service.wait(30), 0);
  test::ProcessResult result = recording.get();
  EXPECT_EQ(result.exit_code, kExitTargetExited) << result.err;
  EXPECT_NE(result.err.find("exited during the recording; the capture is complete"), std::string::npos) << result.err;
  test::CaptureSummary summary = test::summarize_capture(capture("exits"));
  EXPECT_FALSE(summary.read.truncated);
  ASSERT_TRUE(summary.has_trailer);
  EXPECT_EQ(summary.trailer.target_end, capture::TargetEnd::Exited);
  EXPECT_GT(summary.events, 100u);
  // Issue 16: reports say what is known of the end ("exited with status -1"
  // was a status record --pid cannot know: it is not the target's parent).
  test::ProcessResult top = run_process({test::leakspy_binary(), "top", capture("exits")});
  // (Between the two: how its exit began, issue 15.)
  EXPECT_NE(top.out.find(" from the moment leakspy attached"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find(", exited during the recording\n"), std::string::npos) << top.out;
  EXPECT_EQ(top.out.find("status -1"), std::string::npos) << top.out;
}

TEST_F(AttachTest, RootRecordsAnotherUsersProcess) {
  // The agent, running as nobody, must be able to connect to the socket.
  BackgroundProcess service(
      {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", test::target_path("attach_service"), "1"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  test::ProcessResult recorded = run_process(record(service.pid(), capture("nobody"), "1"), 30);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_GT(test::summarize_capture(capture("nobody")).events, 100u);
  service.close_stdin();
  EXPECT_EQ(service.wait(30), 0);
}

// The unix sockets of process `pid` that have a name, as /proc/net/unix
// shows them ("@name" for an abstract one).
std::vector<std::string> named_sockets_of(pid_t pid) {
  std::set<std::string> inodes;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
    std::string link = std::filesystem::read_symlink(entry.path(), error).string();
    if (link.rfind("socket:[", 0) == 0) inodes.insert(link.substr(8, link.size() - 9));
  }
  std::vector<std::string> names;
  std::ifstream table("/proc/net/unix");
  std::string line;
  std::getline(table, line);  // the column names
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string field, inode, name;
    for (int column = 0; column < 6; ++column) fields >> field;
    fields >> inode >> name;
    if (inodes.count(inode) && !name.empty()) names.push_back(name);
  }
  return names;
}

// Issue 14, finding 1: root once chowned the socket's folder to the target's
// user, then DIR/agent.sock by path, which that user could by then replace
// with a symlink to any host file. The recorder's socket is abstract now:
// no file, nothing to chown.
TEST_F(AttachTest, RecorderListensOnAnAbstractSocketOnly) {
  BackgroundProcess service(
      {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", test::target_path("attach_service"), "1"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  BackgroundProcess recorder(record(service.pid(), capture("abstract"), "3"));
  std::vector<std::string> names;
  for (int i = 0; i < 100 && names.empty(); ++i) {  // until it listens, up to 2 s
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    names = named_sockets_of(recorder.pid());
  }
  ASSERT_FALSE(names.empty()) << "the recorder never listened";
  for (const std::string& name : names) EXPECT_EQ(name[0], '@') << "a socket file: " << name;
  EXPECT_EQ(recorder.wait(30), 0);
  service.close_stdin();
  EXPECT_EQ(service.wait(30), 0);
}

TEST_F(AttachTest, TargetInAChrootGetsTheAgentAndTheSocketInsideItsOwnFileSystem) {
  std::string jail = directory_ + "/jail";
  std::optional<ProcMount> proc = make_jail(jail);
  if (!proc) GTEST_SKIP() << "cannot mount /proc inside the test's chroot (needs CAP_SYS_ADMIN)";

  BackgroundProcess service({"chroot", jail, "/bin/attach_service", "1"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  test::ProcessResult recorded = run_process(record(service.pid(), capture("jailed"), "1"), 30);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  test::ProcessResult top = run_process({test::leakspy_binary(), "top", capture("jailed"), "-n", "1"});
  EXPECT_NE(top.out.find("remember_request (" + service_source()), std::string::npos) << top.out;
  test::ProcessResult copies = run_process({"sh", "-c", "ls " + jail + "/tmp/leakspy-agent-*/libleakspy_agent.so"});
  EXPECT_EQ(copies.exit_code, 0) << "the agent was copied into the target's own /tmp";
  service.close_stdin();
  ASSERT_EQ(service.wait(30), 0);
  EXPECT_NE(service.output().find("block checks failed: 0"), std::string::npos) << service.output();
}

// Issue 14, finding 2: a chrooted nobody whose /tmp is an absolute symlink
// to a root-only host folder once made root create files in that folder
// (the link resolved against the host's root under /proc/PID/root). Paths in
// the target's root are resolved inside it, with the target's rights: the
// link leads nowhere there, and the agent goes to the next folder.
TEST_F(AttachTest, ChrootedTargetWhoseTmpLinksIntoTheHostLeadsRootNowhere) {
  std::string jail = directory_ + "/jail";
  std::optional<ProcMount> proc = make_jail(jail);
  if (!proc) GTEST_SKIP() << "cannot mount /proc inside the test's chroot (needs CAP_SYS_ADMIN)";
  std::string root_only = directory_ + "/root-only";
  ASSERT_TRUE(std::filesystem::create_directory(root_only));
  ASSERT_EQ(::chmod(root_only.c_str(), 0700), 0);
  std::filesystem::remove_all(jail + "/tmp");  // with any library ldd found under /tmp
  std::filesystem::create_directory_symlink(root_only, jail + "/tmp");
  ASSERT_EQ(run_process({"sh", "-c", "mkdir -p " + jail + "/var/tmp && chmod 1777 " + jail + "/var/tmp"}).exit_code, 0);

  BackgroundProcess service({"chroot", "--userspec=65534:65534", jail, "/bin/attach_service", "1"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  test::ProcessResult recorded = run_process(record(service.pid(), capture("linked"), "1"), 30);
  EXPECT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_TRUE(std::filesystem::is_empty(root_only)) << "root created something in the host folder /tmp links to";
  test::ProcessResult copies =
      run_process({"sh", "-c", "ls " + jail + "/var/tmp/leakspy-agent-*/libleakspy_agent.so"});
  EXPECT_EQ(copies.exit_code, 0) << "the agent went to the target's /var/tmp instead";
  service.close_stdin();
  EXPECT_EQ(service.wait(30), 0);
}

// Each refusal: its exit code, one line, the cause named, and no capture left behind.
class AttachErrorTest : public AttachTest {
 protected:
  void expect_refusal(const test::ProcessResult& result, int exit_code, const std::string& cause) {
    EXPECT_EQ(result.exit_code, exit_code) << result.err;
    EXPECT_EQ(lines_of(result.err), 1) << result.err;
    EXPECT_NE(result.err.find(cause), std::string::npos) << result.err;
    EXPECT_FALSE(std::filesystem::exists(capture("refused"))) << "a refused recording leaves no file";
  }
};

TEST_F(AttachErrorTest, NoSuchProcess) {
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);  // its pid is free now
  expect_refusal(run_process(record(child, capture("refused"), "1")), kExitNoSuchProcess,
                 "no process with pid " + std::to_string(child));
}

TEST_F(AttachErrorTest, ZombieProcess) {
  pid_t child = fork();
  if (child == 0) _exit(0);
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    if (text.find(") Z ") != std::string::npos) break;
    usleep(10000);
  }
  expect_refusal(run_process(record(child, capture("refused"), "1")), kExitProcessExiting, "is a zombie");
  waitpid(child, nullptr, 0);
}

TEST_F(AttachErrorTest, StoppedProcess) {
  BackgroundProcess service({test::target_path("attach_service"), "1"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  service.send_signal(SIGSTOP);
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat("/proc/" + std::to_string(service.pid()) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    if (text.find(") T ") != std::string::npos) break;
    usleep(10000);
  }
  expect_refusal(run_process(record(service.pid(), capture("refused"), "1")), kExitUnsupportedTarget,
                 "is stopped (SIGSTOP or job control): resume it with kill -CONT");
  service.send_signal(SIGCONT);
}

TEST_F(AttachErrorTest, AlreadyTracedByADebugger) {
  BackgroundProcess service({test::target_path("attach_service"), "1"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  ASSERT_EQ(ptrace(PTRACE_SEIZE, service.pid(), nullptr, nullptr), 0);  // as a debugger would
  expect_refusal(run_process(record(service.pid(), capture("refused"), "1")), kExitAlreadyTraced,
                 "is already traced by process " + std::to_string(getpid()));
}

TEST_F(AttachErrorTest, AnotherLeakspyIsRecording) {
  BackgroundProcess service({test::target_path("attach_service"), "1", test::target_path("libleakspy_probe.so")});
  ASSERT_TRUE(service.wait_for_output("ready"));
  auto first = std::async(std::launch::async,
                          [&] { return run_process(record(service.pid(), capture("first"), "3"), 30); });
  ASSERT_TRUE(wait_for_probe(service, "hooked", 10));
  expect_refusal(run_process(record(service.pid(), capture("refused"), "1")), kExitAlreadyRecording,
                 "already being recorded by another leakspy");
  EXPECT_EQ(first.get().exit_code, 0) << "the first recording goes on undisturbed";
}

TEST_F(AttachErrorTest, AnotherUsersProcessWithoutRoot) {
  BackgroundProcess service({test::target_path("attach_service"), "1"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  ::chmod(directory_.c_str(), 0777);  // so that nobody could write the capture
  std::vector<std::string> command = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  for (const std::string& argument : record(service.pid(), capture("refused"), "1")) command.push_back(argument);
  expect_refusal(run_process(command), kExitNotPermitted, "belongs to root (uid 0)");
}

TEST_F(AttachErrorTest, MissingCapSysPtrace) {
  BackgroundProcess service({test::target_path("attach_service"), "1"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  std::vector<std::string> command = {"setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace"};
  for (const std::string& argument : record(service.pid(), capture("refused"), "1")) command.push_back(argument);
  expect_refusal(run_process(command), kExitNotPermitted, "lacks CAP_SYS_PTRACE");
}

TEST_F(AttachErrorTest, SeccompFilterForbidsPtrace) {
  BackgroundProcess service({test::target_path("attach_service"), "1"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  std::vector<std::string> command = {test::target_path("deny_ptrace")};
  for (const std::string& argument : record(service.pid(), capture("refused"), "1")) command.push_back(argument);
  expect_refusal(run_process(command), kExitNotPermitted, "a seccomp filter on leakspy forbids ptrace");
}

TEST_F(AttachErrorTest, YamaPtraceScope) {
  std::ifstream scope_file("/proc/sys/kernel/yama/ptrace_scope");
  int scope = -1;
  if (!(scope_file >> scope)) GTEST_SKIP() << "this kernel has no yama LSM (/proc/sys/kernel/yama is absent)";
  if (scope == 0) GTEST_SKIP() << "kernel.yama.ptrace_scope is 0 here; the test does not change the machine's sysctl";
  // Scope 1 and up refuse a same-user, unrelated, unprivileged tracer.
  std::vector<std::string> as_nobody = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  std::vector<std::string> target = as_nobody;
  target.push_back(test::target_path("attach_service"));
  target.push_back("1");
  BackgroundProcess service(target);
  ASSERT_TRUE(service.wait_for_output("ready"));
  ::chmod(directory_.c_str(), 0777);
  std::vector<std::string> command = as_nobody;
  for (const std::string& argument : record(service.pid(), capture("refused"), "1")) command.push_back(argument);
  expect_refusal(run_process(command), kExitNotPermitted, "kernel.yama.ptrace_scope is " + std::to_string(scope));
}

TEST_F(AttachErrorTest, GroupWritableAgentIsNotInjected) {
  BackgroundProcess service({test::target_path("attach_service"), "1"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  std::string agent = directory_ + "/libleakspy_agent.so";
  std::filesystem::copy_file(LEAKSPY_AGENT_LIBRARY, agent);
  ::chmod(agent.c_str(), 0775);
  expect_refusal(run_process(record(service.pid(), capture("refused"), "1"), 30, {"LEAKSPY_AGENT=" + agent}),
                 kExitAgentFailed, "writable by group or others");
  std::ifstream maps("/proc/" + std::to_string(service.pid()) + "/maps");
  std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find(agent), std::string::npos) << "nothing was loaded";
}

TEST_F(AttachErrorTest, UnwritableOutputFailsBeforeTouchingTheTarget) {
  BackgroundProcess service({test::target_path("attach_service"), "1"});
  ASSERT_TRUE(service.wait_for_output("ready"));
  test::ProcessResult result = run_process(record(service.pid(), directory_ + "/no/such/dir/x.lspy", "1"));
  EXPECT_EQ(result.exit_code, kExitOutputUnwritable) << result.err;
  EXPECT_EQ(lines_of(result.err), 1) << result.err;
  std::ifstream maps("/proc/" + std::to_string(service.pid()) + "/maps");
  std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("libleakspy_agent"), std::string::npos) << "nothing was loaded";
}

}  // namespace
}  // namespace leakspy
