// TargetFileOpener: files opened as a target of another user would open
// them, in its root, and only regular files; it holds the target's root after
// the target exits, and none of leakspy's descriptors. Needs root (to be
// another user's recorder); skipped otherwise.
#include "attach/target_view.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "tests/support/process.h"

namespace leakspy::attach {
namespace {

constexpr uid_t kNobody = 65534;

std::string contents(int fd) {
  std::string text(256, '\0');
  ssize_t got = ::pread(fd, text.data(), text.size(), 0);
  text.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return text;
}

// A process of user nobody, chrooted into `root` when given, that waits.
class OtherUsersProcess {
 public:
  explicit OtherUsersProcess(const std::string& root = "") {
    int ready[2];
    EXPECT_EQ(pipe2(ready, O_CLOEXEC), 0);
    pid_ = fork();
    if (pid_ == 0) {
      if (!root.empty() && (chroot(root.c_str()) != 0 || chdir("/") != 0)) _exit(1);
      if (setgroups(0, nullptr) != 0 || setresgid(kNobody, kNobody, kNobody) != 0 ||
          setresuid(kNobody, kNobody, kNobody) != 0) {
        _exit(2);
      }
      ssize_t ignored = write(ready[1], "r", 1);
      (void)ignored;
      for (;;) pause();
    }
    ::close(ready[1]);
    char byte = 0;
    EXPECT_EQ(::read(ready[0], &byte, 1), 1);
    ::close(ready[0]);
  }
  ~OtherUsersProcess() { end(); }
  void end() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

class TargetFileOpenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: the opener takes another user's rights";
    directory_ = leakspy::test::make_temp_dir();
    ::chmod(directory_.c_str(), 0755);  // nobody may look inside
  }
  void TearDown() override {
    if (!directory_.empty()) std::system(("rm -rf " + directory_).c_str());
  }
  std::string write_file(const std::string& name, const std::string& text, mode_t mode) {
    std::string path = directory_ + "/" + name;
    std::ofstream(path) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  std::string directory_;
};

TEST_F(TargetFileOpenerTest, OpensWithTheTargetsRightsOnlyRegularFiles) {
  std::string readable = write_file("readable", "for everyone", 0644);
  std::string secret = write_file("secret", "root only", 0600);
  std::string fifo = directory_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0666), 0);
  OtherUsersProcess target;
  std::unique_ptr<TargetFileOpener> opener = TargetFileOpener::start(target.pid());

  std::string why;
  UniqueFd file = opener->open(readable, &why);
  ASSERT_TRUE(file) << why;
  EXPECT_EQ(contents(file.get()), "for everyone");
  EXPECT_EQ(::fcntl(file.get(), F_GETFL) & O_ACCMODE, O_RDONLY);

  EXPECT_FALSE(opener->open(secret, &why));  // leakspy (root) could; the target cannot
  EXPECT_EQ(why, "Permission denied");
  EXPECT_FALSE(opener->open("/etc/shadow", &why));
  EXPECT_EQ(why, "Permission denied");

  auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(opener->open(fifo, &why));  // an open for reading would wait for a writer
  EXPECT_EQ(why, "a FIFO, not a regular file");
  EXPECT_FALSE(opener->open("/dev/zero", &why));
  EXPECT_EQ(why, "a character device, not a regular file");
  EXPECT_FALSE(opener->open(directory_, &why));
  EXPECT_EQ(why, "a directory, not a regular file");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_FALSE(opener->open(directory_ + "/missing", &why));
  EXPECT_EQ(why, "No such file or directory");
}

TEST_F(TargetFileOpenerTest, ResolvesInsideTheTargetsRootAfterItExits) {
  std::string root = directory_ + "/root";
  std::filesystem::create_directories(root + "/etc");
  std::ofstream(root + "/etc/os-release") << "the root's own";
  ::chmod((root + "/etc/os-release").c_str(), 0644);
  ASSERT_EQ(::symlink("/etc/os-release", (root + "/absolute-link").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../../etc/os-release", (root + "/dotdot-link").c_str()), 0);
  ASSERT_EQ(::symlink("/proc/self/root/etc/os-release", (root + "/magic-link").c_str()), 0);
  OtherUsersProcess target(root);
  std::unique_ptr<TargetFileOpener> opener = TargetFileOpener::start(target.pid());
  target.end();  // the opener holds the root; the target is gone

  for (const char* path : {"/etc/os-release", "/absolute-link", "/dotdot-link"}) {
    std::string why;
    UniqueFd file = opener->open(path, &why);
    ASSERT_TRUE(file) << path << ": " << why;
    EXPECT_EQ(contents(file.get()), "the root's own") << path;  // never the host's /etc/os-release
  }
  std::string why;
  EXPECT_FALSE(opener->open("/magic-link", &why));  // no /proc in that root, and magic links are refused anyway
}

TEST_F(TargetFileOpenerTest, KeepsNoneOfLeakspysDescriptors) {
  OtherUsersProcess target;
  // Like the agent's connection: its end must close when leakspy closes it.
  int pipe_ends[2];
  ASSERT_EQ(pipe(pipe_ends), 0);  // not CLOEXEC: inherited by a plain fork
  std::unique_ptr<TargetFileOpener> opener = TargetFileOpener::start(target.pid());
  ::close(pipe_ends[1]);
  char byte = 0;
  EXPECT_EQ(::read(pipe_ends[0], &byte, 1), 0);  // end of file: nobody else holds the write end
  ::close(pipe_ends[0]);
}

TEST_F(TargetFileOpenerTest, AGoneProcessIsAnError) {
  OtherUsersProcess target;
  pid_t pid = target.pid();
  target.end();
  EXPECT_THROW(TargetFileOpener::start(pid), Error);
}

}  // namespace
}  // namespace leakspy::attach
