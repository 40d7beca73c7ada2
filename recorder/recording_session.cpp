#include "recorder/recording_session.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "common/error.h"

namespace leakspy::recorder {

namespace {

using capture::EventKind;

uint64_t clock_ns(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
}

[[noreturn]] void protocol_error(const std::string& what) {
  throw Error(ErrorKind::AgentFailed, "the agent sent a malformed message (" + what + ")");
}

template <typename T>
T read_struct(const uint8_t* payload, size_t length, const char* what) {
  if (length < sizeof(T)) protocol_error(what);
  T value;
  std::memcpy(&value, payload, sizeof(T));
  return value;
}

uint64_t read_rss_bytes(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/statm", pid);
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  char text[128] = {};
  if (::read(fd.get(), text, sizeof(text) - 1) <= 0) return 0;
  unsigned long long size = 0;
  unsigned long long resident = 0;
  if (std::sscanf(text, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

capture::CaptureHeader RecordingSession::make_header(const SessionOptions& options) {
  capture::CaptureHeader header;
  header.pid = static_cast<uint32_t>(options.pid);
  header.start_unix_ns = clock_ns(CLOCK_REALTIME);
  header.start_monotonic_ns = clock_ns(CLOCK_MONOTONIC);
  header.time_unit_ns = 1000;
  header.flags = options.attached ? capture::kFlagAttachedMidRun : 0;
  header.command_line = options.command_line;
  header.executable = options.executable;
  utsname name{};
  if (uname(&name) == 0) header.hostname = name.nodename;
  header.leakspy_version = LEAKSPY_VERSION;
  header.page_size = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
  return header;
}

RecordingSession::RecordingSession(SessionOptions options)
    : options_(std::move(options)),
      target_root_(::open(("/proc/" + std::to_string(options_.pid) + "/root").c_str(),
                          O_PATH | O_DIRECTORY | O_CLOEXEC)),
      header_(make_header(options_)),
      writer_(options_.output_file ? std::move(options_.output_file) : capture::open_capture_file(options_.output_path),
              options_.output_path, header_),
      merger_(*this) {
  writer_.records().heap({HeapId(capture::kHeapMalloc), intern("malloc"), 0});
  writer_.records().heap({HeapId(capture::kHeapMmap), intern("mmap"), capture::kHeapFlagRanges});
}

StringId RecordingSession::intern(const std::string& text) {
  if (text.empty()) return StringId(0);
  auto [it, inserted] = strings_.try_emplace(text, StringId(next_string_));
  if (inserted) {
    ++next_string_;
    writer_.records().string(text);
  }
  return it->second;
}

uint64_t RecordingSession::to_units(uint64_t monotonic_ns) {
  // Events come in runs with the same epoch time: divide once per run.
  if (monotonic_ns == last_converted_ns_) return last_converted_units_;
  last_converted_ns_ = monotonic_ns;
  last_converted_units_ =
      monotonic_ns <= header_.start_monotonic_ns ? 0 : (monotonic_ns - header_.start_monotonic_ns) / header_.time_unit_ns;
  return last_converted_units_;
}

void RecordingSession::on_message(wire::MessageType type, const uint8_t* payload, size_t length) {
  using wire::MessageType;
  if (!said_hello_ && type != MessageType::Hello) protocol_error("no hello");
  switch (type) {
    case MessageType::Hello: on_hello(payload, length); break;
    case MessageType::Events: on_events(payload, length); break;
    case MessageType::Nodes: on_nodes(payload, length); break;
    case MessageType::Thread: on_thread(payload, length); break;
    case MessageType::ThreadEnd: on_thread_end(payload, length); break;
    case MessageType::Module: on_module(payload, length); break;
    case MessageType::ModuleUnload: on_module_unload(payload, length); break;
    case MessageType::Epoch: {
      auto epoch = read_struct<wire::WireEpoch>(payload, length, "epoch");
      merger_.set_epoch_time(epoch.epoch, epoch.monotonic_ns);
      break;
    }
    case MessageType::Seal: on_seal(read_struct<wire::WireSeal>(payload, length, "seal").epoch); break;
    case MessageType::Drops: on_drops(payload, length); break;
    case MessageType::Goodbye: {
      auto goodbye = read_struct<wire::WireGoodbye>(payload, length, "goodbye");
      trailer_.stacks_lost = goodbye.stacks_lost;
      goodbye_reason_ = static_cast<wire::GoodbyeReason>(goodbye.reason);
      said_goodbye_ = true;
      break;
    }
    case MessageType::Heap: on_heap(payload, length); break;
    case MessageType::PythonCode: on_python_code(payload, length); break;
    case MessageType::Note: on_note(payload, length); break;
    case MessageType::Stop:
    case MessageType::Configure: protocol_error("a message meant for the agent");
  }
  writer_.maybe_flush();
}

void RecordingSession::on_hello(const uint8_t* payload, size_t length) {
  auto hello = read_struct<wire::Hello>(payload, length, "hello");
  if (hello.wire_version != wire::kWireVersion) {
    throw Error(ErrorKind::AgentFailed, "the agent speaks protocol version " + std::to_string(hello.wire_version) +
                                            ", this leakspy version " + std::to_string(wire::kWireVersion) +
                                            ": the agent library and the leakspy binary come from different builds");
  }
  said_hello_ = true;
}

void RecordingSession::on_events(const uint8_t* payload, size_t length) {
  auto header = read_struct<wire::EventsHeader>(payload, length, "events");
  if (length != sizeof(header) + static_cast<size_t>(header.count) * sizeof(wire::RawEvent)) {
    protocol_error("events length");
  }
  // The payload buffer is reused for the next read; the merger copies.
  const auto* events = reinterpret_cast<const wire::RawEvent*>(payload + sizeof(header));
  merger_.add(header.thread_index, events, header.count);
}

void RecordingSession::on_nodes(const uint8_t* payload, size_t length) {
  auto header = read_struct<wire::NodesHeader>(payload, length, "nodes");
  if (length != sizeof(header) + static_cast<size_t>(header.count) * sizeof(wire::WireNode)) {
    protocol_error("nodes length");
  }
  for (uint32_t i = 0; i < header.count; ++i) {
    wire::WireNode node;
    std::memcpy(&node, payload + sizeof(header) + i * sizeof(node), sizeof(node));
    writer_.records().node({StackId(node.id), StackId(node.parent), node.frame});
    native_frames_.frame_seen(node.frame);
  }
}

void RecordingSession::on_thread(const uint8_t* payload, size_t length) {
  auto thread = read_struct<wire::WireThread>(payload, length, "thread");
  std::string name(thread.name, strnlen(thread.name, sizeof(thread.name)));
  writer_.records().thread({ThreadIndex(thread.index), thread.tid, intern(name)});
}

void RecordingSession::on_thread_end(const uint8_t* payload, size_t length) {
  auto end = read_struct<wire::WireThreadEnd>(payload, length, "thread end");
  ending_threads_.insert(end.index);
  end_finished_threads();
}

void RecordingSession::end_finished_threads() {
  for (auto it = ending_threads_.begin(); it != ending_threads_.end();) {
    if (merger_.has_pending(*it)) {
      ++it;
      continue;
    }
    writer_.records().thread_end(ThreadIndex(*it));
    it = ending_threads_.erase(it);
  }
}

void RecordingSession::on_module(const uint8_t* payload, size_t length) {
  auto module = read_struct<wire::WireModule>(payload, length, "module");
  size_t needed = sizeof(module) + module.path_length + module.build_id_length +
                  static_cast<size_t>(module.segment_count) * sizeof(wire::WireSegment);
  if (length != needed) protocol_error("module length");
  const char* path = reinterpret_cast<const char*>(payload + sizeof(module));
  capture::ModuleRecord record;
  record.id = ModuleId(module.id);
  record.path = intern(std::string(path, module.path_length));
  record.build_id.assign(path + module.path_length, module.build_id_length);
  record.load_bias = module.load_bias;
  const uint8_t* segments = payload + sizeof(module) + module.path_length + module.build_id_length;
  for (uint32_t i = 0; i < module.segment_count; ++i) {
    wire::WireSegment segment;
    std::memcpy(&segment, segments + i * sizeof(segment), sizeof(segment));
    record.segments.push_back({segment.vaddr, segment.memsz, static_cast<uint8_t>(segment.flags)});
  }
  writer_.records().module(record);
  native_frames_.module_loaded({module.id, std::string(path, module.path_length), record.build_id, record.load_bias,
                                record.segments});
}

void RecordingSession::on_heap(const uint8_t* payload, size_t length) {
  auto heap = read_struct<wire::WireHeap>(payload, length, "heap");
  if (length != sizeof(heap) + heap.name_length || heap.id >= capture::kMaxHeaps) protocol_error("heap");
  std::string name(reinterpret_cast<const char*>(payload + sizeof(heap)), heap.name_length);
  live_.set_range_heap(HeapId(heap.id), (heap.flags & capture::kHeapFlagRanges) != 0);
  writer_.records().heap({HeapId(heap.id), intern(name), heap.flags});
}

void RecordingSession::on_python_code(const uint8_t* payload, size_t length) {
  auto code = read_struct<wire::WirePythonCode>(payload, length, "python code");
  if (length != sizeof(code) + code.filename_length + code.name_length) protocol_error("python code length");
  const char* text = reinterpret_cast<const char*>(payload + sizeof(code));
  capture::PythonCodeRecord record;
  record.id = code.id;
  record.filename = intern(std::string(text, code.filename_length));
  record.name = intern(std::string(text + code.filename_length, code.name_length));
  record.first_line = code.first_line;
  writer_.records().python_code(record);
}

void RecordingSession::on_note(const uint8_t* payload, size_t length) {
  auto note = read_struct<wire::WireNote>(payload, length, "note");
  if (length != sizeof(note) + note.length || note.severity > 1) protocol_error("note");
  capture::NoteRecord record;
  record.severity = static_cast<capture::NoteSeverity>(note.severity);
  record.text.assign(reinterpret_cast<const char*>(payload + sizeof(note)), note.length);
  writer_.records().note(record);
  if (options_.on_note) options_.on_note(record);
}

void RecordingSession::on_module_unload(const uint8_t* payload, size_t length) {
  uint32_t id = read_struct<wire::WireModuleUnload>(payload, length, "unload").id;
  writer_.records().module_unload(ModuleId(id));
  native_frames_.module_unloaded(id);
}

void RecordingSession::on_drops(const uint8_t* payload, size_t length) {
  auto drops = read_struct<wire::WireDrops>(payload, length, "drops");
  uint64_t& reported = drops_by_thread_[drops.thread_index];
  if (drops.total <= reported) return;
  uint64_t delta = drops.total - reported;
  reported = drops.total;
  trailer_.dropped_events += delta;
  writer_.records().dropped({ThreadIndex(drops.thread_index), delta});
}

void RecordingSession::on_seal(uint64_t epoch) {
  merger_.seal(epoch);
  end_finished_threads();
  if (last_event_ns_ >= last_counters_ns_ + options_.counter_interval_ns) write_counters();
}

void RecordingSession::write_counters() {
  last_counters_ns_ = last_event_ns_;
  capture::CountersRecord counters;
  counters.rss_bytes = read_rss_bytes(options_.pid);
  counters.live_bytes = live_.live_bytes_by_heap();
  writer_.records().counters(counters);
}

void RecordingSession::on_merged_event(uint32_t thread, const wire::RawEvent& raw, uint64_t monotonic_ns) {
  capture::RecordEncoder& records = writer_.records();
  last_event_ns_ = monotonic_ns;
  uint64_t time = to_units(monotonic_ns);
  if (time != current_time_) {
    records.time(time);
    current_time_ = time;
  }
  if (thread != current_thread_) {
    records.switch_thread(ThreadIndex(thread));
    current_thread_ = thread;
  }
  capture::EventRecord event;
  event.kind = static_cast<EventKind>(raw.kind);
  event.heap = HeapId(raw.heap);
  event.stack = StackId(raw.stack);
  event.size = raw.size;
  event.address = raw.address;
  live_.apply(event, time);
  records.event(event);
  ++trailer_.events_by_kind[raw.kind];
  writer_.maybe_flush();
  // A new chunk restarts time and thread deltas; say them again.
  if (writer_.records().size() == 0) {
    current_time_ = UINT64_MAX;
    current_thread_ = UINT32_MAX;
  }
}

bool RecordingSession::is_live(uint8_t heap, uint64_t address) const { return live_.is_live(HeapId(heap), address); }

void RecordingSession::finish(capture::TargetEnd end, int exit_status) {
  merger_.seal(UINT64_MAX);
  ending_threads_.clear();
  write_counters();
  trailer_.end_time = to_units(clock_ns(CLOCK_MONOTONIC));
  trailer_.late_events = merger_.late_events();
  trailer_.forced_orders = merger_.forced_orders();
  trailer_.unknown_frees = live_.unknown_releases();
  trailer_.implicit_frees = live_.implicit_frees();
  trailer_.target_end = end;
  trailer_.exit_status = exit_status;
  write_symbols(end);
  writer_.finish(trailer_);
}

// The symbol table, so that the capture renders anywhere (docs/capture-format.md,
// "Symbols"). A failure here costs the names, never the recording.
void RecordingSession::write_symbols(capture::TargetEnd end) {
  symbolize::SymbolizeOptions options;
  // The target's files are opened through its own root (a container's files
  // are not at the same paths here), which target_root_ keeps reachable after
  // it exits; without it, while the target lives, through /proc; else by path.
  if (target_root_) {
    options.root = "/proc/self/fd/" + std::to_string(target_root_.get());
  } else if (end == capture::TargetEnd::StillRunning) {
    options.root = "/proc/" + std::to_string(options_.pid) + "/root";
  }
  try {
    for (const symbolize::FrameSymbol& symbol : native_frames_.symbolize(options)) {
      capture::SymbolRecord record;
      record.address = symbol.address;
      record.module = ModuleId(symbol.module_id);
      for (const symbolize::SourceFrame& frame : symbol.frames) {
        record.frames.push_back({intern(frame.function), intern(frame.file), frame.line});
      }
      writer_.records().symbol(record);
      writer_.maybe_flush();
    }
  } catch (const std::exception& error) {
    writer_.records().note({capture::NoteSeverity::Warning, std::string("symbols are incomplete: ") + error.what()});
  }
}

SessionStats RecordingSession::stats() const {
  SessionStats stats;
  stats.events = trailer_.total_events();
  stats.dropped = trailer_.dropped_events;
  stats.live_blocks = live_.live_blocks();
  for (const auto& [heap, bytes] : live_.live_bytes_by_heap()) stats.live_bytes += bytes;
  stats.agent_said_goodbye = said_goodbye_;
  stats.goodbye_reason = goodbye_reason_;
  return stats;
}

}  // namespace leakspy::recorder
