#include "recorder/recording_session.h"
#include "common/clock.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <variant>

namespace leakspy::recorder {

namespace {

using capture::EventKind;

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
      writer_(options_.output_file.valid() ? std::move(options_.output_file)
                                           : capture::CaptureFile::create(options_.output_path),
              header_),
      merger_(*this) {
  writer_.records().heap({HeapId(capture::kHeapMalloc), intern("malloc"), 0});
  writer_.records().heap({HeapId(capture::kHeapMmap), intern("mmap"), capture::kHeapFlagRanges});
  declared_heaps_.set(capture::kHeapMalloc);
  declared_heaps_.set(capture::kHeapMmap);
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

void RecordingSession::on_message(const wire::MessageHeader& header, const uint8_t* payload) {
  wire::Message message = decoder_.decode(header, payload);
  if (said_goodbye_) wire::protocol_error("a message after the goodbye");
  if (!said_hello_ && !std::holds_alternative<wire::HelloMessage>(message)) wire::protocol_error("no hello first");
  std::visit([this](const auto& decoded) { handle(decoded); }, message);
  writer_.maybe_flush();
}

void RecordingSession::note_protocol_error(const std::string& what) {
  writer_.records().note({capture::NoteSeverity::Warning, "the recording ended early: " + what});
}

void RecordingSession::handle(const wire::HelloMessage&) {
  if (said_hello_) wire::protocol_error("a second hello");
  said_hello_ = true;
}

void RecordingSession::handle(const wire::EventsMessage& events) {
  // The decoder's buffer is reused for the next message; the merger copies.
  merger_.add(events.thread_index, events.events.data(), events.events.size());
}

void RecordingSession::handle(const wire::NodesMessage& nodes) {
  for (const wire::WireNode& node : nodes.nodes) {
    writer_.records().node({StackId(node.id), StackId(node.parent), node.frame});
    native_frames_.frame_seen(node.frame);
  }
}

void RecordingSession::handle(const wire::ThreadMessage& thread) {
  writer_.records().thread({ThreadIndex(thread.index), thread.tid, intern(std::string(thread.name))});
}

void RecordingSession::handle(const wire::ThreadEndMessage& end) {
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
    // Thread indices are never reused: what was kept for this one can go.
    merger_.forget_thread(*it);
    drops_by_thread_.erase(*it);
    it = ending_threads_.erase(it);
  }
}

void RecordingSession::handle(const wire::ModuleMessage& module) {
  capture::ModuleRecord record;
  record.id = ModuleId(module.id);
  record.path = intern(std::string(module.path));
  record.build_id = std::string(module.build_id);
  record.load_bias = module.load_bias;
  record.segments.assign(module.segments.begin(), module.segments.end());
  writer_.records().module(record);
  native_frames_.module_loaded({module.id, std::string(module.path), record.build_id, record.load_bias,
                                record.segments});
}

void RecordingSession::handle(const wire::ModuleUnloadMessage& unload) {
  writer_.records().module_unload(ModuleId(unload.id));
  native_frames_.module_unloaded(unload.id);
}

void RecordingSession::handle(const wire::EpochMessage& epoch) { merger_.set_epoch_time(epoch.epoch, epoch.monotonic_ns); }

void RecordingSession::handle(const wire::SealMessage& seal) {
  merger_.seal(seal.epoch);
  end_finished_threads();
  if (last_event_ns_ >= last_counters_ns_ + options_.counter_interval_ns) write_counters();
}

void RecordingSession::handle(const wire::DropsMessage& drops) {
  uint64_t& reported = drops_by_thread_[drops.thread_index];
  if (drops.total <= reported) return;
  uint64_t delta = drops.total - reported;
  reported = drops.total;
  trailer_.dropped_events += delta;
  writer_.records().dropped({ThreadIndex(drops.thread_index), delta});
}

void RecordingSession::handle(const wire::GoodbyeMessage& goodbye) {
  trailer_.stacks_lost = goodbye.stacks_lost;
  goodbye_reason_ = goodbye.reason;
  said_goodbye_ = true;
}

void RecordingSession::handle(const wire::HeapMessage& heap) {
  // Twice could flip a heap between blocks and ranges under its live blocks.
  if (declared_heaps_.test(heap.id.value())) wire::protocol_error("heap " + std::to_string(heap.id.value()) + " declared twice");
  declared_heaps_.set(heap.id.value());
  live_.set_range_heap(heap.id, (heap.flags & capture::kHeapFlagRanges) != 0);
  writer_.records().heap({heap.id, intern(std::string(heap.name)), heap.flags});
}

void RecordingSession::handle(const wire::PythonCodeMessage& code) {
  capture::PythonCodeRecord record;
  record.id = code.id;
  record.filename = intern(std::string(code.filename));
  record.name = intern(std::string(code.name));
  record.first_line = code.first_line;
  writer_.records().python_code(record);
}

void RecordingSession::handle(const wire::NoteMessage& note) {
  capture::NoteRecord record{note.severity, std::string(note.text)};
  writer_.records().note(record);
  if (options_.on_note) options_.on_note(record);
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
  if (raw.kind == wire::kExitMark) {
    // One is what the agent sends; another is ignored, so that the teardown
    // begins where the first said.
    if (!exit_marked_) records.exit({static_cast<capture::ExitCause>(raw.size)});
    exit_marked_ = true;
    return;
  }
  capture::EventRecord event;
  event.kind = static_cast<EventKind>(raw.kind);
  event.heap = HeapId(raw.heap);
  event.stack = StackId(raw.stack);
  event.size = raw.size;
  event.address = raw.address;
  live_.apply(event, time);
  records.event(event);
  ++trailer_.events_by_kind[raw.kind];  // the decoder passed only kinds 0..4 (marks stay in the merger)
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
  write_symbols();
  writer_.finish(trailer_);
}

// The symbol table, so that the capture renders anywhere (docs/capture-format.md,
// "Symbols"). A failure here costs the names, never the recording.
void RecordingSession::write_symbols() {
  symbolize::SymbolizeOptions options;
  // The target's files are opened as the target would (open_as_target, its
  // view and rights), or inside its own root (a container's files are not at
  // the same paths here), which target_root_ keeps reachable after it exits:
  // symbolize/module_file_finder.h has the rules.
  options.root_fd = target_root_.get();
  options.open_as_target = options_.open_as_target;
  // `run` started the target with leakspy's own rights; `record` did not.
  options.target_has_leakspys_rights = !options_.attached;
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
