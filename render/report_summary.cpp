#include "render/report_summary.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "analyze/call_sites.h"
#include "analyze/site_frames.h"
#include "common/listed_text.h"
#include "render/capture_text.h"
#include "render/memory_report.h"
#include "render/units.h"

namespace leakspy::render {

namespace {

// One argument on one line: whitespace runs (a `python -c` script's
// newlines) become one space, and an argument with spaces or shell
// characters is single-quoted, so the line reads like the command typed.
std::string display_argument(const std::string& argument) {
  std::string flat;
  bool quote = argument.empty();
  for (char c : argument) {
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space) {
      if (!flat.empty() && flat.back() != ' ') flat += ' ';
    } else {
      flat += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    }
    if (space || std::string_view("'\"$`\\|&;<>()*?[]{}!#~").find(c) != std::string_view::npos) quote = true;
  }
  while (!flat.empty() && flat.back() == ' ') flat.pop_back();
  if (!quote) return flat;
  std::string quoted = "'";
  for (char c : flat) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// A command line as typed, or the executable when there is none.
std::string typed_command(const std::vector<std::string>& arguments, const std::string& executable) {
  std::string text;
  for (const std::string& argument : arguments) {
    if (!text.empty()) text += ' ';
    text += display_argument(argument);
  }
  return text.empty() ? display_argument(executable) : text;
}

// Unknown frees worth a warning in a recording from the program's start
// (the few of a normal run come from the C library's start-up).
constexpr uint64_t kSignificantUnknownFrees = 1000;

// The modules of the call sites the symbolizer could name only by address
// ("a.so, b.so"), or "": an unnamed frame no site shows (the interpreter's,
// under a Python line) is not worth a warning.
std::string modules_without_symbols(const analyze::CaptureModel& model) {
  std::set<std::string> modules;
  std::vector<analyze::LocationId> sites = analyze::site_of_each_stack(model);
  for (size_t stack = 0; stack < sites.size() && stack < model.stacks.size(); ++stack) {
    if (model.stacks[stack].empty()) continue;
    const analyze::Location& place = model.symbols.location(sites[stack]);
    if (place.kind != analyze::LocationKind::Unresolved || place.module.empty()) continue;
    std::string name = place.module.substr(place.module.rfind('/') + 1);
    if (name.starts_with("linux-vdso") || name.starts_with("libleakspy_agent")) continue;
    modules.insert(name);
  }
  std::vector<std::string> names(modules.begin(), modules.end());
  return listed_text(names, 5);
}

}  // namespace

std::string command_text(const capture::CaptureHeader& header) {
  return typed_command(header.command_line, header.executable);
}

std::string program_text(const analyze::ProcessInfo& process) {
  return typed_command(process.command_line, process.executable);
}

// The programs in order of their start; a child that runs a program already
// listed (a fork, a pool's worker) counts there: "app.py (3 processes)".
std::string programs_text(const analyze::CaptureModel& model) {
  struct Program {
    std::string text;
    size_t processes;
    bool exec;  // the image of the one before, after an exec
  };
  std::vector<Program> programs;
  for (const analyze::ProcessInfo& process : model.processes) {
    std::string text = program_text(process);
    bool exec = process.origin == capture::ProcessOrigin::Exec;
    auto same = std::find_if(programs.begin(), programs.end(), [&](const Program& listed) { return listed.text == text; });
    if (!exec && same != programs.end()) {
      ++same->processes;
    } else {
      programs.push_back({text, 1, exec});
    }
  }
  std::string text;
  for (const Program& program : programs) {
    if (!text.empty()) text += program.exec ? " -exec-> " : ", ";
    text += program.text;
    if (program.processes > 1) text += " (" + std::to_string(program.processes) + " processes)";
  }
  return text;
}

std::string totals_text(const analyze::CaptureModel& model) {
  const analyze::StackTotals& totals = model.totals;
  return human_bytes(totals.live_bytes) + " live at the end, peak " + human_bytes(totals.peak_bytes) + " at " +
         human_duration(model.seconds(model.peak_time)) + ", " + human_bytes(totals.allocated_bytes) +
         " allocated in " + human_count(totals.allocations) + " allocations";
}

std::optional<int> known_exit_status(const capture::Trailer& trailer) {
  bool ended = trailer.target_end == capture::TargetEnd::Exited || trailer.target_end == capture::TargetEnd::Signaled;
  if (!ended || trailer.exit_status < 0) return std::nullopt;
  return trailer.exit_status;
}

std::string recording_text(const analyze::CaptureModel& model) {
  const capture::CaptureHeader& header = model.header;
  std::string text = "pid " + std::to_string(header.pid);
  if (!header.hostname.empty()) text += " on " + header.hostname;
  text += ", " + human_duration(model.duration_seconds());
  text += model.header.attached_mid_run() ? " from the moment leakspy attached" : " from the program's start";
  if (model.exit) {
    // The teardown's frees are not releases: reports measure up to here.
    text += std::string(" to its exit (") + capture::exit_cause_name(model.exit->cause) + "; the " +
            human_count(model.exit->teardown_events) + " events of its teardown are not counted)";
  }
  if (model.trailer) {
    switch (model.trailer->target_end) {
      case capture::TargetEnd::Exited:
        if (std::optional<int> status = known_exit_status(*model.trailer)) {
          text += ", exited with status " + std::to_string(*status);
        } else {
          text += ", exited during the recording";
        }
        break;
      case capture::TargetEnd::Signaled:
        text += ", killed by signal " + std::to_string(model.trailer->exit_status);
        break;
      case capture::TargetEnd::StillRunning:
        text += ", still running when recording stopped";
        break;
      case capture::TargetEnd::Lost:
        text += ", connection lost";
        break;
    }
  }
  return text;
}

std::vector<std::string> caveats(const analyze::CaptureModel& model) {
  std::vector<std::string> lines;
  if (model.read.truncated) lines.push_back("the capture is truncated (" + model.read.truncation + ")");
  if (model.read.damaged_chunks > 0) {
    lines.push_back("the capture is damaged: " + damage_text(model.read, model.events) +
                    "; the numbers cover the rest");
  }
  if (model.header.attached_mid_run()) {
    lines.push_back("attached mid-run: allocations made before leakspy attached are unknown (" +
                    human_count(model.unknown_frees) + (model.unknown_frees == 1 ? " free" : " frees") +
                    " of unknown blocks)");
  }
  if (model.dropped_events > 0) {
    lines.push_back(human_count(model.dropped_events) + " events were dropped: the numbers are incomplete");
  }
  if (!model.header.attached_mid_run() && model.unknown_frees >= kSignificantUnknownFrees) {
    lines.push_back(human_count(model.unknown_frees) +
                    " frees of blocks leakspy never saw allocated, though it recorded from the start: memory "
                    "allocated past its hooks is missing from the numbers (most often by the static initializers of "
                    "a library loaded with dlopen, such as libtorch's, which run before leakspy can hook it; or a "
                    "static allocator, raw system calls)");
  }
  if (std::string modules = modules_without_symbols(model); !modules.empty()) {
    lines.push_back("frames of " + modules +
                    " are addresses only (no symbols): install their debug symbols (Debian's -dbgsym packages put "
                    "them in /usr/lib/debug), or give run or record --debug-dir DIR");
  }
  for (const capture::NoteRecord& note : model.notes) {
    if (note.severity == capture::NoteSeverity::Warning) lines.push_back(note.text);
  }
  return lines;
}

void print_summary_lines(std::ostream& out, const analyze::CaptureModel& model) {
  out << "command    " << command_text(model.header) << '\n';
  out << "recorded   " << recording_text(model) << '\n';
  // An exec wrapper (env, sh -c 'exec ...', a pyenv shim): the programs it handed over to.
  if (model.processes.size() > 1) out << "programs   " << programs_text(model) << '\n';
  out << "heaps      ";
  for (size_t i = 0; i < model.counted_heaps.size(); ++i) out << (i ? ", " : "") << model.counted_heaps[i];
  if (model.counted_heaps.empty()) out << "none";
  out << " (--heap " << model.heaps.text() << ")\n";
  for (const analyze::GpuHeapLevel& gpu : model.gpu_levels) {
    out << "gpu        " << gpu.heap << ": " << gpu.level << ", " << human_bytes(gpu.live_bytes) << " live at the end, peak "
        << human_bytes(gpu.peak_bytes) << '\n';
  }
  out << "totals     " << totals_text(model) << '\n';
  if (std::optional<analyze::MemorySplit> memory = analyze::memory_at_end(model)) {
    out << "memory     at the end, " << memory_split_text(*memory) << '\n';
  }
  out << "dropped    " << human_count(model.dropped_events) << " events\n";
  std::vector<std::string> wrappers = analyze::SiteFrames(model, {}).wrappers();
  if (!wrappers.empty()) {
    out << "wrappers   " << listed_text(wrappers) << ": they allocate for their callers, so the sites are the callers\n";
  }
  for (const std::string& caveat : caveats(model)) out << "WARNING    " << caveat << '\n';
}

std::string metric_title(analyze::Metric metric, bool reverse) {
  std::string title;
  switch (metric) {
    case analyze::Metric::Live:
      title = "Memory live at the end";
      break;
    case analyze::Metric::Peak:
      title = "Memory live at the peak";
      break;
    case analyze::Metric::Allocated:
      title = "Memory allocated";
      break;
    case analyze::Metric::Count:
      title = "Allocations";
      break;
  }
  return reverse ? title + ", by allocating function (reversed)" : title;
}

std::string metric_text(analyze::Metric metric, uint64_t value) {
  if (analyze::metric_is_bytes(metric)) return human_bytes(value);
  return human_count(value) + (value == 1 ? " allocation" : " allocations");
}

}  // namespace leakspy::render
