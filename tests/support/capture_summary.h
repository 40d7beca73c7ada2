#pragma once
// Reads a whole capture into plain containers that tests can assert on.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "analyze/live_set.h"
#include "capture/capture_reader.h"

namespace leakspy::test {

struct LiveEntry {
  uint32_t heap;
  uint64_t address;
  uint64_t size;
  uint32_t stack;
};

struct CaptureSummary {
  capture::CaptureHeader header;
  capture::ReadSummary read;
  bool has_trailer = false;
  capture::Trailer trailer;
  uint64_t events_by_kind[5] = {};
  uint64_t events = 0;
  uint64_t last_time = 0;  // of the last Time record, in the header's time units
  std::map<uint32_t, capture::NodeRecord> nodes;
  std::map<uint32_t, capture::ModuleRecord> modules;
  std::map<uint32_t, std::string> strings;
  std::map<uint32_t, std::string> heap_names;  // by heap id, from the Heap records
  std::map<uint32_t, capture::ThreadRecord> threads;
  std::map<uint32_t, capture::PythonCodeRecord> python_codes;
  std::vector<capture::NoteRecord> notes;
  std::vector<capture::ExitCause> exits;    // the Exit records
  std::vector<uint64_t> events_before_exit;  // events before each of them
  std::vector<LiveEntry> live;  // at the end of the capture
  uint64_t unknown_releases = 0;
  uint64_t implicit_frees = 0;

  // Return addresses of a stack, innermost first.
  std::vector<uint64_t> frames(uint32_t stack) const;
  // The path of the module whose mapping holds `address`, or "".
  std::string module_of(uint64_t address) const;
  std::vector<LiveEntry> live_with_size(uint64_t size) const;
  // The live blocks of the heap called `heap` ("cuda:0/torch").
  std::vector<LiveEntry> live_on_heap(const std::string& heap) const;
  // "function (file:line)" of the innermost Python frame of a stack whose
  // file name contains `in_file` (any file when empty), or "".
  std::string python_location(uint32_t stack, const std::string& in_file = "") const;
  // The function names of a stack's Python frames, innermost first.
  std::vector<std::string> python_functions(uint32_t stack) const;
  // Live bytes at the end, per such location, for one heap (or all: -1).
  std::map<std::string, uint64_t> live_bytes_by_python_location(int heap = -1, const std::string& in_file = "") const;
};

CaptureSummary summarize_capture(const std::string& path);
// Waits until `path` is a finished capture (its trailer and end mark are
// written); false on timeout.
bool wait_for_finished_capture(const std::string& path, double timeout_seconds = 30);

}  // namespace leakspy::test
