#include "cli/report_output.h"

#include <ext/stdio_filebuf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "capture/capture_file.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace leakspy::cli {

namespace {

bool is_own_stream(const struct stat& st) {
  return (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) && (st.st_uid == ::geteuid() || st.st_uid == 0);
}

// `path` opened for writing when it is such a device or FIFO; else none.
UniqueFd open_stream(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !is_own_stream(st)) return {};
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw_errno(ErrorKind::OutputUnwritable, "cannot open " + path);
  if (::fstat(fd.get(), &st) != 0 || !is_own_stream(st)) {
    throw Error(ErrorKind::OutputUnwritable, "cannot write " + path + ": it changed while it was opened");
  }
  return fd;
}

}  // namespace

void write_output(const std::string& path, const std::function<void(std::ostream&)>& write) {
  if (is_stdout(path)) {
    write(std::cout);
    std::cout.flush();
    if (!std::cout) throw Error(ErrorKind::OutputUnwritable, "cannot write to stdout");
    return;
  }
  auto write_to = [&](int fd) {
    __gnu_cxx::stdio_filebuf<char> buffer(::fcntl(fd, F_DUPFD_CLOEXEC, 0), std::ios::out | std::ios::binary);
    std::ostream stream(&buffer);
    write(stream);
    stream.flush();
    if (!stream) throw_errno(ErrorKind::OutputUnwritable, "cannot write " + path);
  };
  // A device or a FIFO the user named (-o /dev/null, a named pipe) is
  // written as it is, if it is leakspy's user's own or root's: another
  // user's FIFO would hand them the report.
  if (UniqueFd stream = open_stream(path)) {
    write_to(stream.get());
    return;
  }
  // A file as a capture is written (capture/capture_file.h): never through
  // a symlink or into another user's file (root writing a report into a
  // name someone made in advance), and an older file stays whole until the
  // new one is complete.
  capture::CaptureFile file = capture::CaptureFile::create(path, "output");
  write_to(file.fd());
  file.commit();
}

void say_written(const std::string& path) {
  if (!is_stdout(path)) std::cerr << "leakspy: wrote " << path << "\n";
}

}  // namespace leakspy::cli
