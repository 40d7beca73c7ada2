// Attach to programs in other roots built by scripts/setup-roots.sh: Debian 11
// (glibc 2.31, python3.9) and Debian sid (a glibc newer than the host's,
// python3.14). Each target runs in a mount namespace of its own, chrooted
// into the root, with /proc mounted there or not, the way containers run.
// A root that was not built is skipped with the reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

namespace fs = std::filesystem;

std::string roots_directory() {
  const char* configured = std::getenv("LEAKSPY_ROOTS_DIR");
  return configured != nullptr && configured[0] != '\0' ? configured : "/var/cache/leakspy/roots";
}

std::string service_source() { return std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/attach_service.c"; }

// A root, and a scratch directory inside it (its path seen from inside).
class OtherRoot {
 public:
  explicit OtherRoot(const std::string& name) : root_(roots_directory() + "/" + name) {
    if (!fs::exists(root_ + "/.leakspy-root-complete")) return;
    inside_ = "/tmp/leakspy-test-" + std::to_string(getpid());
    fs::create_directories(root_ + inside_);
  }
  ~OtherRoot() {
    std::error_code ignored;
    if (!inside_.empty()) fs::remove_all(root_ + inside_, ignored);
  }
  bool present() const { return !inside_.empty(); }
  const std::string& path() const { return root_; }
  // The agent copies an earlier attach left in DIR (as seen inside).
  std::vector<std::string> agent_copies(const std::string& directory) const {
    std::vector<std::string> copies;
    std::error_code ignored;
    for (const auto& entry : fs::directory_iterator(root_ + directory, ignored)) {
      if (entry.path().filename().string().rfind("leakspy-agent-", 0) == 0) copies.push_back(entry.path().string());
    }
    return copies;
  }
  std::string skip_reason() const { return root_ + " was not built: run scripts/setup-roots.sh"; }
  // Copies a host file in; returns its path seen from inside the root.
  std::string place(const std::string& host_path) const {
    std::string inside = inside_ + "/" + fs::path(host_path).filename().string();
    fs::copy_file(host_path, root_ + inside, fs::copy_options::overwrite_existing);
    return inside;
  }
  // The command that runs `argv` chrooted into the root, in a mount
  // namespace of its own, with /proc mounted there when `with_proc`.
  // `read_only_tmp`: the root's /tmp is mounted read-only there.
  std::vector<std::string> command(const std::vector<std::string>& argv, bool with_proc,
                                   bool read_only_tmp = false) const {
    std::string script = with_proc ? "mount -t proc proc '" + root_ + "/proc' && " : "";
    if (read_only_tmp) script += "mount --bind -o ro '" + root_ + "/tmp' '" + root_ + "/tmp' && ";
    script += "exec chroot '" + root_ + "'";
    for (const std::string& argument : argv) script += " '" + argument + "'";
    return {"unshare", "--mount", "--propagation", "private", "sh", "-c", script};
  }

 private:
  std::string root_;
  std::string inside_;
};

struct Recorded {
  test::ProcessResult record;
  test::ProcessResult top;
};

Recorded record_and_top(pid_t pid, const std::string& heap) {
  std::string capture = test::make_temp_dir() + "/root.lspy";
  Recorded result;
  result.record = test::run_process(
      {test::leakspy_binary(), "record", "--pid", std::to_string(pid), "-o", capture, "--duration", "1.5"}, 60);
  std::vector<std::string> top = {test::leakspy_binary(), "top", capture, "-n", "3"};
  if (!heap.empty()) top.insert(top.end(), {"--heap", heap});
  result.top = test::run_process(top, 60);
  return result;
}

void expect_python_leak_named(const OtherRoot& root, const std::string& python, bool with_proc,
                              bool read_only_tmp = false) {
  std::string script = root.place(test::python_target("embedding_service.py"));
  test::BackgroundProcess service(root.command({python, script}, with_proc, read_only_tmp));
  ASSERT_TRUE(service.wait_for_output("ready", 60)) << service.output();
  Recorded recorded = record_and_top(service.pid(), "");
  ASSERT_EQ(recorded.record.exit_code, 0) << recorded.record.err;
  std::string line =
      "embedding_service.py:" + std::to_string(test::line_marked(test::python_target("embedding_service.py"), "# LEAK"));
  EXPECT_NE(recorded.top.out.find(line), std::string::npos) << recorded.top.out;
  if (!with_proc) {
    // Python's allocators are recorded; the native hooks need /proc/self/maps,
    // and the report says so.
    EXPECT_NE(recorded.top.out.find("is /proc mounted"), std::string::npos) << recorded.top.out;
  }
  service.close_stdin();
  EXPECT_EQ(service.wait(60), 0) << "the service ends normally after the detach";
}

TEST(OtherRootTest, Glibc231Python39LeakIsNamedWithProcMounted) {
  OtherRoot root("bullseye");
  if (!root.present()) GTEST_SKIP() << root.skip_reason();
  expect_python_leak_named(root, "/usr/bin/python3.9", true);
}

TEST(OtherRootTest, Glibc231Python39LeakIsNamedWithoutProc) {
  OtherRoot root("bullseye");
  if (!root.present()) GTEST_SKIP() << root.skip_reason();
  expect_python_leak_named(root, "/usr/bin/python3.9", false);
}

TEST(OtherRootTest, TargetWhoseTmpIsReadOnlyGetsTheAgentElsewhere) {
  OtherRoot root("bullseye");
  if (!root.present()) GTEST_SKIP() << root.skip_reason();
  for (const std::string& copy : root.agent_copies("/tmp")) fs::remove_all(copy);
  for (const std::string& copy : root.agent_copies("/var/tmp")) fs::remove_all(copy);
  expect_python_leak_named(root, "/usr/bin/python3.9", true, true);
  EXPECT_TRUE(root.agent_copies("/tmp").empty());
  EXPECT_EQ(root.agent_copies("/var/tmp").size(), 1u) << "the copy went to the next place the target can write";
}

TEST(OtherRootTest, NewerGlibcNativeLeakIsNamed) {
  OtherRoot root("sid");
  if (!root.present()) GTEST_SKIP() << root.skip_reason();
  std::string service_path = root.place(test::target_path("attach_service"));
  test::BackgroundProcess service(root.command({service_path, "2"}, true));
  ASSERT_TRUE(service.wait_for_output("ready", 60)) << service.output();
  Recorded recorded = record_and_top(service.pid(), "");
  ASSERT_EQ(recorded.record.exit_code, 0) << recorded.record.err;
  std::string leak = "remember_request (" + service_source() + ":" +
                     std::to_string(test::line_marked(service_source(), "// LEAK")) + ")";
  EXPECT_NE(recorded.top.out.find(leak), std::string::npos) << recorded.top.out;
  service.close_stdin();
  EXPECT_EQ(service.wait(60), 0);
  EXPECT_NE(service.output().find("block checks failed: 0"), std::string::npos) << service.output();
}

TEST(OtherRootTest, NewerGlibcPython314IsRecordedNativeOnlyWithTheReason) {
  OtherRoot root("sid");
  if (!root.present()) GTEST_SKIP() << root.skip_reason();
  if (!fs::exists(roots_directory() + "/sid/usr/bin/python3.14")) GTEST_SKIP() << "the sid root has no python3.14";
  std::string script = root.place(test::python_target("embedding_service.py"));
  test::BackgroundProcess service(root.command({"/usr/bin/python3.14", script}, true));
  ASSERT_TRUE(service.wait_for_output("ready", 60)) << service.output();
  Recorded recorded = record_and_top(service.pid(), "");
  ASSERT_EQ(recorded.record.exit_code, 0) << recorded.record.err;
  EXPECT_NE(recorded.record.err.find("python 3.14 is not supported"), std::string::npos) << recorded.record.err;
  EXPECT_NE(recorded.top.out.find("python3.14"), std::string::npos) << recorded.top.out;
  service.close_stdin();
  EXPECT_EQ(service.wait(60), 0);
}

// `leakspy run --root`: the program starts chrooted into the root, with the
// agent placed inside it; leakspy itself runs in a mount namespace where the
// root has /proc, as a container would.
test::BackgroundProcess run_inside(const OtherRoot& root, const std::string& capture,
                                   const std::vector<std::string>& program) {
  std::string script = "mount -t proc proc '" + root.path() + "/proc' && exec '" + test::leakspy_binary() +
                       "' run -o '" + capture + "' --duration 2 --root '" + root.path() + "' --";
  for (const std::string& argument : program) script += " '" + argument + "'";
  script += " 2>&1";  // leakspy's messages too, to wait for the end of the recording
  return test::BackgroundProcess({"unshare", "--mount", "--propagation", "private", "sh", "-c", script});
}

TEST(OtherRootTest, RunInsideTheGlibc231RootNamesThePythonLeak) {
  OtherRoot root("bullseye");
  if (!root.present()) GTEST_SKIP() << root.skip_reason();
  std::string capture = test::make_temp_dir() + "/run.lspy";
  std::string script = root.place(test::python_target("embedding_service.py"));
  test::BackgroundProcess leakspy = run_inside(root, capture, {"/usr/bin/python3.9", script});
  ASSERT_TRUE(leakspy.wait_for_output("recording stopped; waiting for", 60)) << leakspy.output();
  leakspy.close_stdin();
  ASSERT_EQ(leakspy.wait(60), 0) << "leakspy run exits with the program's status";
  test::ProcessResult top = test::run_process({test::leakspy_binary(), "top", capture, "-n", "1"}, 60);
  std::string line =
      "embedding_service.py:" + std::to_string(test::line_marked(test::python_target("embedding_service.py"), "# LEAK"));
  EXPECT_NE(top.out.find(line), std::string::npos) << top.out << top.err;
}

TEST(OtherRootTest, RunInsideTheSidRootNamesTheNativeLeak) {
  OtherRoot root("sid");
  if (!root.present()) GTEST_SKIP() << root.skip_reason();
  std::string capture = test::make_temp_dir() + "/run.lspy";
  std::string service = root.place(test::target_path("attach_service"));
  test::BackgroundProcess leakspy = run_inside(root, capture, {service, "2"});
  ASSERT_TRUE(leakspy.wait_for_output("recording stopped; waiting for", 60)) << leakspy.output();
  leakspy.close_stdin();
  ASSERT_EQ(leakspy.wait(60), 0);
  EXPECT_NE(leakspy.output().find("block checks failed: 0"), std::string::npos) << leakspy.output();
  test::ProcessResult top = test::run_process({test::leakspy_binary(), "top", capture, "-n", "1"}, 60);
  std::string leak = "remember_request (" + service_source() + ":" +
                     std::to_string(test::line_marked(service_source(), "// LEAK")) + ")";
  EXPECT_NE(top.out.find(leak), std::string::npos) << top.out << top.err;
}

}  // namespace
}  // namespace leakspy
