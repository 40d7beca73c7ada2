#include "cli/recording_output.h"

#include <iostream>

#include "common/error.h"
#include "render/units.h"

namespace leakspy::cli {

void print_note(const capture::NoteRecord& note) {
  std::cerr << "leakspy: " << (note.severity == capture::NoteSeverity::Warning ? "warning: " : "") << note.text
            << "\n";
}

void print_summary(const recorder::RecordingSession& session, double seconds) {
  if (!session.output_failure().empty()) {
    std::cerr << "leakspy: " << session.output_failure() << "; the recording stopped there and the agent unhooked";
    if (session.kept_incomplete()) {
      std::cerr << "; what was captured up to then is in " << session.partial_path()
                << " (incomplete: it reads up to its last whole chunk), and " << session.path() << " is untouched\n";
    } else {
      std::cerr << "; nothing was captured\n";
    }
    return;
  }
  recorder::SessionStats stats = session.stats();
  std::cerr << "leakspy: wrote " << session.path() << ": " << render::human_count(stats.events) << " events in "
            << render::human_duration(seconds) << ", " << render::human_count(stats.live_blocks) << " blocks ("
            << render::human_bytes(stats.live_bytes);
  // Which heaps, and when: reports count the heaps --heap selects, up to the
  // program's exit, so their totals differ from this one.
  std::string by_heap;
  for (const auto& [heap, bytes] : stats.live_bytes_by_heap) {
    if (bytes > 0) by_heap += (by_heap.empty() ? "" : ", ") + heap + " " + render::human_bytes(bytes);
  }
  if (!by_heap.empty()) std::cerr << ": " << by_heap;
  std::cerr << ") live when recording ended";
  if (stats.teardown_recorded) std::cerr << " (after the program's exit began; reports count up to it)";
  if (stats.dropped > 0) std::cerr << ", " << render::human_count(stats.dropped) << " events DROPPED";
  // An exec wrapper (env, a pyenv shim) hands over to the program; children with --subprocesses.
  if (stats.processes > 1) std::cerr << "; " << stats.processes << " programs recorded";
  std::cerr << "\n";
}

void throw_protocol_error(const std::string& what, const std::string& path) {
  throw Error(ErrorKind::AgentProtocol, what + "; the recording ended there, and " + path +
                                            " holds everything the agent sent before it");
}

void add_debug_directory_option(CLI::App* command, std::vector<std::string>& directories) {
  command->add_option("--debug-dir", directories,
                      "A directory of debug files for stripped modules, as /usr/lib/debug is (DIR/.build-id/xx/rest.debug, "
                      "or the module's .gnu_debuglink under DIR), searched first; repeatable")
      ->check(CLI::ExistingDirectory);
}

void add_python_options(CLI::App* command, bool& native, bool& types) {
  command->add_flag("--native", native,
                    "Python: keep the interpreter's own native frames between Python frames (larger, slower)");
  command->add_flag("--types", types,
                    "Python: count live objects by type every second even when a census holds the GIL over 10 ms "
                    "(by default counting stops there); for growth --types");
}

}  // namespace leakspy::cli
