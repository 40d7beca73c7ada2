#include "tests/support/capture_summary.h"

namespace leakspy::test {

namespace {

struct Collector : capture::RecordVisitor {
  CaptureSummary& summary;
  analyze::LiveSet live;
  uint64_t time = 0;

  explicit Collector(CaptureSummary& s) : summary(s) {}
  void on_string(StringId id, std::string_view text) { summary.strings[id.value()] = std::string(text); }
  void on_heap(const capture::HeapRecord& heap) { live.set_range_heap(heap.id, heap.ranges()); }
  void on_module(const capture::ModuleRecord& module) { summary.modules[module.id.value()] = module; }
  void on_thread(const capture::ThreadRecord& thread) { summary.threads[thread.index.value()] = thread; }
  void on_node(const capture::NodeRecord& node) { summary.nodes[node.id.value()] = node; }
  void on_time(uint64_t units) { time = units; }
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
