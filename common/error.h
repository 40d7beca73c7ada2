#pragma once
// Typed errors for the offline half of leakspy (recorder, reader, reports).
// They are thrown where a problem is found and turned into one message and one
// exit code in exactly one place: cli/main.cpp. The agent never uses them.

#include <stdexcept>
#include <string>

namespace leakspy {

// Each kind has its own documented exit code (docs/exit-codes.md, cli/exit_codes.h).
enum class ErrorKind {
  Internal,          // a bug in leakspy
  Usage,             // bad command line
  CaptureUnreadable, // not a capture, corrupt, or a newer format
  OutputUnwritable,  // cannot create or write an output file
  TargetStart,       // the program given to `run` could not be started
  AgentFailed,       // the agent could not be loaded or did not connect
  AgentProtocol,     // the agent sent a message that breaks the wire protocol (the recording ends there)
  NoSuchProcess,     // attach: pid does not exist
  NotPermitted,      // attach: ptrace refused
  ProcessExiting,    // attach: zombie or exiting process
  AlreadyTraced,     // attach: a debugger holds the process
  AlreadyRecording,  // attach: another leakspy records it
  UnsupportedTarget, // attach: something in the target leakspy cannot handle
  LeakFound,         // check: a leak verdict
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// "<what>: <strerror(errno_value)>" — the one place errno becomes text.
std::string errno_message(const std::string& what, int errno_value);

// Throws Error(kind, errno_message(what, errno)).
[[noreturn]] void throw_errno(ErrorKind kind, const std::string& what);

}  // namespace leakspy
