#include "recorder/recording_session.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "common/clock.h"
#include "common/listed_text.h"
#include "common/proc_status.h"

namespace leakspy::recorder {

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
              header_) {
  output_failure_ = writer_.header_error();  // a disk full from the start: the recording goes on without a capture
  heaps_["malloc"] = capture::kHeapMalloc;
  heaps_["mmap"] = capture::kHeapMmap;
  writer_.records().heap({HeapId(capture::kHeapMalloc), intern("malloc"), 0});
  writer_.records().heap({HeapId(capture::kHeapMmap), intern("mmap"), capture::kHeapFlagRanges});
}

RecordingSession::~RecordingSession() = default;

StringId RecordingSession::intern(const std::string& text) {
  if (text.empty()) return StringId(0);
  auto [it, inserted] = strings_.try_emplace(text, StringId(next_string_));
  if (inserted) {
    ++next_string_;
    writer_.records().string(text);
  }
  return it->second;
}

uint32_t RecordingSession::heap_named(const std::string& name, uint64_t flags) {
  if (!name.empty()) {
    auto found = heaps_.find(name);
    if (found != heaps_.end()) return found->second;
  }
  if (next_heap_ >= capture::kMaxHeaps) wire::protocol_error("more than " + std::to_string(capture::kMaxHeaps) + " heaps");
  uint32_t id = next_heap_++;
  if (!name.empty()) heaps_[name] = id;
  writer_.records().heap({HeapId(id), intern(name), flags});
  return id;
}

uint64_t RecordingSession::to_units(uint64_t monotonic_ns) {
  // Events come in runs with the same epoch time: divide once per run.
  if (monotonic_ns == last_converted_ns_) return last_converted_units_;
  last_converted_ns_ = monotonic_ns;
  last_converted_units_ =
      monotonic_ns <= header_.start_monotonic_ns ? 0 : (monotonic_ns - header_.start_monotonic_ns) / header_.time_unit_ns;
  return last_converted_units_;
}

void RecordingSession::sync_chunk_state() {
  // A new chunk restarts time and thread deltas and the scope: say them again.
  if (writer_.records().size() != 0) return;
  current_scope_ = 0;
  current_time_ = UINT64_MAX;
  current_thread_ = UINT32_MAX;
}

capture::RecordEncoder& RecordingSession::records_of(uint32_t process) {
  sync_chunk_state();
  capture::RecordEncoder& records = writer_.records();
  if (process != current_scope_) {
    records.scope(process);
    current_scope_ = process;
  }
  return records;
}

capture::RecordEncoder& RecordingSession::event_records_of(uint32_t process, uint32_t thread, uint64_t monotonic_ns) {
  capture::RecordEncoder& records = records_of(process);
  uint64_t time = to_units(monotonic_ns);
  if (time != current_time_) {
    records.time(time);
    current_time_ = time;
  }
  if (thread != current_thread_) {
    records.switch_thread(ThreadIndex(thread));
    current_thread_ = thread;
  }
  return records;
}

void RecordingSession::describe_process(capture::ProcessRecord& record, pid_t pid) {
  if (processes_.empty()) {
    record.executable = intern(options_.executable);
    for (const std::string& argument : options_.command_line) record.command_line.push_back(intern(argument));
    return;
  }
  // After an exec: what the process runs now.
  for (const std::string& argument : command_line(pid)) record.command_line.push_back(intern(argument));
  if (std::string executable = executable_path(pid); !executable.empty()) record.executable = intern(executable);
}

uint32_t RecordingSession::add_process(pid_t pid, pid_t parent) {
  capture::ProcessRecord record;
  record.index = static_cast<uint32_t>(processes_.size());
  record.pid = static_cast<uint32_t>(pid);
  if (record.index > 0) record.origin = capture::ProcessOrigin::Child;
  // The latest image of the same pid is the one this exec replaced; else
  // the latest of the parent's is the one that started it.
  bool exec = false;
  for (uint32_t i = record.index; i-- > 0;) {
    if (processes_[i].pid != pid) continue;
    record.parent = i + 1;
    record.origin = capture::ProcessOrigin::Exec;
    exec = true;
    if (processes_[i].stream) end_process(i, capture::ProcessEndKind::Exec, 0);
    break;
  }
  for (uint32_t i = record.index; !exec && parent > 0 && i-- > 0;) {
    if (processes_[i].pid != parent) continue;
    record.parent = i + 1;
    break;
  }
  // A child that announced itself unrecorded (a fork) and now execs a recorded program.
  unrecorded_children_.erase(pid);
  unrecorded_forks_.erase(pid);
  describe_process(record, pid);
  // Its start: the time of the next event said again.
  sync_chunk_state();
  current_time_ = UINT64_MAX;
  writer_.records().time(to_units(clock_ns(CLOCK_MONOTONIC)));
  writer_.records().process(record);
  processes_.push_back({pid, std::make_unique<AgentStream>(*this, record.index, pid), false, process_name(pid)});
  maybe_flush();
  return record.index;
}

void RecordingSession::on_message(uint32_t process, const wire::MessageHeader& header, const uint8_t* payload) {
  AgentStream* stream = processes_.at(process).stream.get();
  if (stream == nullptr || !output_failure_.empty()) return;  // ended (an exec replaced it), or nowhere to write
  stream->on_message(header, payload);
  maybe_flush();
}

void RecordingSession::flush_process(uint32_t process) {
  if (AgentStream* stream = processes_.at(process).stream.get()) stream->finish();
  maybe_flush();
}

StreamStats RecordingSession::stream_stats(uint32_t process) const {
  const AgentStream* stream = processes_.at(process).stream.get();
  return stream != nullptr ? stream->stats() : StreamStats{};
}

std::vector<wire::WireKeptBySample> RecordingSession::kept_by_query(uint32_t process) {
  AgentStream* stream = processes_.at(process).stream.get();
  return stream != nullptr ? stream->kept_by_query() : std::vector<wire::WireKeptBySample>{};
}

bool RecordingSession::kept_by_answered(uint32_t process) const {
  const AgentStream* stream = processes_.at(process).stream.get();
  return stream == nullptr || stream->kept_by_answered();
}

void RecordingSession::end_process(uint32_t process, capture::ProcessEndKind how, int status) {
  std::unique_ptr<AgentStream>& stream = processes_.at(process).stream;
  if (!stream) return;
  processes_[process].replaced = how == capture::ProcessEndKind::Exec;
  stream->finish();
  sync_chunk_state();
  current_time_ = UINT64_MAX;
  writer_.records().time(to_units(clock_ns(CLOCK_MONOTONIC)));
  writer_.records().process_end({process, how, status});
  maybe_flush();
  ended_.push_back(std::move(stream));
}

bool RecordingSession::process_open(uint32_t process) const {
  return process < processes_.size() && processes_[process].stream != nullptr;
}

void RecordingSession::note_unrecorded_child(pid_t pid, bool forked) {
  // A fork announces itself, and again if it execs a program: counted once.
  unrecorded_children_.insert(pid);
  if (forked) {
    unrecorded_forks_.insert(pid);
  } else {
    unrecorded_forks_.erase(pid);
  }
}

void RecordingSession::note_warning(const std::string& text) {
  capture::NoteRecord note{capture::NoteSeverity::Warning, text};
  writer_.records().note(note);
  tell_note(note);
}

void RecordingSession::note_protocol_error(const std::string& what) {
  writer_.records().note({capture::NoteSeverity::Warning, "the recording ended early: " + what});
}

namespace {

capture::ProcessEndKind process_end_of(capture::TargetEnd end) {
  switch (end) {
    case capture::TargetEnd::StillRunning: return capture::ProcessEndKind::StillRunning;
    case capture::TargetEnd::Exited: return capture::ProcessEndKind::Exited;
    case capture::TargetEnd::Signaled: return capture::ProcessEndKind::Signaled;
    case capture::TargetEnd::Lost: return capture::ProcessEndKind::Lost;
  }
  return capture::ProcessEndKind::Lost;
}

}  // namespace

void RecordingSession::finish(capture::TargetEnd end, int exit_status) {
  for (uint32_t process = 0; process < processes_.size(); ++process) {
    // The process leakspy started or attached to ended as `end` says; a
    // descendant's exit status is its parent's to know, not leakspy's.
    bool target = processes_[process].pid == options_.pid;
    capture::ProcessEndKind how = process_end_of(end);
    if (!target) {
      StreamStats stats = stream_stats(process);
      bool exited = stats.said_goodbye && stats.goodbye_reason == wire::GoodbyeReason::ProcessExit;
      how = exited ? capture::ProcessEndKind::Exited
                   : (::kill(processes_[process].pid, 0) == 0 ? capture::ProcessEndKind::StillRunning
                                                               : capture::ProcessEndKind::Lost);
    }
    end_process(process, how, target ? exit_status : 0);
  }
  if (!unrecorded_children_.empty()) {
    size_t forks = unrecorded_forks_.size();
    std::string text = std::to_string(unrecorded_children_.size()) + " child process" +
                       (unrecorded_children_.size() == 1 ? " was" : "es were") + " not recorded";
    if (forks > 0) text += " (" + std::to_string(forks) + " of them forked and never exec'd a program)";
    if (!unrecorded_advice_.empty()) text += ": " + unrecorded_advice_;
    note_warning(text);
  }
  note_silent_processes();
  for (const std::unique_ptr<AgentStream>& stream : ended_) stream->add_totals(trailer_);
  trailer_.end_time = to_units(clock_ns(CLOCK_MONOTONIC));
  trailer_.target_end = end;
  trailer_.exit_status = exit_status;
  for (const std::unique_ptr<AgentStream>& stream : ended_) write_symbols(*stream);
  write_guarded([&] { writer_.finish(trailer_); });
  if (kept_incomplete()) writer_.keep_incomplete();
}

// Recorded processes that allocated nothing leakspy saw (a program replaced
// by an exec does not count: its successor speaks for it).
void RecordingSession::note_silent_processes() {
  std::vector<std::string> silent;
  for (const std::unique_ptr<AgentStream>& stream : ended_) {
    if (processes_[stream->process()].replaced) continue;
    capture::Trailer totals;
    stream->add_totals(totals);
    if (totals.total_events() == 0) {
      const std::string& name = processes_[stream->process()].name;
      silent.push_back((name.empty() ? "" : name + " ") + "(pid " + std::to_string(stream->pid()) + ")");
    }
  }
  if (silent.empty()) return;
  note_warning(std::to_string(silent.size()) + " recorded process" + (silent.size() == 1 ? "" : "es") +
               " allocated nothing leakspy could see, " + listed_text(silent) +
               ": idle while recorded, or allocating with calls the agent does not hook (a statically linked "
               "allocator, raw system calls)");
}

// The symbol table, so that the capture renders anywhere (docs/capture-format.md,
// "Symbols"). A failure here costs the names, never the recording.
void RecordingSession::write_symbols(const AgentStream& stream) {
  symbolize::SymbolizeOptions options;
  // The target's files are opened as the target would (open_as_target, its
  // view and rights), or inside its own root (a container's files are not at
  // the same paths here), which target_root_ keeps reachable after it exits:
  // symbolize/module_file_finder.h has the rules.
  options.root_fd = target_root_.get();
  options.open_as_target = options_.open_as_target;
  // `run` started the target with leakspy's own rights; `record` did not.
  options.target_has_leakspys_rights = !options_.attached;
  options.debug_directories.insert(options.debug_directories.begin(), options_.debug_directories.begin(),
                                   options_.debug_directories.end());
  try {
    for (const symbolize::FrameSymbol& symbol : stream.native_frames().symbolize(options)) {
      capture::SymbolRecord record;
      record.address = symbol.address;
      record.module = ModuleId(symbol.module_id);
      for (const symbolize::SourceFrame& frame : symbol.frames) {
        record.frames.push_back({intern(frame.function), intern(frame.file), frame.line});
      }
      records_of(stream.process()).symbol(record);
      maybe_flush();
    }
  } catch (const std::exception& error) {
    writer_.records().note({capture::NoteSeverity::Warning, std::string("symbols are incomplete: ") + error.what()});
  }
}

SessionStats RecordingSession::stats() const {
  SessionStats stats;
  capture::Trailer totals;
  auto add = [&](const AgentStream& stream) {
    stream.add_totals(totals);
    if (processes_[stream.process()].replaced) return;  // its memory went with its program
    StreamStats stream_stats = stream.stats();
    stats.live_blocks += stream_stats.live_blocks;
    stats.live_bytes += stream_stats.live_bytes;
    stats.teardown_recorded = stats.teardown_recorded || stream_stats.exit_marked;
    for (const auto& [heap, bytes] : stream_stats.live_bytes_by_heap) {
      for (const auto& [name, id] : heaps_) {
        if (id == heap) stats.live_bytes_by_heap[name.empty() ? "#" + std::to_string(id) : name] += bytes;
      }
    }
  };
  for (const Process& process : processes_) {
    if (process.stream) add(*process.stream);
  }
  for (const std::unique_ptr<AgentStream>& stream : ended_) add(*stream);
  stats.events = totals.total_events();
  stats.dropped = totals.dropped_events;
  stats.processes = static_cast<uint32_t>(processes_.size());
  return stats;
}

}  // namespace leakspy::recorder
