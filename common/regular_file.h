#pragma once
// Opens, for reading, a file named by someone leakspy does not trust (a
// target's module path, a directory it controls), and only if it is a regular
// file: never a FIFO (an open that waits for a writer forever) and never a
// device (a driver's open acts: a tape rewinds, a watchdog arms). The path is
// first opened with O_PATH, which opens nothing; fstat on that descriptor
// decides; only a regular file is then opened for reading, through /proc's
// link to that descriptor: the same inode, so nothing can be swapped in
// between, and with the caller's rights, as a plain open would check them.
// Offline side.

#include <cstdint>
#include <string>

#include "common/unique_fd.h"

namespace leakspy {

struct RegularFileOpen {
  int directory = -1;    // openat2's dirfd (AT_FDCWD: relative to the working directory, absolute as usual)
  uint64_t resolve = 0;  // openat2's RESOLVE_* flags, e.g. RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
  bool follow_last_link = true;  // false: a symlink as the last component is refused
  int proc = -1;         // an open /proc directory (for a process whose root has none); -1: "/proc"
};

// The descriptor (O_RDONLY | O_NONBLOCK | O_CLOEXEC), or an invalid one with
// the reason, one short clause ("a FIFO, not a regular file", "Permission
// denied"), in *why.
UniqueFd open_regular_file(const std::string& path, const RegularFileOpen& how, std::string* why);

}  // namespace leakspy
