#include "cli/report_input.h"

#include <ext/stdio_filebuf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "analyze/quantities.h"
#include "analyze/read_budget.h"
#include "capture/capture_file.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "render/progress_bar.h"

namespace leakspy::cli {

namespace {

// LEAKSPY_READ_MEMORY: how much a capture may decode into (0: the default for its size).
uint64_t read_memory_limit() {
  const char* text = std::getenv(analyze::ReadBudget::kOverrideVariable);
  if (text == nullptr || text[0] == '\0') return 0;
  return analyze::parse_byte_count(text, analyze::ReadBudget::kOverrideVariable);
}

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

analyze::CaptureModel load_report_model(const std::string& path, const std::string& heap,
                                        const analyze::SlicePlan& slices) {
  analyze::HeapSelection heaps = analyze::HeapSelection::parse(heap);
  render::ProgressBar bar(std::cerr, "reading " + std::filesystem::path(path).filename().string(),
                          ::isatty(STDERR_FILENO) == 1);
  analyze::CaptureModel model =
      analyze::read_capture_model(path, heaps, [&](uint64_t done, uint64_t total) { bar.update(done, total); }, true,
                                  slices, read_memory_limit());
  bar.update(model.read.file_bytes, model.read.file_bytes);  // the end mark after the last chunk is read too
  bar.finish();
  if (model.counted_heaps.empty() && !heaps.is_family()) {
    std::string names;
    for (const std::string& name : model.declared_heaps) names += (names.empty() ? "" : ", ") + name;
    throw Error(ErrorKind::Usage, "--heap " + heaps.text() + ": " + path + " has no heap of that name (its heaps: " +
                                      names + "; or use host, mmap, cuda or all)");
  }
  if (model.read.truncated) {
    std::cerr << "leakspy: warning: " << path << " is truncated (" << model.read.truncation
              << "); the report covers everything up to its last whole chunk\n";
  }
  return model;
}

void write_output(const std::string& path, const std::function<void(std::ostream&)>& write) {
  if (path == "-") {
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

}  // namespace leakspy::cli
