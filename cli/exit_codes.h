#pragma once
// leakspy's exit codes, documented in docs/exit-codes.md. `leakspy run`
// exits with the recorded program's own status once the capture is written.

#include "common/error.h"

namespace leakspy::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,
  kExitCaptureUnreadable = 3,
  kExitOutputUnwritable = 4,
  kExitTargetStart = 5,
  kExitAgentFailed = 6,
  kExitNoSuchProcess = 10,
  kExitNotPermitted = 11,
  kExitProcessExiting = 12,
  kExitAlreadyTraced = 13,
  kExitAlreadyRecording = 14,
  kExitUnsupportedTarget = 15,
  kExitTargetExited = 16,  // record: the target exited during the recording (the capture is kept)
  kExitAgentProtocol = 17, // the agent broke the wire protocol: the recording ended there (the capture is kept)
  kExitLeakFound = 20,
};

int exit_code_for(ErrorKind kind);

}  // namespace leakspy::cli
