#include "cli/exit_codes.h"

namespace leakspy::cli {

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Internal: return kExitInternal;
    case ErrorKind::Usage: return kExitUsage;
    case ErrorKind::CaptureUnreadable: return kExitCaptureUnreadable;
    case ErrorKind::OutputUnwritable: return kExitOutputUnwritable;
    case ErrorKind::TargetStart: return kExitTargetStart;
    case ErrorKind::AgentFailed: return kExitAgentFailed;
    case ErrorKind::AgentProtocol: return kExitAgentProtocol;
    case ErrorKind::NoSuchProcess: return kExitNoSuchProcess;
    case ErrorKind::NotPermitted: return kExitNotPermitted;
    case ErrorKind::ProcessExiting: return kExitProcessExiting;
    case ErrorKind::AlreadyTraced: return kExitAlreadyTraced;
    case ErrorKind::AlreadyRecording: return kExitAlreadyRecording;
    case ErrorKind::UnsupportedTarget: return kExitUnsupportedTarget;
    case ErrorKind::LeakFound: return kExitLeakFound;
  }
  return kExitInternal;
}

}  // namespace leakspy::cli
