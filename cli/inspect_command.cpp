// leakspy inspect FILE [--stats]: any capture as text.

#include <iostream>

#include "capture/capture_reader.h"
#include "cli/commands.h"
#include "render/capture_text.h"

namespace leakspy::cli {

namespace {

struct InspectOptions {
  std::string path;
  bool stats = false;
};

void inspect(const InspectOptions& options) {
  capture::CaptureReader reader(options.path);
  capture::ReadSummary summary;
  if (options.stats) {
    render::print_header(std::cout, reader.header());
    render::RecordCounter counter(reader.header().time_unit_ns);
    summary = reader.read(counter);
    counter.print(std::cout, summary, options.path);
  } else {
    render::print_header(std::cout, reader.header());
    render::RecordPrinter printer(std::cout, reader.header());
    summary = reader.read(printer);
  }
  std::cout.flush();
  if (summary.damaged_chunks > 0) {
    std::cerr << "leakspy: warning: " << options.path << " is damaged: " << summary.damaged_chunks
              << " damaged chunk(s), " << summary.damaged_bytes << " bytes, were skipped (inspect --stats estimates "
              << "the events lost)\n";
  }
  if (summary.truncated) {
    std::cerr << "leakspy: warning: " << options.path << " is truncated (" << summary.truncation
              << "); everything up to its last whole chunk was read\n";
  }
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* command = app.add_subcommand("inspect", "Print every record of a capture as text");
  command->add_option("capture", options->path, "The capture file")->required();
  command->add_flag("--stats", options->stats, "Counts per record type, bytes per event and drops instead");
  command->callback([options] { inspect(*options); });
}

}  // namespace leakspy::cli
