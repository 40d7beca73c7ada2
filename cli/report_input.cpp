#include "cli/report_input.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>

#include "analyze/quantities.h"
#include "analyze/read_budget.h"
#include "cli/option_values.h"
#include "common/error.h"
#include "render/capture_text.h"
#include "render/progress_bar.h"

namespace leakspy::cli {

namespace {

// LEAKSPY_READ_MEMORY: how much a capture may decode into (0: the default for its size).
uint64_t read_memory_limit() {
  const char* text = std::getenv(analyze::ReadBudget::kOverrideVariable);
  if (text == nullptr || text[0] == '\0') return 0;
  return analyze::parse_byte_count(text, analyze::ReadBudget::kOverrideVariable);
}

}  // namespace

analyze::CaptureModel load_report_model(const std::string& path, const std::string& heap,
                                        const analyze::SlicePlan& slices, uint32_t process) {
  analyze::HeapSelection heaps = analyze::HeapSelection::parse(heap);
  render::ProgressBar bar(std::cerr, "reading " + std::filesystem::path(path).filename().string(),
                          ::isatty(STDERR_FILENO) == 1);
  analyze::CaptureModel model =
      analyze::read_capture_model(path, {heaps, process}, [&](uint64_t done, uint64_t total) { bar.update(done, total); }, true,
                                  slices, read_memory_limit());
  bar.update(model.read.file_bytes, model.read.file_bytes);  // the end mark after the last chunk is read too
  bar.finish();
  if (model.counted_heaps.empty() && !heaps.is_family()) {
    std::string names;
    for (const std::string& name : model.declared_heaps) names += (names.empty() ? "" : ", ") + name;
    throw Error(ErrorKind::Usage, "--heap " + heaps.text() + ": " + path + " has no heap of that name (its heaps: " +
                                      names + "; or use host, mmap, cuda or all)");
  }
  std::set<uint32_t> pids;
  for (const analyze::ProcessInfo& recorded : model.processes) pids.insert(recorded.pid);
  if (process != 0 && pids.count(process) == 0) {
    std::string listed;
    for (uint32_t pid : pids) listed += (listed.empty() ? "" : ", ") + std::to_string(pid);
    throw Error(ErrorKind::Usage, "--process " + std::to_string(process) + ": " + path +
                                      " recorded no process with that pid (its processes: " + listed + ")");
  }
  if (model.read.damaged_chunks > 0) {
    std::cerr << "leakspy: warning: " << path << " is damaged: " << render::damage_text(model.read, model.events)
              << "; the report covers the rest\n";
  }
  if (model.read.truncated) {
    std::cerr << "leakspy: warning: " << path << " is truncated (" << model.read.truncation
              << "); the report covers everything up to its last whole chunk\n";
  }
  return model;
}

void add_process_option(CLI::App* command, uint32_t& process) {
  add_whole_number_option(command, "--process", process,
                          "Count only the process with this pid (a capture of several: run --subprocesses)", uint32_t{1});
}

}  // namespace leakspy::cli
