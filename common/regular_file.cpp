#include "common/regular_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace leakspy {

namespace {

const char* kind_of(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    case S_IFLNK: return "a symlink";
    default: return "of an unknown kind";
  }
}

}  // namespace

UniqueFd open_regular_file(const std::string& path, const RegularFileOpen& how, std::string* why) {
  open_how request{};
  request.flags = O_PATH | O_CLOEXEC | (how.follow_last_link ? 0 : O_NOFOLLOW);
  request.resolve = how.resolve;
  int directory = how.directory >= 0 ? how.directory : AT_FDCWD;
  UniqueFd located(static_cast<int>(syscall(SYS_openat2, directory, path.c_str(), &request, sizeof(request))));
  if (!located) {
    *why = std::strerror(errno);
    return {};
  }
  struct stat st {};
  if (fstat(located.get(), &st) != 0) {
    *why = std::strerror(errno);
    return {};
  }
  if (!S_ISREG(st.st_mode)) {
    *why = std::string(kind_of(st.st_mode)) + ", not a regular file";
    return {};
  }
  // The link /proc/self/fd/N is the inode itself (not a path walked again);
  // opening it checks this process's rights on that inode.
  std::string link = "self/fd/" + std::to_string(located.get());
  int proc = how.proc;
  UniqueFd own_proc;
  if (proc < 0) {
    own_proc.reset(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
    proc = own_proc.get();
    if (proc < 0) {
      *why = std::string("no /proc to open it through: ") + std::strerror(errno);
      return {};
    }
  }
  UniqueFd file(::openat(proc, link.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!file) *why = std::strerror(errno);
  return file;
}

}  // namespace leakspy
