#pragma once
// One model behind every report (top, flamegraph, export): read in one pass
// over a capture, replaying its events through LiveSet for the heaps a report
// counts, with per stack (trace tree node) the bytes and count allocated, the
// bytes live at the end, and the bytes live at the moment the counted heaps'
// total peaked, plus the symbols that name each frame.
// Build with read_capture_model(); then plain data, read-only for reports
// except through `symbols` (which caches labels). Not thread-safe.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analyze/gpu_levels.h"
#include "analyze/heap_selection.h"
#include "analyze/metric.h"
#include "analyze/symbol_table.h"
#include "analyze/time_slices.h"
#include "capture/capture_reader.h"
#include "capture/records.h"

namespace leakspy::analyze {

struct TraceNode {
  StackId parent;  // defined before this node: the tree is acyclic
  uint32_t process = 0;  // the recorded process whose code `frame` is
  uint64_t frame = 0;
  bool defined = false;  // a Node record said so (stack 0, the root, never is)
};

// One recorded process (program image) of the capture: its Process record,
// and its ProcessEnd when the capture has one. A capture without Process
// records (format version 1) has one, made from its header.
struct ProcessInfo {
  uint32_t pid = 0;
  uint32_t parent = 0;  // index + 1; 0: none
  capture::ProcessOrigin origin = capture::ProcessOrigin::Started;
  std::string executable;
  std::vector<std::string> command_line;
  uint64_t start_time = 0;  // time units since the start
  std::optional<capture::ProcessEndRecord> end;
  uint64_t end_time = 0;
};

// One Counters record (with the Allocator record written before it): the
// resident set size at a moment and what the recorder and the allocator
// knew of it then, added up over the processes that count (--process).
struct RssSample {
  uint64_t time = 0;               // time units since the start
  uint64_t bytes = 0;              // resident set size
  uint64_t malloc_live_bytes = 0;  // the malloc heap's live blocks, as recorded (from the start or the attach)
  uint64_t mmap_live_bytes = 0;    // the mmap heap's live mappings, as recorded
  bool has_allocator = false;      // every process added up had the allocator's accounting
  capture::AllocatorRecord allocator;  // their sum (kind: the last one's)
};

// One PythonTypes record: a process's live Python objects by type at a
// moment (types by index into CaptureModel::type_names).
struct TypeCensus {
  uint64_t time = 0;  // time units since the start
  uint32_t process = 0;
  std::vector<std::pair<uint32_t, uint64_t>> counts;  // type, live objects
};

// A KeptBy record: what keeps objects of a stack alive (the target's word
// as the recording ended).
struct KeptBy {
  uint32_t process = 0;
  StackId stack;
  std::string chain;     // from a root to the object's type
  StackId holder_stack;  // allocated the object below the root; 0: unknown
  StackId items_stack;   // last grew its item array (a list); 0: unknown or none
};

struct CaptureModel {
  capture::CaptureHeader header;
  capture::ReadSummary read;
  std::optional<capture::Trailer> trailer;  // absent when the capture was cut short

  HeapSelection heaps;
  uint32_t selected_pid = 0;               // --process: only that pid's events count (0: every process's)
  std::vector<std::string> counted_heaps;  // names of the heaps the numbers cover
  std::vector<std::string> declared_heaps; // names of every heap the capture declares
  std::vector<std::string> heap_names;     // by heap id; "" for an id never declared

  StackTotals totals;           // over all stacks
  uint64_t peak_time = 0;       // time units since the start when totals.peak_bytes was reached
  // time units: the end of the program's life as reports measure it: the
  // Exit record when the capture has one, else the end of recording (or the
  // last event seen).
  uint64_t end_time = 0;
  // The program's exit (the Exit record), when the capture holds it: the
  // events after it are its teardown, kept in the capture and not counted.
  struct Exit {
    uint64_t time = 0;  // time units since the start
    capture::ExitCause cause = capture::ExitCause::Exit;
    uint64_t teardown_events = 0;
  };
  std::optional<Exit> exit;
  uint64_t events = 0;          // every event of the capture
  uint64_t counted_events = 0;  // events of the counted heaps
  uint64_t dropped_events = 0;  // the agent could not keep up
  uint64_t unknown_frees = 0;   // counted heaps: releases of blocks never seen allocated
  uint64_t implicit_frees = 0;  // counted heaps: allocations over a live block
  std::vector<capture::NoteRecord> notes;
  std::vector<ProcessInfo> processes;   // by index; never empty once read
  std::vector<GpuHeapLevel> gpu_levels;  // every GPU heap, counted or not: reserved vs allocated

  std::vector<TraceNode> nodes;      // by stack id; nodes[0] is the root
  std::vector<uint32_t> node_order;  // defined nodes, parents before children
  std::vector<StackTotals> stacks;   // by stack id, same size as nodes
  SymbolTable symbols;

  std::optional<TimeSlices> slices;  // when read with a SlicePlan
  std::vector<RssSample> rss;        // from the Counters records (about 10 a second)
  std::vector<std::string> type_names;     // every Python type a census named
  std::vector<TypeCensus> type_censuses;   // of the processes that count (--process), in time order
  std::vector<KeptBy> kept_by;             // of the processes that count

  double seconds(uint64_t units) const {
    return static_cast<double>(units) * static_cast<double>(header.time_unit_ns) * 1e-9;
  }
  double duration_seconds() const { return seconds(end_time); }

  // The locations of a node's own frame, innermost (inlined) first. Empty for
  // the root; [no stack] for a node no Node record defined.
  std::span<const LocationId> node_locations(StackId node) const {
    const Span& span = node_chains_[node.value()];
    return {chain_locations_.data() + span.begin, span.count};
  }

  // Builder's use: resolves every node's frame once, after reading.
  void resolve_node_locations();

 private:
  struct Span {
    uint32_t begin = 0;
    uint32_t count = 0;
  };
  std::vector<Span> node_chains_;
  std::vector<LocationId> chain_locations_;
};

// Which events count: those of the selected heaps, and with a pid, only those
// of the processes with that pid (an exec keeps its pid: both images).
struct EventSelection {
  EventSelection(HeapSelection selected_heaps, uint32_t selected_pid = 0)  // NOLINT: a heap selection alone converts
      : heaps(std::move(selected_heaps)), pid(selected_pid) {}
  HeapSelection heaps;
  uint32_t pid = 0;
};

// Reads `path` once. Throws Error(CaptureUnreadable) for a file that is not
// a readable capture; a truncated one is read to its last whole chunk
// (model.read says so). With `replay_thread` (and a second core), events are
// replayed on a second thread while this one decompresses and decodes; the
// model is the same either way.
// With an enabled `slices` plan, the same pass records time slices
// (model.slices).
// What the capture decodes into (tables, live blocks, slices) may take at
// most `memory_limit` bytes, 0 meaning ReadBudget::default_limit() of the
// file's size; past it, Error(CaptureUnreadable) (read_budget.h).
CaptureModel read_capture_model(const std::string& path, const EventSelection& selection,
                                const capture::ProgressCallback& progress = {}, bool replay_thread = true,
                                const SlicePlan& slices = {}, uint64_t memory_limit = 0);

}  // namespace leakspy::analyze
