#include "capture/records.h"

namespace leakspy::capture {

const char* record_type_name(RecordType type) {
  switch (type) {
    case RecordType::String: return "string";
    case RecordType::Module: return "module";
    case RecordType::ModuleUnload: return "module-unload";
    case RecordType::Heap: return "heap";
    case RecordType::Thread: return "thread";
    case RecordType::ThreadEnd: return "thread-end";
    case RecordType::Node: return "node";
    case RecordType::Time: return "time";
    case RecordType::Switch: return "switch";
    case RecordType::Counters: return "counters";
    case RecordType::Dropped: return "dropped";
    case RecordType::Trailer: return "trailer";
    case RecordType::Symbol: return "symbol";
    case RecordType::PythonCode: return "python-code";
    case RecordType::Note: return "note";
  }
  return "unknown";
}

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

}  // namespace leakspy::capture
