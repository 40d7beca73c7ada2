#pragma once
// The records of a capture as the offline half sees them: typed, decoded values.
// RecordEncoder writes them and RecordDecoder reads them back; format.h says how
// they look on disk.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "capture/format.h"
#include "common/strong_id.h"

namespace leakspy::capture {

struct CaptureHeader {
  uint32_t version = kFormatVersion;
  uint32_t pid = 0;
  uint64_t start_unix_ns = 0;       // wall clock at the start of recording
  uint64_t start_monotonic_ns = 0;  // CLOCK_MONOTONIC at the same moment
  uint64_t time_unit_ns = 1000;     // Time records count in these units
  uint64_t flags = 0;               // kFlagAttachedMidRun, ...
  std::vector<std::string> command_line;
  std::string executable;
  std::string hostname;
  std::string leakspy_version;
  uint32_t page_size = 4096;

  bool attached_mid_run() const { return (flags & kFlagAttachedMidRun) != 0; }
};

struct Segment {
  uint64_t vaddr = 0;  // relative to the load bias, as in the program header
  uint64_t memsz = 0;
  uint8_t flags = 0;   // PF_X = 1, PF_W = 2, PF_R = 4
  bool operator==(const Segment&) const = default;
};

struct ModuleRecord {
  ModuleId id;
  StringId path;
  std::string build_id;  // raw bytes of NT_GNU_BUILD_ID; empty if none
  uint64_t load_bias = 0;
  std::vector<Segment> segments;
  bool operator==(const ModuleRecord&) const = default;
};

struct HeapRecord {
  HeapId id;
  StringId name;
  uint64_t flags = 0;  // kHeapFlagRanges
  bool ranges() const { return (flags & kHeapFlagRanges) != 0; }
};

struct ThreadRecord {
  ThreadIndex index;
  uint32_t tid = 0;
  StringId name;
};

// One edge of the trace tree: the stack `id` is the stack `parent` with `frame`
// called from it. Stack 0 is the empty stack (the root).
struct NodeRecord {
  StackId id;
  StackId parent;
  uint64_t frame = 0;
};

struct EventRecord {
  EventKind kind = EventKind::Alloc;
  HeapId heap;
  StackId stack;      // Alloc and ReallocIn only
  uint64_t size = 0;  // Alloc, ReallocIn and FreeRange only
  uint64_t address = 0;
  bool operator==(const EventRecord&) const = default;
};

// A Python code object: what a Python frame's code id stands for.
struct PythonCodeRecord {
  uint32_t id = 0;
  StringId filename;
  StringId name;  // the qualified name where the interpreter has one (3.11+)
  uint32_t first_line = 0;
};

// One source-level frame at a native frame address: the function the code
// belongs to, or a function inlined into it.
struct SymbolFrame {
  StringId function;  // demangled; 0 when only the module is known
  StringId file;      // source file; 0 when unknown
  uint32_t line = 0;  // 0 when unknown
  bool operator==(const SymbolFrame&) const = default;
};

// What a native frame address of the trace tree stands for, resolved by the
// recorder at the end of recording (symbolize/). One record per distinct
// native frame of the capture's Node records.
struct SymbolRecord {
  uint64_t address = 0;  // the frame exactly as in Node records: a return address (looked up at address - 1)
  ModuleId module;       // the module the address lies in; 0 when none
  // Innermost first: frames[0] is the innermost inlined function (where the
  // address's line is), each next one the function it was inlined into (at
  // the call's line), the last the real function. Empty when unresolved.
  std::vector<SymbolFrame> frames;
  bool operator==(const SymbolRecord&) const = default;
};

struct NoteRecord {
  NoteSeverity severity = NoteSeverity::Info;
  std::string text;
};

struct ExitRecord {
  ExitCause cause = ExitCause::Exit;
};

// One recorded program image: a process from its start (or from the moment
// leakspy attached), or from an exec. Every record of a process-scoped type
// (Module, ModuleUnload, Node, Thread, Symbol, Counters, Allocator, PythonTypes, KeptBy, Exit) belongs to the
// process of the Scope before it; events belong to their thread's process.
struct ProcessRecord {
  uint32_t index = 0;   // from 0, dense, in the order processes joined the recording
  uint32_t pid = 0;
  uint32_t parent = 0;  // index + 1 of the process it came from; 0: none
  ProcessOrigin origin = ProcessOrigin::Started;
  StringId executable;
  std::vector<StringId> command_line;
  bool operator==(const ProcessRecord&) const = default;
};

struct ProcessEndRecord {
  uint32_t index = 0;
  ProcessEndKind how = ProcessEndKind::Lost;
  int32_t status = 0;
};

struct CountersRecord {
  uint64_t rss_bytes = 0;
  std::vector<std::pair<HeapId, uint64_t>> live_bytes;  // per heap
};

// The allocator's accounting of the process at a moment, as the agent last
// sampled it: written before the Counters record it goes with. Byte counts
// are address space the allocator holds; most of it is resident.
struct AllocatorRecord {
  AllocatorKind kind = AllocatorKind::GlibcMallinfo2;
  uint64_t heap_bytes = 0;        // taken from the system for the arenas (sbrk and arena mmaps): mallinfo2 arena
  uint64_t in_use_bytes = 0;      // of those, in allocated chunks with their headers: uordblks
  uint64_t free_bytes = 0;        // of those, free chunks the allocator keeps: fordblks
  uint64_t mmapped_bytes = 0;     // large blocks mapped one by one: hblkhd
  uint64_t releasable_bytes = 0;  // the free top of the main arena, which trimming returns: keepcost
  bool operator==(const AllocatorRecord&) const = default;
};
inline constexpr uint64_t kAllocatorRecordValues = 5;  // the values above, in order; readers skip more

// A census of the Python objects the garbage collector tracks, by type name
// (the types with a few objects at least), at a moment of the process.
struct PythonTypesRecord {
  std::vector<std::pair<StringId, uint64_t>> types;  // name, live objects
  bool operator==(const PythonTypesRecord&) const = default;
};

// What keeps objects of a stack alive, as the target's Python said when the
// recording ended (wire::MessageType::KeptBy): the chain of references from
// a root, the stack that allocated the object below the root (the holder:
// a list, a dict), and for a list the stack that last grew its item array.
struct KeptByRecord {
  StackId stack;         // the sampled objects' allocation stack
  StringId chain;        // "history (module global in __main__) -> list -> Tensor"
  StackId holder_stack;  // 0: unknown (allocated before the recording, or not a block)
  StackId items_stack;   // 0: unknown or not a list
  bool operator==(const KeptByRecord&) const = default;
};

struct DroppedRecord {
  ThreadIndex thread;
  uint64_t count = 0;
};

// How the recording ended, from the recorder's point of view.
enum class TargetEnd : uint8_t {
  StillRunning = 0,  // recording stopped (duration, Ctrl-C) and the target lives on
  Exited = 1,        // the target exited; exit_status is its exit code
  Signaled = 2,      // the target was killed; exit_status is the signal number
  Lost = 3,          // the connection ended without the target's fate being known
};

struct Trailer {
  uint64_t end_time = 0;  // in time units since the start
  uint64_t events_by_kind[5] = {};  // indexed by EventKind
  uint64_t dropped_events = 0;      // the agent could not keep up and dropped these
  uint64_t late_events = 0;         // arrived after their time slot was written
  uint64_t unknown_frees = 0;       // releases of addresses never seen allocated
  uint64_t implicit_frees = 0;      // allocations over a still-live address (a missed free)
  uint64_t stacks_lost = 0;         // events recorded with the empty stack: the agent's tables were full
  uint64_t forced_orders = 0;       // same-address events of two threads with no consistent order
  TargetEnd target_end = TargetEnd::Lost;
  int32_t exit_status = 0;

  uint64_t total_events() const {
    uint64_t total = 0;
    for (uint64_t n : events_by_kind) total += n;
    return total;
  }
};

// Names used in text output (inspect, reports).
const char* event_kind_name(EventKind kind);
const char* target_end_name(TargetEnd end);
const char* exit_cause_name(ExitCause cause);
const char* process_origin_name(ProcessOrigin origin);
const char* process_end_name(ProcessEndKind how);

}  // namespace leakspy::capture
