#pragma once
// Where a capture is written, so that the file at the path the user gave is
// only ever replaced by a complete capture, and never one that is not
// leakspy's own to replace:
//
// - create() checks the path first: when something is there, it must be a
//   regular file (not a symlink, FIFO, directory...) owned by leakspy's
//   effective user; anything else is refused (Error(OutputUnwritable)), and
//   left as it is. A predictable name (leakspy-PID.lspy) in a shared
//   directory thus cannot make root write into another user's file.
// - The capture is written into a new file beside it, PATH.partial-XXXXXX
//   (O_EXCL, a random suffix, mode 0600), and commit() renames it over the
//   path once the capture is finished: the old file stays whole until then.
//   commit() refuses (keeping the partial file, named in the message) when
//   the path changed meanwhile: a file that appeared where there was none, or
//   another file in place of the one checked.
// - Destroyed uncommitted (a failed start, an error that ends leakspy), the
//   partial file is removed: no stray file. Only a leakspy killed while
//   recording (SIGKILL, a crash) leaves it behind; it is a readable capture
//   up to its last whole chunk.
//
// adopt() takes a descriptor that is the output already (tests, a pipe):
// nothing is created, renamed or removed. The reports' output files (-o of
// flamegraph, export, timeline, check --json) follow the same rules.
// Not thread-safe; allocates; throws Error(OutputUnwritable).

#include <sys/types.h>

#include <string>

#include "common/unique_fd.h"

namespace leakspy::capture {

class CaptureFile {
 public:
  // `noun` names the file in messages ("cannot write capture X: ...").
  static CaptureFile create(const std::string& path, const std::string& noun = "capture");
  static CaptureFile adopt(UniqueFd file, const std::string& path);
  CaptureFile() = default;  // no file: valid() is false
  CaptureFile(CaptureFile&& other) noexcept;
  CaptureFile& operator=(CaptureFile&& other) noexcept;
  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;
  ~CaptureFile();

  bool valid() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  // Where the capture is being written until commit() ("" when adopted).
  const std::string& partial_path() const { return partial_; }

  // Flushes the file to disk and renames it over path().
  void commit();
  // Leaves the file at partial_path() once this is gone, as it is: a capture
  // that cannot be completed (the disk is full) keeps what it holds without
  // replacing path().
  void keep_partial() { keep_partial_ = true; }

 private:
  void remove_partial() noexcept;

  std::string path_;
  std::string noun_;
  std::string partial_;  // "" when adopted or committed
  bool keep_partial_ = false;
  UniqueFd fd_;
  bool path_existed_ = false;  // and then, the checked file:
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

}  // namespace leakspy::capture
