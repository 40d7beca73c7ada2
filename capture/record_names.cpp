#include "capture/records.h"

namespace leakspy::capture {

const char* event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::Alloc: return "alloc";
    case EventKind::Free: return "free";
    case EventKind::FreeRange: return "free-range";
    case EventKind::ReallocOut: return "realloc-out";
    case EventKind::ReallocIn: return "realloc-in";
  }
  return "unknown";
}

const char* target_end_name(TargetEnd end) {
  switch (end) {
    case TargetEnd::StillRunning: return "still running";
    case TargetEnd::Exited: return "exited";
    case TargetEnd::Signaled: return "killed by a signal";
    case TargetEnd::Lost: return "connection lost";
  }
  return "unknown";
}

const char* exit_cause_name(ExitCause cause) {
  switch (cause) {
    case ExitCause::Exit: return "exit";
    case ExitCause::PythonFinalization: return "Python finalization";
  }
  return "unknown";
}

const char* process_origin_name(ProcessOrigin origin) {
  switch (origin) {
    case ProcessOrigin::Started: return "started";
    case ProcessOrigin::Exec: return "exec";
    case ProcessOrigin::Child: return "child";
  }
  return "unknown";
}

const char* process_end_name(ProcessEndKind how) {
  switch (how) {
    case ProcessEndKind::Exec: return "exec";
    case ProcessEndKind::Exited: return "exited";
    case ProcessEndKind::Signaled: return "killed by a signal";
    case ProcessEndKind::StillRunning: return "still running";
    case ProcessEndKind::Lost: return "connection lost";
  }
  return "unknown";
}

}  // namespace leakspy::capture
