#pragma once
// Fields of /proc/PID/status ("Uid:", "TracerPid:", "CapEff:", ...) and of
// /proc/PID/stat that attaching and the recorder need. Offline side; allocates.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace leakspy {

class ProcStatus {
 public:
  // Reads /proc/<who>/status; `who` is a pid or "self". Empty if unreadable.
  static std::optional<ProcStatus> read(const std::string& who);

  // The text after "<name>:" with surrounding blanks removed, or "".
  std::string field(const std::string& name) const;
  // The first number of a field (e.g. the real uid of "Uid:"), or nothing.
  std::optional<long long> number(const std::string& name) const;
  // A capability bit set field ("CapEff:") as a mask.
  uint64_t capabilities(const std::string& name) const;

 private:
  std::string text_;
};

// The state letter of /proc/PID/stat (R, S, D, Z, X, ...) and whether the
// kernel flags the process as exiting (PF_EXITING); nothing if it is gone.
struct ProcStat {
  char state = '?';
  bool exiting = false;
  pid_t parent = 0;
};
std::optional<ProcStat> read_proc_stat(pid_t pid);

// Every living descendant of `pid` (children, theirs, ...), parents before
// their children, as /proc shows them now.
std::vector<pid_t> descendants_of(pid_t pid);

// The command name of a process ("comm"), or "?".
std::string process_name(pid_t pid);

// The resident set of a process in bytes (/proc/PID/statm); 0 if unreadable.
uint64_t resident_bytes(pid_t pid);

// The working directory of a process (/proc/PID/cwd), as it sees it; "" if unreadable.
std::string working_directory(pid_t pid);

// The program a process runs now (/proc/PID/exe); "" if unreadable.
std::string executable_path(pid_t pid);

// /proc/PID/cmdline as arguments, as the process shows it now: a title the
// program rewrote stays one argument and the empty ones after it are
// dropped; nothing left gives the command name.
std::vector<std::string> command_line(pid_t pid);
std::vector<std::string> split_command_line(const std::string& raw);

}  // namespace leakspy
