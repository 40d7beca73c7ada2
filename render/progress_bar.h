#pragma once
// A one-line progress bar for reading large captures, drawn on a terminal and
// cleared when done. The caller decides whether the stream is a terminal;
// small inputs (under kMinBytes) are read too fast to need one and draw
// nothing. Not thread-safe.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace leakspy::render {

class ProgressBar {
 public:
  static constexpr uint64_t kMinBytes = 1 << 20;
  static constexpr int kBarWidth = 30;

  ProgressBar(std::ostream& out, std::string label, bool enabled)
      : out_(out), label_(std::move(label)), enabled_(enabled) {}
  ~ProgressBar() { finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Redraws when the whole percentage changed: at most about 100 times.
  void update(uint64_t done, uint64_t total);
  // Clears the line (once).
  void finish();

  // "reading app.lspy [#######.......]  45%  120 MiB of 260 MiB"
  static std::string line(std::string_view label, uint64_t done, uint64_t total);

 private:
  std::ostream& out_;
  std::string label_;
  bool enabled_;
  int shown_percent_ = -1;
  size_t drawn_width_ = 0;
};

}  // namespace leakspy::render
