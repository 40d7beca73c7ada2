#include "recorder/agent_stream.h"

#include <unistd.h>

#include <algorithm>
#include <set>
#include <variant>

#include "common/proc_status.h"
#include "recorder/recording_session.h"

namespace leakspy::recorder {

namespace {

using capture::EventKind;

// The agent hands out node and code ids densely from 1: an id this far
// beyond the ones seen is damage, and must not size the tables.
constexpr uint32_t kIdSlack = 1u << 20;

// A module's path as the agent saw it: dlopen("./libfoo.so") leaves it
// relative to the process's directory at that moment, anchored here to its
// directory now (a few milliseconds later), so that the file can be found.
std::string module_path(std::string reported, pid_t pid) {
  if (reported.empty() || reported[0] == '/' || reported.find('/') == std::string::npos) return reported;
  std::string directory = working_directory(pid);
  if (directory.empty()) return reported;
  if (reported.rfind("./", 0) == 0) reported.erase(0, 2);
  return directory + "/" + reported;
}

}  // namespace

AgentStream::AgentStream(RecordingSession& session, uint32_t process, pid_t pid)
    : session_(session), process_(process), pid_(pid), merger_(*this) {
  heaps_[capture::kHeapMalloc] = capture::kHeapMalloc;
  heaps_[capture::kHeapMmap] = capture::kHeapMmap;
  declared_heaps_.set(capture::kHeapMalloc);
  declared_heaps_.set(capture::kHeapMmap);
  live_.set_range_heap(HeapId(capture::kHeapMmap), true);
}

void AgentStream::on_message(const wire::MessageHeader& header, const uint8_t* payload) {
  wire::Message message = decoder_.decode(header, payload);
  if (said_goodbye_) wire::protocol_error("a message after the goodbye");
  if (!said_hello_ && !std::holds_alternative<wire::HelloMessage>(message)) wire::protocol_error("no hello first");
  std::visit([this](const auto& decoded) { handle(decoded); }, message);
}

void AgentStream::handle(const wire::HelloMessage& hello) {
  if (said_hello_) wire::protocol_error("a second hello");
  said_hello_ = true;
  merger_.begin_at(hello.monotonic_ns);
}

void AgentStream::handle(const wire::EventsMessage& events) {
  // The decoder's buffer is reused for the next message; the merger copies.
  merger_.add(events.thread_index, events.events.data(), events.events.size());
}

void AgentStream::handle(const wire::NodesMessage& nodes) {
  // Checked before anything changes: the ids must be dense enough to index.
  for (const wire::WireNode& node : nodes.nodes) {
    if (node.id >= nodes_.size() + kIdSlack) {
      wire::protocol_error("node " + std::to_string(node.id) + " is far beyond the nodes sent so far");
    }
  }
  for (const wire::WireNode& node : nodes.nodes) {
    if (node.id >= nodes_.size()) nodes_.resize(node.id + 1, 0);
    if (nodes_[node.id] != 0) continue;  // the first definition wins
    uint32_t id = session_.new_node();
    nodes_[node.id] = id;
    uint64_t frame = capture_frame(node.frame);
    session_.records_of(process_).node({StackId(id), StackId(capture_node(node.parent)), frame});
    native_frames_.frame_seen(frame);
  }
}

void AgentStream::handle(const wire::ThreadMessage& thread) {
  uint32_t index = capture_thread(thread.index);
  StringId name = session_.intern(std::string(thread.name));
  session_.records_of(process_).thread({ThreadIndex(index), thread.tid, name});
}

void AgentStream::handle(const wire::ThreadEndMessage& end) {
  ending_threads_.insert(end.index);
  end_finished_threads();
}

void AgentStream::end_finished_threads() {
  for (auto it = ending_threads_.begin(); it != ending_threads_.end();) {
    if (merger_.has_pending(*it)) {
      ++it;
      continue;
    }
    session_.records_of(process_).thread_end(ThreadIndex(capture_thread(*it)));
    // Thread indices are never reused: what was kept for this one can go.
    merger_.forget_thread(*it);
    drops_by_thread_.erase(*it);
    it = ending_threads_.erase(it);
  }
}

void AgentStream::handle(const wire::ModuleMessage& module) {
  auto [it, inserted] = modules_.try_emplace(module.id, 0);
  if (inserted) it->second = session_.new_module();
  capture::ModuleRecord record;
  record.id = ModuleId(it->second);
  std::string path = module_path(std::string(module.path), pid_);
  record.path = session_.intern(path);
  record.build_id = std::string(module.build_id);
  record.load_bias = module.load_bias;
  record.segments.assign(module.segments.begin(), module.segments.end());
  session_.records_of(process_).module(record);
  native_frames_.module_loaded({it->second, path, record.build_id, record.load_bias, record.segments});
}

void AgentStream::handle(const wire::ModuleUnloadMessage& unload) {
  auto it = modules_.find(unload.id);
  if (it == modules_.end()) return;  // never loaded: nothing to unload
  session_.records_of(process_).module_unload(ModuleId(it->second));
  native_frames_.module_unloaded(it->second);
}

void AgentStream::handle(const wire::EpochMessage& epoch) { merger_.set_epoch_time(epoch.epoch, epoch.monotonic_ns); }

void AgentStream::handle(const wire::SealMessage& seal) {
  merger_.seal(seal.epoch);
  end_finished_threads();
  if (last_event_ns_ >= last_counters_ns_ + session_.counter_interval_ns()) write_counters();
}

void AgentStream::handle(const wire::DropsMessage& drops) {
  uint64_t& reported = drops_by_thread_[drops.thread_index];
  if (drops.total <= reported) return;
  uint64_t delta = drops.total - reported;
  reported = drops.total;
  totals_.dropped_events += delta;
  uint32_t thread = drops.thread_index == 0 ? 0 : capture_thread(drops.thread_index);
  session_.records_of(process_).dropped({ThreadIndex(thread), delta});
}

void AgentStream::handle(const wire::GoodbyeMessage& goodbye) {
  totals_.stacks_lost = goodbye.stacks_lost;
  goodbye_reason_ = goodbye.reason;
  said_goodbye_ = true;
}

void AgentStream::handle(const wire::HeapMessage& heap) {
  // Twice could flip a heap between blocks and ranges under its live blocks.
  uint32_t id = heap.id.value();
  if (declared_heaps_.test(id)) wire::protocol_error("heap " + std::to_string(id) + " declared twice");
  declared_heaps_.set(id);
  live_.set_range_heap(heap.id, (heap.flags & capture::kHeapFlagRanges) != 0);
  heaps_[id] = session_.heap_named(std::string(heap.name), heap.flags);
  if (heap.name == "python") python_heap_ = id;
}

void AgentStream::handle(const wire::PythonCodeMessage& code) {
  capture::PythonCodeRecord record;
  record.id = capture_code(code.id);
  record.filename = session_.intern(std::string(code.filename));
  record.name = session_.intern(std::string(code.name));
  record.first_line = code.first_line;
  session_.records_of(process_).python_code(record);
}

void AgentStream::handle(const wire::NoteMessage& note) {
  capture::NoteRecord record{note.severity, std::string(note.text)};
  session_.records_of(process_).note(record);
  session_.tell_note(record);
}

void AgentStream::handle(const wire::AllocatorStatsMessage& stats) { allocator_ = stats; }

void AgentStream::handle(const wire::PythonTypesMessage& census) {
  capture::PythonTypesRecord record;
  record.types.reserve(census.types.size());
  for (const auto& [name, count] : census.types) record.types.emplace_back(session_.intern(std::string(name)), count);
  session_.records_of(process_).python_types(record);
}

std::vector<wire::WireKeptBySample> AgentStream::kept_by_query() {
  constexpr size_t kStacks = 16;
  constexpr size_t kSamplesPerStack = wire::kMaxKeptBySamples / kStacks;
  std::vector<wire::WireKeptBySample> samples;
  if (python_heap_ == UINT32_MAX) return samples;
  // What grew in the second half is what keeps growing: a leak, not the
  // imports of the program's start.
  uint64_t second_half = first_event_ns_ + (last_event_ns_ - first_event_ns_) / 2;
  struct Growth {
    uint64_t bytes = 0;
    std::vector<std::pair<uint64_t, uint64_t>> blocks;  // address, size
  };
  std::unordered_map<uint32_t, Growth> by_stack;
  live_.for_each([&](HeapId heap, uint64_t address, const analyze::LiveBlock& block) {
    if (heap.value() != python_heap_ || block.time < second_half || block.stack.value() == 0) return;
    Growth& growth = by_stack[block.stack.value()];
    growth.bytes += block.size;
    if (growth.blocks.size() < kSamplesPerStack) growth.blocks.emplace_back(address, block.size);
  });
  std::vector<std::pair<uint64_t, uint32_t>> ranked;  // bytes, stack
  for (const auto& [stack, growth] : by_stack) ranked.emplace_back(growth.bytes, stack);
  std::sort(ranked.rbegin(), ranked.rend());
  if (ranked.size() > kStacks) ranked.resize(kStacks);
  kept_by_stacks_.clear();
  for (const auto& [bytes, stack] : ranked) {
    for (const auto& [address, size] : by_stack[stack].blocks) {
      samples.push_back({address, size, static_cast<uint32_t>(kept_by_stacks_.size()), 0});
      kept_by_stacks_.push_back(stack);
    }
  }
  return samples;
}

void AgentStream::handle(const wire::KeptByMessage& kept) {
  kept_by_answered_ = true;
  // The stacks of the blocks holding each holder and item array: one pass
  // over the live blocks.
  std::vector<uint64_t> wanted;
  for (const wire::KeptByAnswer& answer : kept.answers) {
    if (answer.holder != 0) wanted.push_back(answer.holder);
    if (answer.items != 0) wanted.push_back(answer.items);
  }
  std::sort(wanted.begin(), wanted.end());
  std::unordered_map<uint64_t, uint32_t> stack_at;
  live_.for_each([&](HeapId, uint64_t address, const analyze::LiveBlock& block) {
    for (auto it = std::lower_bound(wanted.begin(), wanted.end(), address);
         it != wanted.end() && *it - address < std::max<uint64_t>(block.size, 1); ++it) {
      stack_at.emplace(*it, block.stack.value());
    }
  });
  auto stack_of = [&](uint64_t address) {
    auto found = address != 0 ? stack_at.find(address) : stack_at.end();
    return StackId(found != stack_at.end() ? found->second : 0);
  };
  std::set<std::pair<uint32_t, std::string_view>> written;  // samples of one stack often share their chain
  for (const wire::KeptByAnswer& answer : kept.answers) {
    if (answer.tag >= kept_by_stacks_.size()) continue;  // asked of another query
    if (!written.emplace(kept_by_stacks_[answer.tag], answer.chain).second) continue;
    capture::KeptByRecord record;
    record.stack = StackId(kept_by_stacks_[answer.tag]);
    record.chain = session_.intern(std::string(answer.chain));
    record.holder_stack = stack_of(answer.holder);
    record.items_stack = stack_of(answer.items);
    session_.records_of(process_).kept_by(record);
  }
}

uint32_t AgentStream::capture_thread(uint32_t agent_thread) {
  // Events come in runs of one thread: one lookup a run.
  if (agent_thread == last_agent_thread_) return last_capture_thread_;
  auto [it, inserted] = threads_.try_emplace(agent_thread, 0);
  if (inserted) it->second = session_.new_thread();
  last_agent_thread_ = agent_thread;
  last_capture_thread_ = it->second;
  return it->second;
}

uint32_t AgentStream::capture_node(uint32_t agent_node) const {
  // A node the agent never sent counts as no stack.
  return agent_node < nodes_.size() ? nodes_[agent_node] : 0;
}

uint32_t AgentStream::capture_code(uint32_t agent_code) {
  // A frame may name a code object before its PythonCode message: the id is
  // given at the first sight of either.
  auto [it, inserted] = codes_.try_emplace(agent_code, 0);
  if (inserted) it->second = session_.new_code();
  return it->second;
}

uint64_t AgentStream::capture_frame(uint64_t agent_frame) {
  if (!capture::is_python_frame(agent_frame)) return agent_frame;
  uint64_t code = capture_code(capture::python_code_id(agent_frame));
  return capture::kFrameKindMask | (code << 32) | capture::python_line(agent_frame);
}

uint32_t AgentStream::capture_heap(uint8_t agent_heap) {
  uint32_t& id = heaps_[agent_heap];
  // A heap used before its declaration: one of its own, named when declared.
  if (id == UINT32_MAX) id = session_.heap_named("", 0);
  return id;
}

void AgentStream::write_counters() {
  last_counters_ns_ = last_event_ns_;
  capture::CountersRecord counters;
  counters.rss_bytes = resident_bytes(pid_);
  for (const auto& [heap, bytes] : live_.live_bytes_by_heap()) {
    counters.live_bytes.emplace_back(HeapId(capture_heap(static_cast<uint8_t>(heap.value()))), bytes);
  }
  capture::RecordEncoder& records = session_.records_of(process_);
  if (allocator_) records.allocator(*allocator_);  // first: a reader takes both at the Counters
  records.counters(counters);
}

void AgentStream::on_merged_event(uint32_t thread, const wire::RawEvent& raw, uint64_t monotonic_ns) {
  last_event_ns_ = monotonic_ns;
  if (first_event_ns_ == 0) first_event_ns_ = monotonic_ns;
  capture::RecordEncoder& records = session_.event_records_of(process_, capture_thread(thread), monotonic_ns);
  if (raw.kind == wire::kExitMark) {
    // One is what the agent sends; another is ignored, so that the teardown
    // begins where the first said.
    if (!exit_marked_) records.exit({static_cast<capture::ExitCause>(raw.size)});
    exit_marked_ = true;
    return;
  }
  capture::EventRecord event;
  event.kind = static_cast<EventKind>(raw.kind);
  event.heap = HeapId(capture_heap(raw.heap));
  event.stack = StackId(capture_node(raw.stack));
  event.size = raw.size;
  event.address = raw.address;
  live_.apply({event.kind, HeapId(raw.heap), event.stack, event.size, event.address}, monotonic_ns);
  records.event(event);
  ++totals_.events_by_kind[raw.kind];  // the decoder passed only kinds 0..4 (marks stay in the merger)
  session_.maybe_flush();
}

bool AgentStream::is_live(uint8_t heap, uint64_t address) const { return live_.is_live(HeapId(heap), address); }

void AgentStream::finish() {
  if (finished_) return;
  finished_ = true;
  merger_.seal(UINT64_MAX);
  ending_threads_.clear();
  write_counters();
}

void AgentStream::add_totals(capture::Trailer& trailer) const {
  for (size_t kind = 0; kind < 5; ++kind) trailer.events_by_kind[kind] += totals_.events_by_kind[kind];
  trailer.dropped_events += totals_.dropped_events;
  trailer.stacks_lost += totals_.stacks_lost;
  trailer.late_events += merger_.late_events();
  trailer.forced_orders += merger_.forced_orders();
  trailer.unknown_frees += live_.unknown_releases();
  trailer.implicit_frees += live_.implicit_frees();
}

StreamStats AgentStream::stats() const {
  StreamStats stats;
  stats.dropped = totals_.dropped_events;
  stats.live_blocks = live_.live_blocks();
  for (const auto& [heap, bytes] : live_.live_bytes_by_heap()) {
    stats.live_bytes += bytes;
    if (heap.value() < heaps_.size() && heaps_[heap.value()] != UINT32_MAX) {
      stats.live_bytes_by_heap[heaps_[heap.value()]] += bytes;
    }
  }
  stats.exit_marked = exit_marked_;
  stats.said_goodbye = said_goodbye_;
  stats.goodbye_reason = goodbye_reason_;
  return stats;
}

}  // namespace leakspy::recorder
