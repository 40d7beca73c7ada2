#include "attach/target_view.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <vector>

#include "common/proc_status.h"
#include "attach/ptrace_diagnosis.h"
#include "common/error.h"
#include "common/regular_file.h"

namespace leakspy::attach {

namespace {

constexpr size_t kMaxText = 4096;

struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// The effective ids (the second number of "Uid:" and "Gid:") and groups.
Credentials credentials_of(pid_t pid) {
  std::optional<ProcStatus> status = ProcStatus::read(std::to_string(pid));
  if (!status) throw Error(ErrorKind::NoSuchProcess, "process " + std::to_string(pid) + " is gone");
  auto second = [&](const std::string& field) {
    std::istringstream numbers(status->field(field));
    long long real = -1;
    long long effective = -1;
    numbers >> real >> effective;
    if (effective < 0) throw Error(ErrorKind::Internal, "cannot read " + field + " of process " + std::to_string(pid));
    return effective;
  };
  Credentials credentials;
  credentials.uid = static_cast<uid_t>(second("Uid"));
  credentials.gid = static_cast<gid_t>(second("Gid"));
  std::istringstream groups(status->field("Groups"));
  for (long long group; groups >> group;) credentials.groups.push_back(static_cast<gid_t>(group));
  return credentials;
}

bool same_file(int a, int b) {
  struct stat first {};
  struct stat second {};
  return fstat(a, &first) == 0 && fstat(b, &second) == 0 && first.st_dev == second.st_dev &&
         first.st_ino == second.st_ino;
}

// /proc/PID/NAME (pid 0: leakspy's own). Opening another's root or
// namespaces needs the same rights as ptrace: a refusal is diagnosed alike.
UniqueFd open_own(pid_t pid, const std::string& name, int flags = 0) {
  std::string path = pid == 0 ? "/proc/self/" + name : "/proc/" + std::to_string(pid) + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags));
  if (!fd && pid != 0 && (errno == EACCES || errno == EPERM)) explain_ptrace_failure(pid, errno);
  if (!fd) throw_errno(ErrorKind::NoSuchProcess, "cannot open " + path);
  return fd;
}

// In the child: take the target's view. Order matters: the namespaces and
// root while still root, the credentials last.
void enter_view(pid_t pid, const Credentials& credentials) {
  if (geteuid() != 0) return;
  UniqueFd root = open_own(pid, "root", O_DIRECTORY);
  UniqueFd mount = open_own(pid, "ns/mnt");
  UniqueFd network = open_own(pid, "ns/net");
  // Opened before the chroot: the target's root may have no /proc.
  bool same_mount = same_file(mount.get(), open_own(0, "ns/mnt").get());
  bool same_network = same_file(network.get(), open_own(0, "ns/net").get());
  if (!same_mount && setns(mount.get(), CLONE_NEWNS) != 0) {
    throw_errno(ErrorKind::NotPermitted, "cannot enter the mount namespace of process " + std::to_string(pid));
  }
  if (fchdir(root.get()) != 0 || chroot(".") != 0 || chdir("/") != 0) {
    throw_errno(ErrorKind::NotPermitted, "cannot enter the root of process " + std::to_string(pid));
  }
  if (!same_network && setns(network.get(), CLONE_NEWNET) != 0) {
    throw_errno(ErrorKind::NotPermitted, "cannot enter the network namespace of process " + std::to_string(pid));
  }
  if (setgroups(credentials.groups.size(), credentials.groups.data()) != 0 ||
      setresgid(credentials.gid, credentials.gid, credentials.gid) != 0 ||
      setresuid(credentials.uid, credentials.uid, credentials.uid) != 0) {
    throw_errno(ErrorKind::NotPermitted, "cannot take the user of process " + std::to_string(pid));
  }
}

// One message: the error kind + 1 (0: success), the text, and at most one
// descriptor.
void send_result(int channel, int status, const std::string& text, int descriptor) {
  std::string payload = std::string(1, static_cast<char>(status)) + text.substr(0, kMaxText);
  iovec data{payload.data(), payload.size()};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (descriptor >= 0) {
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &descriptor, sizeof(int));
  }
  ssize_t ignored = sendmsg(channel, &message, MSG_NOSIGNAL);
  (void)ignored;
}

[[noreturn]] void run_child(int channel, const std::function<void()>& enter, const std::function<ViewResult()>& work) {
  try {
    enter();
    ViewResult result = work();
    send_result(channel, 0, result.text, result.descriptor.get());
  } catch (const Error& error) {
    send_result(channel, static_cast<int>(error.kind()) + 1, error.what(), -1);
  } catch (const std::exception& error) {
    send_result(channel, static_cast<int>(ErrorKind::Internal) + 1, error.what(), -1);
  }
  _exit(0);
}

ViewResult receive_result(int channel) {
  std::vector<char> payload(kMaxText + 1);
  iovec data{payload.data(), payload.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  ssize_t got;
  do {
    got = recvmsg(channel, &message, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  ViewResult result;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
      int descriptor = -1;
      std::memcpy(&descriptor, CMSG_DATA(header), sizeof(int));
      result.descriptor.reset(descriptor);
    }
  }
  if (got <= 0) {
    throw Error(ErrorKind::Internal, "leakspy's helper in the target's view said nothing");
  }
  int status = static_cast<unsigned char>(payload[0]);
  result.text.assign(payload.data() + 1, static_cast<size_t>(got) - 1);
  if (status != 0) throw Error(static_cast<ErrorKind>(status - 1), result.text);
  return result;
}

// Forks with a socket pair between the two: `ours` is the parent's end,
// `theirs` the child's, and each process closes the other's. Returns fork()'s value.
pid_t fork_with_channel(UniqueFd& ours, UniqueFd& theirs) {
  int channel[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) != 0) throw_errno(ErrorKind::Internal, "socketpair");
  ours.reset(channel[0]);
  theirs.reset(channel[1]);
  pid_t child = fork();
  if (child < 0) throw_errno(ErrorKind::Internal, "fork");
  (child == 0 ? ours : theirs).reset();
  return child;
}

void reap(pid_t child) {
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
}

// Forks, lets the child `enter` a view and run `work` there, and returns
// what it sent back.
ViewResult run_in_child(const std::function<void()>& enter, const std::function<ViewResult()>& work) {
  UniqueFd ours;
  UniqueFd theirs;
  pid_t child = fork_with_channel(ours, theirs);
  if (child == 0) run_child(theirs.get(), enter, work);
  struct Reaper {
    pid_t child;
    ~Reaper() { reap(child); }
  } reaper{child};
  return receive_result(ours.get());
}

// Closes every descriptor from 3 up but `keep`.
void close_all_but(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned int first = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(first)) continue;
    if (static_cast<unsigned int>(fd) > first) close_range(first, static_cast<unsigned int>(fd) - 1, 0);
    first = static_cast<unsigned int>(fd) + 1;
  }
  close_range(first, ~0u, 0);
}

// In the file opener's child, once in the view: one path per message, one
// answer each (send_result: status 0, the reason when there is no
// descriptor), until leakspy closes the channel.
[[noreturn]] void serve_files(int channel, int proc) {
  std::vector<char> path(PATH_MAX);
  for (;;) {
    ssize_t got = recv(channel, path.data(), path.size(), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) _exit(0);
    RegularFileOpen how;
    how.directory = AT_FDCWD;  // chrooted: absolute links resolve inside the target's root
    how.resolve = RESOLVE_NO_MAGICLINKS;
    how.proc = proc;
    std::string why;
    UniqueFd file = open_regular_file(std::string(path.data(), static_cast<size_t>(got)), how, &why);
    send_result(channel, 0, file ? "" : why, file.get());
  }
}

}  // namespace

std::unique_ptr<TargetFileOpener> TargetFileOpener::start(pid_t pid) {
  Credentials credentials = credentials_of(pid);
  UniqueFd ours;
  UniqueFd theirs;
  pid_t child = fork_with_channel(ours, theirs);
  if (child == 0) {
    int status = 0;
    std::string text;
    try {
      // The view's root may have no /proc: the reopening of a checked
      // descriptor goes through leakspy's.
      UniqueFd proc(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
      close_all_but({theirs.get(), proc.get()});
      enter_view(pid, credentials);
      send_result(theirs.get(), 0, "", -1);
      serve_files(theirs.get(), proc.get());
    } catch (const Error& error) {
      status = static_cast<int>(error.kind()) + 1;
      text = error.what();
    } catch (const std::exception& error) {
      status = static_cast<int>(ErrorKind::Internal) + 1;
      text = error.what();
    }
    send_result(theirs.get(), status, text, -1);
    _exit(0);
  }
  std::unique_ptr<TargetFileOpener> opener(new TargetFileOpener(std::move(ours), child));
  receive_result(opener->channel_.get());  // ready, or throws what the child could not do (the destructor reaps it)
  return opener;
}

TargetFileOpener::~TargetFileOpener() {
  channel_.reset();
  reap(child_);
}

UniqueFd TargetFileOpener::open(const std::string& path, std::string* why) {
  if (path.empty() || path.size() >= PATH_MAX || path.find('\0') != std::string::npos) {
    *why = "not a path";
    return {};
  }
  ssize_t sent;
  do {
    sent = send(channel_.get(), path.data(), path.size(), MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    *why = errno_message("leakspy's helper in the target's view is gone", errno);
    return {};
  }
  try {
    ViewResult result = receive_result(channel_.get());
    if (!result.descriptor) *why = result.text.empty() ? "not opened" : result.text;
    return std::move(result.descriptor);
  } catch (const Error& error) {
    *why = error.what();
    return {};
  }
}

ViewResult run_in_target_view(pid_t pid, const std::function<ViewResult()>& work) {
  Credentials credentials = credentials_of(pid);
  return run_in_child([&] { enter_view(pid, credentials); }, work);
}

ViewResult run_in_root(const std::string& root, const std::function<ViewResult()>& work) {
  return run_in_child(
      [&] {
        if (chroot(root.c_str()) != 0 || chdir("/") != 0) throw_errno(ErrorKind::NotPermitted, "cannot chroot to " + root);
      },
      work);
}

}  // namespace leakspy::attach
