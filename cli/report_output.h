#pragma once
// Where a report goes: a file, a device or FIFO of the user's, or stdout for
// "-". With "-", stdout carries that output alone; what a command would
// otherwise print there for people goes to stderr.

#include <functional>
#include <ostream>
#include <string>

namespace leakspy::cli {

// The one spelling of stdout as an output path.
inline constexpr const char* kStdoutPath = "-";
inline bool is_stdout(const std::string& path) { return path == kStdoutPath; }

// Calls write(stream) with stdout for "-", else with `path` opened for
// writing as a capture is (capture/capture_file.h); throws
// Error(OutputUnwritable) when it cannot be written.
void write_output(const std::string& path, const std::function<void(std::ostream&)>& write);

// "leakspy: wrote PATH" on stderr once a report file is written; nothing for stdout.
void say_written(const std::string& path);

}  // namespace leakspy::cli
