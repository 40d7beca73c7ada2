#include "capture/capture_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/error.h"

namespace leakspy::capture {

namespace {

const char* kind_of(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFLNK: return "a symlink";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    default: return "not a regular file";
  }
}

const char* kWhatToDo = "; remove it or give another file with -o";

}  // namespace

CaptureFile CaptureFile::create(const std::string& path, const std::string& noun) {
  CaptureFile file;
  file.path_ = path;
  file.noun_ = noun;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      throw Error(ErrorKind::OutputUnwritable,
                  "cannot write " + noun + " " + path + ": it is " + kind_of(st.st_mode) +
                      ", and leakspy replaces only a regular file of its own" + kWhatToDo);
    }
    if (st.st_uid != ::geteuid()) {
      throw Error(ErrorKind::OutputUnwritable,
                  "cannot write " + noun + " " + path + ": it belongs to uid " + std::to_string(st.st_uid) +
                      ", and leakspy (uid " + std::to_string(::geteuid()) + ") replaces only its own files" +
                      kWhatToDo);
    }
    file.path_existed_ = true;
    file.device_ = st.st_dev;
    file.inode_ = st.st_ino;
  } else if (errno != ENOENT) {
    throw_errno(ErrorKind::OutputUnwritable, "cannot create " + noun + " " + path);
  }
  // mkostemp: O_CREAT | O_EXCL with a random suffix, mode 0600 (a capture
  // holds addresses and command lines of another process).
  std::string partial = path + ".partial-XXXXXX";
  UniqueFd fd(::mkostemp(partial.data(), O_CLOEXEC));
  if (!fd) throw_errno(ErrorKind::OutputUnwritable, "cannot create " + noun + " " + path);
  file.fd_ = std::move(fd);
  file.partial_ = std::move(partial);
  return file;
}

CaptureFile CaptureFile::adopt(UniqueFd fd, const std::string& path) {
  CaptureFile file;
  file.path_ = path;
  file.fd_ = std::move(fd);
  return file;
}

CaptureFile::CaptureFile(CaptureFile&& other) noexcept { *this = std::move(other); }

CaptureFile& CaptureFile::operator=(CaptureFile&& other) noexcept {
  if (this != &other) {
    remove_partial();
    path_ = std::move(other.path_);
    noun_ = std::move(other.noun_);
    partial_ = std::exchange(other.partial_, std::string());
    keep_partial_ = other.keep_partial_;
    fd_ = std::move(other.fd_);
    path_existed_ = other.path_existed_;
    device_ = other.device_;
    inode_ = other.inode_;
  }
  return *this;
}

CaptureFile::~CaptureFile() { remove_partial(); }

void CaptureFile::remove_partial() noexcept {
  if (!partial_.empty() && !keep_partial_) ::unlink(partial_.c_str());
  partial_.clear();
}

void CaptureFile::commit() {
  if (partial_.empty()) return;  // adopted: the descriptor is the output
  auto refuse = [&](const std::string& why) {
    std::string kept = std::exchange(partial_, std::string());  // kept: the capture is complete
    throw Error(ErrorKind::OutputUnwritable,
                "cannot write " + noun_ + " " + path_ + ": " + why + "; the complete " + noun_ + " is in " + kept);
  };
  if (::fsync(fd_.get()) != 0) refuse(errno_message("cannot flush it to disk", errno));
  if (!path_existed_) {
    // Nothing was there: nothing may be replaced now either.
    int renamed = ::renameat2(AT_FDCWD, partial_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE);
    if (renamed != 0 && errno == EINVAL) {
      // A file system without RENAME_NOREPLACE: link() never replaces either.
      renamed = ::link(partial_.c_str(), path_.c_str());
      if (renamed == 0) ::unlink(partial_.c_str());
    }
    if (renamed != 0) {
      refuse(errno == EEXIST ? "a file appeared there during the recording" : errno_message("rename", errno));
    }
  } else {
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && (st.st_dev != device_ || st.st_ino != inode_)) {
      refuse("another file took its place during the recording");
    }
    if (::rename(partial_.c_str(), path_.c_str()) != 0) refuse(errno_message("rename", errno));
  }
  partial_.clear();
}

}  // namespace leakspy::capture
