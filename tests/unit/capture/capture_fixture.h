#pragma once
// Writes small captures for the capture tests and reads them back.

#include <unistd.h>

#include <string>
#include <vector>

#include "capture/capture_reader.h"
#include "capture/capture_writer.h"
#include "tests/support/process.h"

namespace leakspy::capture {

// Everything a reader saw, in order, as text lines: easy to compare.
struct RecordLog : RecordVisitor {
  std::vector<std::string> lines;
  std::vector<EventRecord> events;
  std::vector<ModuleRecord> modules;
  std::vector<CountersRecord> counters;
  std::vector<AllocatorRecord> allocators;
  std::vector<PythonTypesRecord> censuses;
  Trailer trailer;
  bool has_trailer = false;

  void on_string(StringId id, std::string_view text) {
    lines.push_back("string " + std::to_string(id.value()) + " " + std::string(text));
  }
  void on_module(const ModuleRecord& module) {
    modules.push_back(module);
    lines.push_back("module " + std::to_string(module.id.value()));
  }
  void on_module_unload(ModuleId id) { lines.push_back("unload " + std::to_string(id.value())); }
  void on_heap(const HeapRecord& heap) {
    lines.push_back("heap " + std::to_string(heap.id.value()) + " " + std::to_string(heap.name.value()) + " " +
                    std::to_string(heap.flags));
  }
  void on_thread(const ThreadRecord& thread) {
    lines.push_back("thread " + std::to_string(thread.index.value()) + " " + std::to_string(thread.tid) + " " +
                    std::to_string(thread.name.value()));
  }
  void on_thread_end(ThreadIndex index) { lines.push_back("thread-end " + std::to_string(index.value())); }
  void on_node(const NodeRecord& node) {
    lines.push_back("node " + std::to_string(node.id.value()) + " " + std::to_string(node.parent.value()) + " " +
                    std::to_string(node.frame));
  }
  void on_time(uint64_t units) { lines.push_back("time " + std::to_string(units)); }
  void on_switch(ThreadIndex index) { lines.push_back("switch " + std::to_string(index.value())); }
  void on_exit(const ExitRecord& exit) { lines.push_back("exit " + std::to_string(static_cast<int>(exit.cause))); }
  void on_process(const ProcessRecord& process) {
    lines.push_back("process " + std::to_string(process.index) + " " + std::to_string(process.pid) + " " +
                    std::to_string(process.parent) + " " + std::to_string(static_cast<int>(process.origin)) + " " +
                    std::to_string(process.command_line.size()));
  }
  void on_process_end(const ProcessEndRecord& end) {
    lines.push_back("process-end " + std::to_string(end.index) + " " + std::to_string(static_cast<int>(end.how)) + " " +
                    std::to_string(end.status));
  }
  // Said at each chunk's start too: only a change is logged.
  void on_scope(uint32_t process) {
    if (process != scope) lines.push_back("scope " + std::to_string(process));
    scope = process;
  }
  uint32_t scope = 0;
  void on_event(const EventRecord& event) {
    events.push_back(event);
    lines.push_back("event");
  }
  void on_counters(const CountersRecord& record) {
    counters.push_back(record);
    lines.push_back("counters " + std::to_string(record.rss_bytes));
  }
  void on_allocator(const AllocatorRecord& record) {
    allocators.push_back(record);
    lines.push_back("allocator " + std::to_string(static_cast<int>(record.kind)) + " " +
                    std::to_string(record.free_bytes));
  }
  void on_python_types(const PythonTypesRecord& record) {
    censuses.push_back(record);
    lines.push_back("python-types " + std::to_string(record.types.size()));
  }
  void on_dropped(const DroppedRecord& dropped) {
    lines.push_back("dropped " + std::to_string(dropped.thread.value()) + " " + std::to_string(dropped.count));
  }
  void on_trailer(const Trailer& t) {
    trailer = t;
    has_trailer = true;
    lines.push_back("trailer");
  }
};

inline CaptureHeader sample_header() {
  CaptureHeader header;
  header.pid = 4242;
  header.start_unix_ns = 1'700'000'000'000'000'000ull;
  header.start_monotonic_ns = 123'456'789;
  header.time_unit_ns = 1000;
  header.flags = kFlagAttachedMidRun;
  header.command_line = {"python3", "serve.py", "--port", "8080"};
  header.executable = "/usr/bin/python3.11";
  header.hostname = "box";
  header.leakspy_version = "0.1.0";
  header.page_size = 4096;
  return header;
}

class CaptureFileTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }
  std::string path(const std::string& name) const { return directory_ + "/" + name; }

  std::string directory_;
};

}  // namespace leakspy::capture
