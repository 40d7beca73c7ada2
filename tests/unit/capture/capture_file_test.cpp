// Where a capture goes (issue 14, finding 10; issue 16): an existing file is
// replaced only by a finished capture, never written into, and only when it
// is leakspy's user's own regular file; an unfinished capture leaves nothing.
#include "capture/capture_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "tests/unit/capture/capture_fixture.h"

namespace leakspy::capture {
namespace {

class CaptureFileOutput : public CaptureFileTest {
 protected:
  std::string read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void write(const std::string& file, const std::string& text) { std::ofstream(file, std::ios::binary) << text; }
  // Every name in the directory.
  std::vector<std::string> names() {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
      found.push_back(entry.path().filename().string());
    }
    std::sort(found.begin(), found.end());
    return found;
  }
  // The message of the Error(OutputUnwritable) that writing `file` throws.
  std::string refusal(const std::string& file) {
    try {
      CaptureWriter writer(file, sample_header());
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::OutputUnwritable);
      return error.what();
    }
    ADD_FAILURE() << "no error for " << file;
    return "";
  }
  bool reads_as_capture(const std::string& file) {
    RecordLog log;
    CaptureReader reader(file);
    reader.read(log);
    return log.has_trailer;
  }
};

TEST_F(CaptureFileOutput, AnotherUsersFileIsRefusedAndLeftAsItWas) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: only root makes a file that belongs to another user";
  write(path("theirs.lspy"), "someone else's");
  ASSERT_EQ(::chown(path("theirs.lspy").c_str(), 12345, 12345), 0);
  ASSERT_EQ(::chmod(path("theirs.lspy").c_str(), 0666), 0);  // even one that anybody may write
  EXPECT_EQ(refusal(path("theirs.lspy")),
            "cannot write capture " + path("theirs.lspy") +
                ": it belongs to uid 12345, and leakspy (uid 0) replaces only its own files; remove it or give "
                "another file with -o");
  EXPECT_EQ(read(path("theirs.lspy")), "someone else's");
  struct stat st {};
  ASSERT_EQ(::stat(path("theirs.lspy").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 12345u);
  EXPECT_EQ(names(), std::vector<std::string>{"theirs.lspy"});
}

TEST_F(CaptureFileOutput, ASymlinkOrAnotherKindOfFileIsRefused) {
  write(path("target"), "pointed at");
  ASSERT_EQ(::symlink(path("target").c_str(), path("link.lspy").c_str()), 0);
  ASSERT_EQ(::symlink(path("nowhere").c_str(), path("dangling.lspy").c_str()), 0);
  ASSERT_EQ(::mkfifo(path("fifo.lspy").c_str(), 0600), 0);
  ASSERT_EQ(::mkdir(path("dir.lspy").c_str(), 0700), 0);
  EXPECT_NE(refusal(path("link.lspy")).find(": it is a symlink, and leakspy replaces only a regular file of its own"),
            std::string::npos);
  EXPECT_NE(refusal(path("dangling.lspy")).find(": it is a symlink"), std::string::npos);
  EXPECT_NE(refusal(path("fifo.lspy")).find(": it is a FIFO"), std::string::npos);
  EXPECT_NE(refusal(path("dir.lspy")).find(": it is a directory"), std::string::npos);
  EXPECT_EQ(read(path("target")), "pointed at");
  EXPECT_EQ(names(), (std::vector<std::string>{"dangling.lspy", "dir.lspy", "fifo.lspy", "link.lspy", "target"}));
}

TEST_F(CaptureFileOutput, AnOwnCaptureStaysWholeUntilTheNewOneIsFinished) {
  write(path("app.lspy"), "the previous capture");
  {
    CaptureWriter writer(path("app.lspy"), sample_header(), 3, 256);
    for (uint32_t i = 0; i < 1000; ++i) writer.records().event({EventKind::Alloc, HeapId(0), StackId(1), 64, 64ull * i});
    writer.flush();
    EXPECT_GT(writer.chunks_written(), 0u);
    EXPECT_EQ(read(path("app.lspy")), "the previous capture");
    // Written beside it, private, under a name no one could have guessed.
    std::string partial = writer.partial_path();
    ASSERT_EQ(partial.rfind(path("app.lspy.partial-"), 0), 0u) << partial;
    EXPECT_EQ(partial.size(), path("app.lspy.partial-").size() + 6);
    struct stat st {};
    ASSERT_EQ(::stat(partial.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(names().size(), 2u);
    writer.finish(Trailer{});
    EXPECT_TRUE(writer.partial_path().empty());
  }
  EXPECT_EQ(names(), std::vector<std::string>{"app.lspy"});
  EXPECT_TRUE(reads_as_capture(path("app.lspy")));
  struct stat st {};
  ASSERT_EQ(::stat(path("app.lspy").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(CaptureFileOutput, AnUnfinishedCaptureLeavesNothingBehind) {
  write(path("app.lspy"), "the previous capture");
  {
    CaptureWriter writer(path("app.lspy"), sample_header());
    writer.records().event({EventKind::Alloc, HeapId(0), StackId(1), 64, 0x1000});
    writer.flush();
  }  // destroyed without finish(): a failed start, or an error that ended leakspy
  EXPECT_EQ(read(path("app.lspy")), "the previous capture");
  EXPECT_EQ(names(), std::vector<std::string>{"app.lspy"});
  {
    CaptureFile file = CaptureFile::create(path("new.lspy"));
    CaptureFile moved = std::move(file);  // moved: removed once, by the last owner
    EXPECT_EQ(names().size(), 2u);
  }
  EXPECT_EQ(names(), std::vector<std::string>{"app.lspy"});
}

TEST_F(CaptureFileOutput, APathTakenDuringTheRecordingIsNotReplaced) {
  CaptureWriter writer(path("new.lspy"), sample_header());
  std::string partial = writer.partial_path();
  write(path("new.lspy"), "appeared meanwhile");
  try {
    writer.finish(Trailer{});
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::OutputUnwritable);
    EXPECT_EQ(std::string(error.what()), "cannot write capture " + path("new.lspy") +
                                             ": a file appeared there during the recording; the complete capture "
                                             "is in " + partial);
  }
  EXPECT_EQ(read(path("new.lspy")), "appeared meanwhile");
  EXPECT_TRUE(reads_as_capture(partial));  // kept: it is complete
}

TEST_F(CaptureFileOutput, AnAdoptedDescriptorIsWrittenAsItIs) {
  std::string file = path("adopted.lspy");
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd);
  {
    CaptureWriter writer(CaptureFile::adopt(std::move(fd), file), sample_header());
    EXPECT_TRUE(writer.partial_path().empty());
    writer.finish(Trailer{});
  }
  EXPECT_EQ(names(), std::vector<std::string>{"adopted.lspy"});
  EXPECT_TRUE(reads_as_capture(file));
}

}  // namespace
}  // namespace leakspy::capture
