#pragma once
// `leakspy inspect`: every record of a capture as a line of text, and the
// per-record-type statistics of --stats. Not thread-safe.

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <unordered_map>

#include "capture/capture_reader.h"
#include "capture/record_decoder.h"

namespace leakspy::render {

void print_header(std::ostream& out, const capture::CaptureHeader& header);

// "2 chunks damaged (14.2 KiB skipped), about 3,100 events lost": the
// reader skipped them; `events`: what the whole chunks held, from which the
// loss is estimated by size. "" when nothing was damaged.
std::string damage_text(const capture::ReadSummary& read, uint64_t events);

// Prints each record as it is read.
class RecordPrinter : public capture::RecordVisitor {
 public:
  explicit RecordPrinter(std::ostream& out, const capture::CaptureHeader& header) : out_(out), header_(header) {}

  void on_string(StringId id, std::string_view text);
  void on_module(const capture::ModuleRecord& module);
  void on_module_unload(ModuleId id);
  void on_heap(const capture::HeapRecord& heap);
  void on_thread(const capture::ThreadRecord& thread);
  void on_thread_end(ThreadIndex index);
  void on_node(const capture::NodeRecord& node);
  void on_time(uint64_t units);
  void on_switch(ThreadIndex index);
  void on_event(const capture::EventRecord& event);
  void on_counters(const capture::CountersRecord& counters);
  void on_allocator(const capture::AllocatorRecord& allocator);
  void on_python_types(const capture::PythonTypesRecord& census);
  void on_kept_by(const capture::KeptByRecord& kept);
  void on_dropped(const capture::DroppedRecord& dropped);
  void on_trailer(const capture::Trailer& trailer);
  void on_python_code(const capture::PythonCodeRecord& code);
  void on_note(const capture::NoteRecord& note);
  void on_exit(const capture::ExitRecord& exit);
  void on_process(const capture::ProcessRecord& process);
  void on_process_end(const capture::ProcessEndRecord& end);
  void on_scope(uint32_t process);
  void on_symbol(const capture::SymbolRecord& symbol);

 private:
  std::string heap_name(HeapId heap) const;
  // The string `id` names; `absent` for one no String record gave.
  std::string text(StringId id, const char* absent = "") const;
  std::ostream& line(const char* type);

  std::ostream& out_;
  const capture::CaptureHeader& header_;
  std::unordered_map<uint32_t, std::string> strings_;
  std::unordered_map<uint32_t, uint32_t> heap_names_;
  uint64_t time_ = 0;
  uint32_t scope_ = 0;
};

// Counts records by type, for --stats.
class RecordCounter : public capture::RecordVisitor {
 public:
  explicit RecordCounter(uint64_t time_unit_ns) : time_unit_ns_(time_unit_ns) {}
  void on_string(StringId, std::string_view) { ++counts_["string"]; }
  void on_module(const capture::ModuleRecord&) { ++counts_["module"]; }
  void on_module_unload(ModuleId) { ++counts_["module-unload"]; }
  void on_heap(const capture::HeapRecord&) { ++counts_["heap"]; }
  void on_thread(const capture::ThreadRecord& thread) {
    ++counts_["thread"];
    thread_processes_[thread.index.value()] = scope_;
  }
  void on_scope(uint32_t process) { scope_ = process; }
  void on_thread_end(ThreadIndex) { ++counts_["thread-end"]; }
  void on_node(const capture::NodeRecord&) { ++counts_["node"]; }
  void on_switch(ThreadIndex thread) {
    ++counts_["switch"];
    auto found = thread_processes_.find(thread.value());
    event_process_ = found != thread_processes_.end() ? found->second : 0;
  }
  void on_event(const capture::EventRecord& event) {
    ++events_by_kind_[static_cast<size_t>(event.kind)];
    ++events_;
    auto exit = exits_.find(event_process_);
    if (exit != exits_.end()) ++exit->second.teardown_events;
  }
  void on_time(uint64_t units) {
    ++counts_["time"];
    time_ = units;
  }
  // Each process's events after its Exit record are its teardown.
  void on_exit(const capture::ExitRecord& exit) {
    ++counts_["exit"];
    exits_.emplace(scope_, Exit{time_, exit.cause, 0});
  }
  void on_counters(const capture::CountersRecord&) { ++counts_["counters"]; }
  void on_allocator(const capture::AllocatorRecord&) { ++counts_["allocator"]; }
  void on_python_types(const capture::PythonTypesRecord&) { ++counts_["python-types"]; }
  void on_kept_by(const capture::KeptByRecord&) { ++counts_["kept-by"]; }
  void on_dropped(const capture::DroppedRecord& dropped) {
    ++counts_["dropped"];
    dropped_ += dropped.count;
  }
  void on_python_code(const capture::PythonCodeRecord&) { ++counts_["python-code"]; }
  void on_note(const capture::NoteRecord&) { ++counts_["note"]; }
  void on_symbol(const capture::SymbolRecord&) { ++counts_["symbol"]; }
  void on_process(const capture::ProcessRecord& process) {
    ++counts_["process"];
    pids_[process.index] = process.pid;
  }
  void on_process_end(const capture::ProcessEndRecord&) { ++counts_["process-end"]; }
  void on_trailer(const capture::Trailer& trailer) {
    ++counts_["trailer"];
    trailer_ = trailer;
    has_trailer_ = true;
  }

  void print(std::ostream& out, const capture::ReadSummary& summary, const std::string& path) const;

 private:
  std::map<std::string, uint64_t> counts_;
  uint64_t events_by_kind_[5] = {};
  uint64_t events_ = 0;
  uint64_t dropped_ = 0;
  capture::Trailer trailer_;
  bool has_trailer_ = false;
  uint64_t time_unit_ns_;
  uint64_t time_ = 0;
  struct Exit {
    uint64_t time = 0;
    capture::ExitCause cause = capture::ExitCause::Exit;
    uint64_t teardown_events = 0;  // the process's events after its Exit record
  };
  std::map<uint32_t, Exit> exits_;              // by process index
  std::map<uint32_t, uint32_t> pids_;           // process index -> pid
  std::unordered_map<uint32_t, uint32_t> thread_processes_;
  uint32_t scope_ = 0;
  uint32_t event_process_ = 0;
};

}  // namespace leakspy::render
