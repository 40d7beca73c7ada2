#include "analyze/capture_model.h"

#include <algorithm>
#include <array>
#include <exception>
#include <thread>
#include <unordered_map>

#include "analyze/event_pipe.h"
#include "analyze/event_replay.h"

namespace leakspy::analyze {

namespace {

// Reads records into the model's tables (strings, modules, symbols, nodes,
// notes) and hands the events of the counted heaps, with their times, to an
// EventReplay: through an EventPipe to a second thread when there is a
// second core, else directly.
class ModelReader : public capture::RecordVisitor {
 public:
  ModelReader(CaptureModel& model, EventReplay& replay, EventPipe* pipe, ReadBudget& budget)
      : model_(model), replay_(replay), pipe_(pipe), budget_(budget) {
    if (model.heaps.text() == "all") selected_.fill(true);
    processes_[0].selected = selects_pid(model.header.pid);  // a version 1 capture's one process
    // The well-known heaps, in case a capture does not declare them.
    declare_heap(capture::kHeapMalloc, "malloc", false);
    declare_heap(capture::kHeapMmap, "mmap", true);
    resize_nodes(1024);
  }

  // Each table record is charged about what it takes once stored (its
  // fields, its heap-allocated parts, a map node), so that a stream of tiny
  // records costs as much as it weighs.
  void on_string(StringId id, std::string_view text) {
    // Four times the std::string: the table doubles, and holds the old and
    // the new array while it moves them.
    budget_.charge_tables(4 * sizeof(std::string) + text.size());
    model_.symbols.add_string(id, text);
  }
  void on_module(const capture::ModuleRecord& module) {
    budget_.charge_tables(sizeof(module) + kMapNodeBytes + module.build_id.size() +
                          module.segments.size() * sizeof(capture::Segment));
    model_.symbols.add_module(module, scope_);
  }
  void on_symbol(const capture::SymbolRecord& symbol) {
    budget_.charge_tables(sizeof(symbol) + kMapNodeBytes + symbol.frames.size() * sizeof(capture::SymbolFrame));
    model_.symbols.add_symbol(symbol, scope_);
  }
  // The records that follow belong to this process (capture/records.h).
  // Only a declared process can be one: a scope beyond them is damage.
  void on_scope(uint32_t process) { scope_ = process < processes_.size() ? process : 0; }
  void on_process(const capture::ProcessRecord& process) {
    // Indices are dense from 0: any other is damage, and is ignored.
    if (process.index != model_.processes.size()) return;
    ProcessInfo info;
    info.pid = process.pid;
    info.parent = process.parent <= process.index ? process.parent : 0;
    info.origin = process.origin;
    info.executable = model_.symbols.text(process.executable);
    for (StringId argument : process.command_line) info.command_line.push_back(model_.symbols.text(argument));
    info.start_time = time_;
    budget_.charge_tables(sizeof(info) + kMapNodeBytes + info.executable.size() +
                          info.command_line.size() * sizeof(std::string));
    model_.processes.push_back(std::move(info));
    processes_.resize(std::max(processes_.size(), model_.processes.size()));
    processes_[process.index].selected = selects_pid(process.pid);
  }
  void on_process_end(const capture::ProcessEndRecord& end) {
    if (end.index >= model_.processes.size() || model_.processes[end.index].end) return;
    model_.processes[end.index].end = end;
    model_.processes[end.index].end_time = time_;
    processes_[end.index].ended = true;
  }
  void on_thread(const capture::ThreadRecord& thread) {
    budget_.charge_tables(kMapNodeBytes);
    thread_processes_[thread.index.value()] = scope_;
  }
  void on_switch(ThreadIndex thread) {
    auto found = thread_processes_.find(thread.value());
    event_process_ = found != thread_processes_.end() ? found->second : 0;
  }
  void on_python_code(const capture::PythonCodeRecord& code) {
    budget_.charge_tables(sizeof(code) + kMapNodeBytes);
    model_.symbols.add_python_code(code);
  }
  void on_note(const capture::NoteRecord& note) {
    budget_.charge_tables(sizeof(note) + note.text.size());
    model_.notes.push_back(note);
  }
  void on_heap(const capture::HeapRecord& heap) {
    declare_heap(heap.id.value(), model_.symbols.text(heap.name), heap.ranges());
  }
  void on_node(const capture::NodeRecord& node) {
    uint32_t id = node.id.value();
    // The agent hands out node ids densely from 1 and sends a node before
    // the events and children that use it: an id far beyond the number of
    // Node records so far is damage, and must not size the tables.
    if (id > 2 * ++node_records_ + (1u << 16)) return;
    std::vector<TraceNode>& nodes = model_.nodes;
    if (id >= nodes.size()) resize_nodes(std::max<size_t>(static_cast<size_t>(id) + 1, nodes.size() * 2));
    TraceNode& slot = nodes[id];
    if (slot.defined || id == 0) return;  // the first definition wins, so no cycle can form
    uint32_t parent = node.parent.value();
    // A parent is defined before its children; one that is not is unknown:
    // hang the node off the root rather than trust a damaged edge.
    if (parent >= nodes.size() || (parent != 0 && !nodes[parent].defined)) parent = 0;
    slot = {StackId(parent), scope_, node.frame, true};
    model_.node_order.push_back(id);
  }
  void on_time(uint64_t units) { time_ = units; }
  void on_allocator(const capture::AllocatorRecord& allocator) { processes_[scope_].allocator = allocator; }
  void on_kept_by(const capture::KeptByRecord& kept) {
    if (!processes_[scope_].selected) return;
    auto valid = [&](StackId stack) { return stack.value() < model_.nodes.size() ? stack : StackId(0); };
    KeptBy entry{scope_, valid(kept.stack), model_.symbols.text(kept.chain), valid(kept.holder_stack),
                 valid(kept.items_stack)};
    budget_.charge_tables(sizeof(entry) + entry.chain.size());
    model_.kept_by.push_back(std::move(entry));
  }
  void on_python_types(const capture::PythonTypesRecord& census) {
    if (!processes_[scope_].selected) return;
    budget_.charge_tables(sizeof(TypeCensus) + census.types.size() * (sizeof(std::pair<uint32_t, uint64_t>)));
    TypeCensus entry{time_, scope_, {}};
    entry.counts.reserve(census.types.size());
    for (const auto& [name, count] : census.types) {
      // By text: a capture may give one name several string ids.
      const std::string& text = model_.symbols.text(name);
      auto [it, inserted] = type_indexes_.try_emplace(text, static_cast<uint32_t>(model_.type_names.size()));
      if (inserted) {
        model_.type_names.push_back(text);
        budget_.charge_tables(2 * (sizeof(std::string) + text.size()) + kMapNodeBytes);
      }
      entry.counts.emplace_back(it->second, count);
    }
    model_.type_censuses.push_back(std::move(entry));
  }
  void on_counters(const capture::CountersRecord& counters) {
    budget_.charge_tables(sizeof(RssSample));
    ProcessState& state = processes_[scope_];
    state.memory.time = time_;
    state.memory.bytes = counters.rss_bytes;
    state.memory.malloc_live_bytes = 0;
    state.memory.mmap_live_bytes = 0;
    for (const auto& [heap, bytes] : counters.live_bytes) {
      if (heap.value() == capture::kHeapMalloc) state.memory.malloc_live_bytes = bytes;
      if (heap.value() == capture::kHeapMmap) state.memory.mmap_live_bytes = bytes;
    }
    // The processes' resident sets add up: each one's latest, while it runs.
    RssSample sum;
    sum.time = time_;
    sum.has_allocator = true;
    bool any = false;
    for (const ProcessState& process : processes_) {
      if (process.ended || !process.selected || process.memory.time == kNoSample) continue;
      any = true;
      sum.bytes += process.memory.bytes;
      sum.malloc_live_bytes += process.memory.malloc_live_bytes;
      sum.mmap_live_bytes += process.memory.mmap_live_bytes;
      if (!process.allocator) {
        sum.has_allocator = false;
        continue;
      }
      const capture::AllocatorRecord& allocator = *process.allocator;
      sum.allocator.kind = allocator.kind;
      sum.allocator.heap_bytes += allocator.heap_bytes;
      sum.allocator.in_use_bytes += allocator.in_use_bytes;
      sum.allocator.free_bytes += allocator.free_bytes;
      sum.allocator.mmapped_bytes += allocator.mmapped_bytes;
      sum.allocator.releasable_bytes += allocator.releasable_bytes;
    }
    sum.has_allocator = sum.has_allocator && any;
    model_.rss.push_back(sum);
  }
  void on_dropped(const capture::DroppedRecord& dropped) { dropped_ += dropped.count; }
  void on_trailer(const capture::Trailer& trailer) { model_.trailer = trailer; }

  // Each process's events end at its exit. The model's exit is the exit of
  // the process the reports are about: the target's (the latest, since an
  // exec chain's last program is the one that exits), or the one --process
  // chose. A worker's exit ends the worker's life, not the recording's.
  void on_exit(const capture::ExitRecord& exit) {
    ProcessState& process = processes_[scope_];
    if (process.exited) return;  // the first of a process counts
    process.exited = true;
    if (!is_reported_process(scope_)) return;
    model_.exit = CaptureModel::Exit{time_, exit.cause, 0};
  }

  void on_event(const capture::EventRecord& event) {
    ++events_;
    if (processes_[event_process_].exited) {  // the program's teardown: not part of its life
      ++processes_[event_process_].teardown_events;
      return;
    }
    uint32_t heap = event.heap.value();
    if (heap >= capture::kMaxHeaps) return;
    gpu_levels_.on_event(heap, event.kind, event.address, event.size);
    if (!selected_[heap] || !processes_[event_process_].selected) return;
    ++counted_events_;
    QueuedEvent queued;
    // Processes have address spaces of their own: the same address in two
    // is two blocks. Keyed above the 48 bits of a user-space address.
    queued.address = event.address | (static_cast<uint64_t>(event_process_) << 48);
    queued.size = event.size;
    queued.time = time_;
    // A stack no Node record could have defined (damage) counts as no stack.
    queued.stack = event.stack.value() < model_.nodes.size() ? event.stack.value() : 0;
    queued.heap = static_cast<uint8_t>(heap);
    queued.kind = static_cast<uint8_t>(event.kind);
    send(queued);
  }

  // Hands over what is still batched; the model's own fields are complete.
  void finish() {
    if (model_.processes.empty()) {  // format version 1: one process, the header's
      ProcessInfo only;
      only.pid = model_.header.pid;
      only.executable = model_.header.executable;
      only.command_line = model_.header.command_line;
      model_.processes.push_back(std::move(only));
    }
    if (batch_ != nullptr && !batch_->empty()) {
      pipe_->push_full(batch_);
      batch_ = nullptr;
    }
    if (model_.exit) {
      for (uint32_t index = 0; index < processes_.size(); ++index) {
        if (is_reported_process(index)) model_.exit->teardown_events += processes_[index].teardown_events;
      }
    }
    model_.end_time = model_.exit ? model_.exit->time : std::max(time_, model_.trailer ? model_.trailer->end_time : 0);
    model_.events = events_;
    model_.counted_events = counted_events_;
    model_.dropped_events = std::max(dropped_, model_.trailer ? model_.trailer->dropped_events : 0);
    model_.heap_names.assign(heap_names_.begin(), heap_names_.end());
    for (uint32_t heap = 0; heap < capture::kMaxHeaps; ++heap) {
      if (heap_names_[heap].empty()) continue;
      model_.declared_heaps.push_back(heap_names_[heap]);
      if (selected_[heap]) model_.counted_heaps.push_back(heap_names_[heap]);
    }
    model_.gpu_levels = gpu_levels_.levels();
  }

 private:
  static constexpr uint64_t kMapNodeBytes = ReadBudget::kMapNodeBytes;
  static constexpr uint64_t kNoSample = UINT64_MAX;
  static RssSample unsampled() {
    RssSample sample;
    sample.time = kNoSample;
    return sample;
  }
  // What one stack id costs across the model and the replay: its node, its
  // totals, its location span, its replay counters.
  static constexpr uint64_t kNodeSlotBytes =
      sizeof(TraceNode) + sizeof(StackTotals) + 2 * sizeof(uint32_t) + EventReplay::kStackBytes;

  bool selects_pid(uint32_t pid) const { return model_.selected_pid == 0 || pid == model_.selected_pid; }
  // Whether process `index` is (an image of) the one whose exit ends the
  // reports' window: the chosen one, else the target.
  bool is_reported_process(uint32_t index) const {
    uint32_t pid = index < model_.processes.size() ? model_.processes[index].pid : model_.header.pid;
    uint32_t target = model_.processes.empty() ? model_.header.pid : model_.processes[0].pid;
    return pid == (model_.selected_pid != 0 ? model_.selected_pid : target);
  }
  void resize_nodes(size_t size) {
    budget_.charge_tables((size - model_.nodes.size()) * kNodeSlotBytes);
    model_.nodes.resize(size);
  }
  void send(const QueuedEvent& queued) {
    if (pipe_ == nullptr) {
      replay_.apply(queued);
      return;
    }
    if (batch_ == nullptr) batch_ = pipe_->take_empty();
    batch_->push_back(queued);
    if (batch_->size() == EventPipe::kBatchEvents) {
      pipe_->push_full(batch_);
      batch_ = nullptr;
    }
  }
  void declare_heap(uint32_t heap, const std::string& name, bool ranges) {
    if (heap >= capture::kMaxHeaps) return;
    heap_names_[heap] = name;
    if (model_.heaps.selects(name)) selected_[heap] = true;
    gpu_levels_.declare(heap, name);
    QueuedEvent declaration;
    declaration.heap = static_cast<uint8_t>(heap);
    declaration.kind = QueuedEvent::kDeclareHeap;
    declaration.ranges = ranges;
    send(declaration);  // in stream order: it changes how later events replay
  }

  CaptureModel& model_;
  EventReplay& replay_;
  EventPipe* pipe_;
  EventPipe::Batch* batch_ = nullptr;
  ReadBudget& budget_;
  std::array<bool, capture::kMaxHeaps> selected_{};
  GpuLevelTally gpu_levels_;
  std::array<std::string, capture::kMaxHeaps> heap_names_{};
  uint64_t time_ = 0;
  uint64_t events_ = 0;
  uint64_t counted_events_ = 0;
  uint64_t dropped_ = 0;
  uint32_t node_records_ = 0;
  struct ProcessState {
    bool exited = false;  // its Exit record came: its events are teardown
    bool ended = false;
    bool selected = true;  // its events count (--process)
    RssSample memory = unsampled();  // its latest Counters (time: kNoSample before the first)
    std::optional<capture::AllocatorRecord> allocator;  // its latest Allocator record
    uint64_t teardown_events = 0;
  };
  // By process index; one before any Process record (a version 1 capture).
  std::vector<ProcessState> processes_ = std::vector<ProcessState>(1);
  std::unordered_map<uint32_t, uint32_t> thread_processes_;
  std::unordered_map<std::string, uint32_t> type_indexes_;  // type name -> index into model.type_names
  uint32_t scope_ = 0;
  uint32_t event_process_ = 0;
};

// The replaying thread: drains the pipe until it is closed. It keeps draining
// after a failure, so that the reading thread never waits on it forever.
class ReplayThread {
 public:
  ReplayThread(EventReplay& replay, EventPipe& pipe)
      : pipe_(pipe), thread_([this, &replay] {
          while (EventPipe::Batch* batch = pipe_.take_full()) {
            try {
              if (!failure_) {
                for (const QueuedEvent& queued : *batch) replay.apply(queued);
              }
            } catch (...) {
              failure_ = std::current_exception();
            }
            pipe_.give_back(batch);
          }
        }) {}
  // Closes the pipe and waits: on every path, including a reader's exception.
  ~ReplayThread() { join(); }
  void join() {
    if (!thread_.joinable()) return;
    pipe_.close();
    thread_.join();
  }
  // Rethrows what the replay threw (after join()).
  void rethrow() const {
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  EventPipe& pipe_;
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace

void CaptureModel::resolve_node_locations() {
  node_chains_.assign(nodes.size(), Span{});
  chain_locations_.clear();
  for (size_t id = 1; id < nodes.size(); ++id) {
    Span& span = node_chains_[id];
    span.begin = static_cast<uint32_t>(chain_locations_.size());
    if (!nodes[id].defined) {
      chain_locations_.push_back(SymbolTable::kNoStack);
    } else {
      std::span<const LocationId> chain = symbols.frame_locations(nodes[id].frame, nodes[id].process);
      chain_locations_.insert(chain_locations_.end(), chain.begin(), chain.end());
    }
    span.count = static_cast<uint32_t>(chain_locations_.size()) - span.begin;
  }
}

CaptureModel read_capture_model(const std::string& path, const EventSelection& selection,
                                const capture::ProgressCallback& progress, bool replay_thread,
                                const SlicePlan& slices, uint64_t memory_limit) {
  CaptureModel model;
  model.heaps = selection.heaps;
  model.selected_pid = selection.pid;
  capture::CaptureReader reader(path);
  model.header = reader.header();
  ReadBudget budget(path, memory_limit != 0 ? memory_limit : ReadBudget::default_limit(reader.file_bytes()));
  EventReplay replay;
  replay.set_budget(&budget);
  if (slices.enabled()) replay.enable_slices(slices, model.header.time_unit_ns);
  {
    // A second core replays while this one decompresses and decodes.
    bool two_threads = replay_thread && std::thread::hardware_concurrency() >= 2;
    EventPipe pipe;
    std::optional<ReplayThread> replayer;
    if (two_threads) replayer.emplace(replay, pipe);
    ModelReader model_reader(model, replay, two_threads ? &pipe : nullptr, budget);
    model.read = reader.read(model_reader, [&](uint64_t done, uint64_t total) {
      budget.set_buffers(reader.buffer_bytes());  // after each chunk
      if (progress) progress(done, total);
    });
    model_reader.finish();
    if (replayer) {
      replayer->join();
      replayer->rethrow();
    }
  }
  replay.finish(model.nodes.size(), &model.stacks, &model.totals, &model.peak_time);
  if (slices.enabled()) model.slices = replay.finish_slices(model.end_time);
  model.nodes.resize(model.stacks.size());  // events may name stacks no Node record defined
  model.unknown_frees = replay.unknown_frees();
  model.implicit_frees = replay.implicit_frees();
  model.resolve_node_locations();
  return model;
}

}  // namespace leakspy::analyze
