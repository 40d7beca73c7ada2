#include "attach/agent_placement.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <vector>

#include "capture/wire.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace leakspy::attach {

namespace {

constexpr std::array<const char*, 3> kCopyDirectories = {"/tmp", "/var/tmp", "/dev/shm"};

// FNV-1a over the whole file from its start: not a defence against a
// forger (whoever can write the copy is the target's own user), only a
// name that changes with every build.
uint64_t content_hash(int descriptor) {
  uint64_t hash = 1469598103934665603ULL;
  std::vector<unsigned char> buffer(1 << 16);
  off_t offset = 0;
  for (;;) {
    ssize_t got = pread(descriptor, buffer.data(), buffer.size(), offset);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw_errno(ErrorKind::AgentFailed, "cannot read the agent file");
    if (got == 0) return hash;
    for (ssize_t i = 0; i < got; ++i) hash = (hash ^ buffer[static_cast<size_t>(i)]) * 1099511628211ULL;
    offset += got;
  }
}

void copy_contents(int from, int to) {
  std::vector<char> buffer(1 << 16);
  off_t offset = 0;
  for (;;) {
    ssize_t got = pread(from, buffer.data(), buffer.size(), offset);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw_errno(ErrorKind::AgentFailed, "cannot read the agent file");
    if (got == 0) return;
    for (ssize_t written = 0; written < got;) {
      ssize_t put = write(to, buffer.data() + written, static_cast<size_t>(got - written));
      if (put < 0 && errno == EINTR) continue;
      if (put < 0) throw_errno(ErrorKind::AgentFailed, "cannot write the agent's copy");
      written += put;
    }
    offset += got;
  }
}

// The copy in `directory`, made if missing or different. Throws Error.
std::string copy_into(const std::string& directory, int source, const std::string& content_name) {
  struct statvfs file_system {};
  if (statvfs(directory.c_str(), &file_system) == 0 && (file_system.f_flag & ST_NOEXEC) != 0) {
    throw Error(ErrorKind::AgentFailed, directory + " is mounted noexec");
  }
  std::string folder = directory + "/leakspy-agent-" + content_name;
  if (mkdir(folder.c_str(), 0755) != 0 && errno != EEXIST) throw_errno(ErrorKind::AgentFailed, "cannot create " + folder);
  UniqueFd folder_fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!folder_fd) throw_errno(ErrorKind::AgentFailed, "cannot open " + folder);
  struct stat info {};
  if (fstat(folder_fd.get(), &info) != 0 || info.st_uid != geteuid() || (info.st_mode & 022) != 0) {
    throw Error(ErrorKind::AgentFailed, folder + " belongs to someone else, or others may write to it");
  }
  std::string path = folder + "/" + wire::kAgentFileName;
  UniqueFd existing(::openat(folder_fd.get(), wire::kAgentFileName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat existing_info {};
  if (existing && fstat(existing.get(), &existing_info) == 0 && S_ISREG(existing_info.st_mode) &&
      agent_content_name(existing.get()) == content_name) {
    return path;
  }
  std::string temporary = std::string(wire::kAgentFileName) + ".new-" + std::to_string(getpid());
  UniqueFd copy(::openat(folder_fd.get(), temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755));
  if (!copy) throw_errno(ErrorKind::AgentFailed, "cannot create " + folder + "/" + temporary);
  try {
    copy_contents(source, copy.get());
    if (fchmod(copy.get(), 0755) != 0 || renameat(folder_fd.get(), temporary.c_str(), folder_fd.get(), wire::kAgentFileName) != 0) {
      throw_errno(ErrorKind::AgentFailed, "cannot put the agent's copy in place in " + folder);
    }
  } catch (...) {
    unlinkat(folder_fd.get(), temporary.c_str(), 0);
    throw;
  }
  return path;
}

}  // namespace

std::string agent_content_name(int descriptor) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(content_hash(descriptor)));
  return text;
}

std::string place_agent(int source, const std::string& own_path, const std::string& content_name) {
  struct stat ours {};
  struct stat theirs {};
  UniqueFd direct(::open(own_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (direct && fstat(direct.get(), &theirs) == 0 && fstat(source, &ours) == 0 && ours.st_dev == theirs.st_dev &&
      ours.st_ino == theirs.st_ino) {
    return own_path;
  }
  std::string reasons;
  for (const char* directory : kCopyDirectories) {
    try {
      return copy_into(directory, source, content_name);
    } catch (const Error& error) {
      reasons += std::string(reasons.empty() ? "" : "; ") + error.what();
    }
  }
  throw Error(ErrorKind::AgentFailed, "cannot place leakspy's agent where the target can load it (uid " +
                                          std::to_string(geteuid()) + "): " + reasons);
}

}  // namespace leakspy::attach
