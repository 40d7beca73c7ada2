#include "render/capture_text.h"

#include <ctime>
#include <iomanip>
#include <sstream>

#include "common/hex_text.h"
#include "render/report_summary.h"
#include "render/units.h"

namespace leakspy::render {

namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\x%02x", static_cast<unsigned char>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string segment_flags(uint8_t flags) {
  std::string text = "---";
  if (flags & 4) text[0] = 'r';
  if (flags & 2) text[1] = 'w';
  if (flags & 1) text[2] = 'x';
  return text;
}

}  // namespace

void print_header(std::ostream& out, const capture::CaptureHeader& header) {
  std::time_t start = static_cast<std::time_t>(header.start_unix_ns / 1000000000ull);
  std::tm utc{};
  gmtime_r(&start, &utc);
  out << "capture format " << header.version << ", written by leakspy " << header.leakspy_version << "\n";
  out << "pid " << header.pid << " on " << (header.hostname.empty() ? "?" : header.hostname) << ", started "
      << std::put_time(&utc, "%Y-%m-%d %H:%M:%S UTC") << "\n";
  out << "command:";
  for (const std::string& arg : header.command_line) out << ' ' << arg;
  out << "\n";
  if (!header.executable.empty()) out << "executable: " << header.executable << "\n";
  out << "recording: " << (header.attached_mid_run() ? "attached mid-run (allocations before the start are unknown)"
                                                      : "from the program's start")
      << "\n";
  out << "time unit: " << header.time_unit_ns << " ns, page size " << header.page_size << "\n";
}

std::ostream& RecordPrinter::line(const char* type) {
  double seconds = static_cast<double>(time_) * static_cast<double>(header_.time_unit_ns) * 1e-9;
  out_ << '[' << std::fixed << std::setprecision(6) << std::setw(12) << seconds << "] " << std::left << std::setw(12)
       << type << std::right;
  out_.unsetf(std::ios::fixed);
  return out_;
}

std::string RecordPrinter::text(StringId id, const char* absent) const {
  auto found = strings_.find(id.value());
  return found != strings_.end() ? found->second : std::string(absent);
}

std::string RecordPrinter::heap_name(HeapId heap) const {
  auto it = heap_names_.find(heap.value());
  if (it != heap_names_.end()) {
    auto name = strings_.find(it->second);
    if (name != strings_.end()) return name->second;
  }
  return "#" + std::to_string(heap.value());
}

void RecordPrinter::on_string(StringId id, std::string_view text) {
  strings_[id.value()] = std::string(text);
  line("string") << '#' << id.value() << ' ' << quoted(text) << '\n';
}

void RecordPrinter::on_module(const capture::ModuleRecord& module) {
  std::string build_id;
  for (char c : module.build_id) {
    char digits[3];
    std::snprintf(digits, sizeof(digits), "%02x", static_cast<unsigned char>(c));
    build_id += digits;
  }
  auto path = strings_.find(module.path.value());
  line("module") << '#' << module.id.value() << ' ' << (path != strings_.end() ? path->second : "?")
                 << " bias=" << hex_text(module.load_bias) << " build-id=" << (build_id.empty() ? "none" : build_id);
  for (const capture::Segment& segment : module.segments) {
    out_ << ' ' << segment_flags(segment.flags) << ':' << hex_text(segment.vaddr) << '+' << hex_text(segment.memsz);
  }
  out_ << '\n';
}

void RecordPrinter::on_module_unload(ModuleId id) { line("unload") << "module #" << id.value() << '\n'; }

void RecordPrinter::on_heap(const capture::HeapRecord& heap) {
  heap_names_[heap.id.value()] = heap.name.value();
  line("heap") << '#' << heap.id.value() << ' ' << heap_name(heap.id) << (heap.ranges() ? " ranges" : "") << '\n';
}

void RecordPrinter::on_thread(const capture::ThreadRecord& thread) {
  auto name = strings_.find(thread.name.value());
  line("thread") << '#' << thread.index.value() << " tid=" << thread.tid << ' '
                 << quoted(name != strings_.end() ? name->second : "") << '\n';
}

void RecordPrinter::on_thread_end(ThreadIndex index) { line("thread-end") << '#' << index.value() << '\n'; }

void RecordPrinter::on_node(const capture::NodeRecord& node) {
  line("node") << '#' << node.id.value() << " parent=#" << node.parent.value();
  if (capture::is_python_frame(node.frame)) {
    out_ << " python=code#" << capture::python_code_id(node.frame) << ":" << capture::python_line(node.frame) << '\n';
  } else {
    out_ << " frame=" << hex_text(node.frame) << '\n';
  }
}

void RecordPrinter::on_python_code(const capture::PythonCodeRecord& code) {
  auto name = strings_.find(code.name.value());
  auto file = strings_.find(code.filename.value());
  line("python-code") << '#' << code.id << ' ' << (name != strings_.end() ? name->second : "?") << " ("
                      << (file != strings_.end() ? file->second : "?") << ':' << code.first_line << ")\n";
}

void RecordPrinter::on_note(const capture::NoteRecord& note) {
  line("note") << (note.severity == capture::NoteSeverity::Warning ? "warning: " : "") << note.text << '\n';
}

void RecordPrinter::on_exit(const capture::ExitRecord& exit) {
  line("exit") << "the program begins to exit (" << capture::exit_cause_name(exit.cause)
               << "): the events that follow are its teardown\n";
}

void RecordPrinter::on_process(const capture::ProcessRecord& process) {
  line("process") << '#' << process.index << " pid=" << process.pid << ' '
                  << capture::process_origin_name(process.origin);
  if (process.parent != 0) out_ << " of #" << process.parent - 1;
  out_ << " executable=" << quoted(text(process.executable)) << " command=";
  for (size_t i = 0; i < process.command_line.size(); ++i) out_ << (i ? " " : "") << quoted(text(process.command_line[i]));
  out_ << '\n';
}

void RecordPrinter::on_process_end(const capture::ProcessEndRecord& end) {
  line("process-end") << '#' << end.index << ' ' << capture::process_end_name(end.how) << " status=" << end.status
                      << '\n';
}

void RecordPrinter::on_scope(uint32_t process) {
  // Said at every chunk's start too: printed only when it changes.
  if (process == scope_) return;
  scope_ = process;
  line("scope") << "process #" << process << '\n';
}

void RecordPrinter::on_symbol(const capture::SymbolRecord& symbol) {
  line("symbol") << hex_text(symbol.address) << " module=#" << symbol.module.value();
  if (symbol.frames.empty()) out_ << " unresolved";
  // Innermost first, as recorded: "inlined <- inlined into <- function".
  for (size_t i = 0; i < symbol.frames.size(); ++i) {
    const capture::SymbolFrame& frame = symbol.frames[i];
    out_ << (i == 0 ? " " : " <- ") << (frame.function.value() != 0 ? text(frame.function, "?") : "?");
    if (frame.file.value() != 0) out_ << " (" << text(frame.file, "?") << ':' << frame.line << ')';
  }
  out_ << '\n';
}

void RecordPrinter::on_time(uint64_t units) { time_ = units; }

void RecordPrinter::on_switch(ThreadIndex index) { line("switch") << "thread #" << index.value() << '\n'; }

void RecordPrinter::on_event(const capture::EventRecord& event) {
  line(capture::event_kind_name(event.kind)) << "heap=" << heap_name(event.heap);
  if (capture::event_has_stack(event.kind)) out_ << " stack=#" << event.stack.value();
  if (capture::event_has_size(event.kind)) out_ << " size=" << event.size;
  out_ << " address=" << hex_text(event.address) << '\n';
}

void RecordPrinter::on_counters(const capture::CountersRecord& counters) {
  line("counters") << "rss=" << counters.rss_bytes;
  for (const auto& [heap, bytes] : counters.live_bytes) out_ << ' ' << heap_name(heap) << '=' << bytes;
  out_ << '\n';
}

void RecordPrinter::on_allocator(const capture::AllocatorRecord& allocator) {
  line("allocator") << (allocator.kind == capture::AllocatorKind::GlibcMallinfo ? "mallinfo" : "mallinfo2")
                    << " heap=" << allocator.heap_bytes << " in-use=" << allocator.in_use_bytes
                    << " free=" << allocator.free_bytes << " mmapped=" << allocator.mmapped_bytes
                    << " releasable=" << allocator.releasable_bytes << '\n';
}

void RecordPrinter::on_python_types(const capture::PythonTypesRecord& census) {
  line("python-types") << census.types.size() << " types";
  for (const auto& [name, count] : census.types) out_ << ' ' << quoted(text(name)) << '=' << count;
  out_ << '\n';
}

void RecordPrinter::on_kept_by(const capture::KeptByRecord& kept) {
  line("kept-by") << "stack=#" << kept.stack.value() << " holder=#" << kept.holder_stack.value()
                  << " items=#" << kept.items_stack.value() << ' ' << quoted(text(kept.chain)) << '\n';
}

void RecordPrinter::on_dropped(const capture::DroppedRecord& dropped) {
  line("dropped") << "thread #" << dropped.thread.value() << " events=" << dropped.count << '\n';
}

void RecordPrinter::on_trailer(const capture::Trailer& trailer) {
  line("trailer") << "events=" << trailer.total_events();
  for (size_t kind = 0; kind < 5; ++kind) {
    out_ << ' ' << capture::event_kind_name(static_cast<capture::EventKind>(kind)) << '='
         << trailer.events_by_kind[kind];
  }
  out_ << " dropped=" << trailer.dropped_events << " late=" << trailer.late_events
       << " unknown-frees=" << trailer.unknown_frees << " implicit-frees=" << trailer.implicit_frees
       << " stacks-lost=" << trailer.stacks_lost << " forced-orders=" << trailer.forced_orders
       << " target=" << quoted(capture::target_end_name(trailer.target_end))
       << " status=" << trailer.exit_status << '\n';
}

std::string damage_text(const capture::ReadSummary& read, uint64_t events) {
  if (read.damaged_chunks == 0) return "";
  uint64_t whole_bytes = read.bytes_read > read.damaged_bytes ? read.bytes_read - read.damaged_bytes : 0;
  uint64_t lost = whole_bytes > 0 ? static_cast<uint64_t>(static_cast<double>(events) *
                                                          static_cast<double>(read.damaged_bytes) /
                                                          static_cast<double>(whole_bytes))
                                  : 0;
  return human_count(read.damaged_chunks) + (read.damaged_chunks == 1 ? " chunk" : " chunks") + " damaged (" +
         human_bytes(read.damaged_bytes) + " skipped), about " + human_count(lost) + " events lost";
}

void RecordCounter::print(std::ostream& out, const capture::ReadSummary& summary, const std::string& path) const {
  out << "file: " << path << " (" << human_bytes(summary.file_bytes) << ", " << summary.chunks << " chunks, "
      << human_bytes(summary.raw_bytes) << " uncompressed, "
      << (summary.truncated ? "TRUNCATED: " + summary.truncation : std::string("complete")) << ")\n";
  if (summary.damaged_chunks > 0) out << "damage: " << damage_text(summary, events_) << '\n';
  out << "records:\n";
  for (size_t kind = 0; kind < 5; ++kind) {
    out << "  " << std::left << std::setw(14) << capture::event_kind_name(static_cast<capture::EventKind>(kind))
        << std::right << std::setw(14) << events_by_kind_[kind] << '\n';
  }
  for (const auto& [name, count] : counts_) {
    out << "  " << std::left << std::setw(14) << name << std::right << std::setw(14) << count << '\n';
  }
  out << "events: " << events_;
  if (events_ > 0) {
    out << ", " << std::fixed << std::setprecision(3)
        << static_cast<double>(summary.file_bytes) / static_cast<double>(events_) << " bytes per event (file), "
        << static_cast<double>(summary.raw_bytes) / static_cast<double>(events_) << " before compression";
    out.unsetf(std::ios::fixed);
  }
  out << '\n';
  out << "dropped events: " << dropped_ << '\n';
  // The target's exit (its pid's last image), then the other processes'.
  uint32_t target_pid = pids_.empty() ? 0 : pids_.begin()->second;
  const Exit* target_exit = nullptr;
  size_t other_exits = 0;
  uint64_t other_teardown = 0;
  for (const auto& [process, exit] : exits_) {
    auto pid = pids_.find(process);
    if (pid == pids_.end() || pid->second == target_pid) {
      target_exit = &exit;
    } else {
      ++other_exits;
      other_teardown += exit.teardown_events;
    }
  }
  if (target_exit != nullptr) {
    out << "exit: at " << std::fixed << std::setprecision(3)
        << static_cast<double>(target_exit->time) * static_cast<double>(time_unit_ns_) * 1e-9 << " s ("
        << capture::exit_cause_name(target_exit->cause) << "), then " << target_exit->teardown_events
        << " teardown events (not counted by reports)\n";
    out.unsetf(std::ios::fixed);
  }
  if (other_exits > 0) {
    out << "exits of other processes: " << other_exits << ", then " << other_teardown
        << " teardown events of theirs (not counted by reports)\n";
  }
  if (has_trailer_) {
    out << "unknown frees: " << trailer_.unknown_frees << " (addresses allocated before the recording or by untracked code)\n";
    out << "implicit frees: " << trailer_.implicit_frees << ", late events: " << trailer_.late_events
        << ", forced orders: " << trailer_.forced_orders << ", stacks lost: " << trailer_.stacks_lost << '\n';
    out << "target: " << capture::target_end_name(trailer_.target_end);
    std::optional<int> status = known_exit_status(trailer_);
    if (trailer_.target_end == capture::TargetEnd::Exited) {
      out << (status ? " with status " + std::to_string(*status) : std::string(" (its exit status is not known)"));
    }
    // target_end_name says "killed by a signal": name it.
    if (trailer_.target_end == capture::TargetEnd::Signaled && status) out << " (signal " << *status << ")";
    out << '\n';
  }
}

}  // namespace leakspy::render
