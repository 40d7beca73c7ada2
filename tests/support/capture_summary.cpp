#include "tests/support/capture_summary.h"

#include <unistd.h>

#include <algorithm>

namespace leakspy::test {

namespace {

struct Collector : capture::RecordVisitor {
  CaptureSummary& summary;
  analyze::LiveSet live;
  uint64_t time = 0;

  explicit Collector(CaptureSummary& s) : summary(s) {}
  void on_string(StringId id, std::string_view text) { summary.strings[id.value()] = std::string(text); }
  void on_heap(const capture::HeapRecord& heap) {
    live.set_range_heap(heap.id, heap.ranges());
    auto name = summary.strings.find(heap.name.value());
    if (name != summary.strings.end()) summary.heap_names[heap.id.value()] = name->second;
  }
  void on_module(const capture::ModuleRecord& module) { summary.modules[module.id.value()] = module; }
  void on_thread(const capture::ThreadRecord& thread) { summary.threads[thread.index.value()] = thread; }
  void on_node(const capture::NodeRecord& node) { summary.nodes[node.id.value()] = node; }
  void on_python_code(const capture::PythonCodeRecord& code) { summary.python_codes[code.id] = code; }
  void on_note(const capture::NoteRecord& note) { summary.notes.push_back(note); }
  void on_exit(const capture::ExitRecord& exit) {
    summary.exits.push_back(exit.cause);
    summary.events_before_exit.push_back(summary.events);
  }
  void on_time(uint64_t units) {
    time = units;
    summary.last_time = std::max(summary.last_time, units);
  }
  void on_event(const capture::EventRecord& event) {
    ++summary.events_by_kind[static_cast<size_t>(event.kind)];
    ++summary.events;
    live.apply(event, time);
  }
  void on_trailer(const capture::Trailer& trailer) {
    summary.trailer = trailer;
    summary.has_trailer = true;
  }
};

}  // namespace

std::vector<LiveEntry> CaptureSummary::live_on_heap(const std::string& heap) const {
  std::vector<LiveEntry> result;
  for (const LiveEntry& entry : live) {
    auto name = heap_names.find(entry.heap);
    if (name != heap_names.end() && name->second == heap) result.push_back(entry);
  }
  return result;
}

std::vector<uint64_t> CaptureSummary::frames(uint32_t stack) const {
  std::vector<uint64_t> result;
  while (stack != 0) {
    auto it = nodes.find(stack);
    if (it == nodes.end()) break;
    result.push_back(it->second.frame);
    stack = it->second.parent.value();
  }
  return result;
}

std::string CaptureSummary::module_of(uint64_t address) const {
  for (const auto& [id, module] : modules) {
    for (const capture::Segment& segment : module.segments) {
      uint64_t start = module.load_bias + segment.vaddr;
      if (address >= start && address < start + segment.memsz) {
        auto name = strings.find(module.path.value());
        return name == strings.end() ? "" : name->second;
      }
    }
  }
  return "";
}

std::vector<LiveEntry> CaptureSummary::live_with_size(uint64_t size) const {
  std::vector<LiveEntry> result;
  for (const LiveEntry& entry : live) {
    if (entry.size == size) result.push_back(entry);
  }
  return result;
}

std::string CaptureSummary::python_location(uint32_t stack, const std::string& in_file) const {
  for (uint64_t frame : frames(stack)) {
    if (!capture::is_python_frame(frame)) continue;
    auto code = python_codes.find(capture::python_code_id(frame));
    if (code == python_codes.end()) return "?";
    auto text = [&](StringId id) {
      auto it = strings.find(id.value());
      return it == strings.end() ? std::string("?") : it->second;
    };
    std::string file = text(code->second.filename);
    if (!in_file.empty() && file.find(in_file) == std::string::npos) continue;
    return text(code->second.name) + " (" + file.substr(file.rfind('/') + 1) + ":" +
           std::to_string(capture::python_line(frame)) + ")";
  }
  return "";
}

std::vector<std::string> CaptureSummary::python_functions(uint32_t stack) const {
  std::vector<std::string> names;
  for (uint64_t frame : frames(stack)) {
    if (!capture::is_python_frame(frame)) continue;
    auto code = python_codes.find(capture::python_code_id(frame));
    auto name = code == python_codes.end() ? strings.end() : strings.find(code->second.name.value());
    names.push_back(name == strings.end() ? "?" : name->second);
  }
  return names;
}

std::map<std::string, uint64_t> CaptureSummary::live_bytes_by_python_location(int heap,
                                                                             const std::string& in_file) const {
  std::map<std::string, uint64_t> bytes;
  for (const LiveEntry& entry : live) {
    if (heap >= 0 && entry.heap != static_cast<uint32_t>(heap)) continue;
    bytes[python_location(entry.stack, in_file)] += entry.size;
  }
  return bytes;
}

bool wait_for_finished_capture(const std::string& path, double timeout_seconds) {
  for (double waited = 0; waited < timeout_seconds; waited += 0.05) {
    try {
      capture::CaptureReader reader(path);
      capture::RecordVisitor ignore;
      if (!reader.read(ignore).truncated) return true;
    } catch (const Error&) {
      // not created yet, or only its header so far
    }
    usleep(50000);
  }
  return false;
}

CaptureSummary summarize_capture(const std::string& path) {
  CaptureSummary summary;
  capture::CaptureReader reader(path);
  summary.header = reader.header();
  Collector collector(summary);
  summary.read = reader.read(collector);
  collector.live.for_each([&](HeapId heap, uint64_t address, const analyze::LiveBlock& block) {
    summary.live.push_back({heap.value(), address, block.size, block.stack.value()});
  });
  summary.unknown_releases = collector.live.unknown_releases();
  summary.implicit_frees = collector.live.implicit_frees();
  return summary;
}

}  // namespace leakspy::test
