#include "render/progress_bar.h"

#include <algorithm>

#include "render/units.h"

namespace leakspy::render {

std::string ProgressBar::line(std::string_view label, uint64_t done, uint64_t total) {
  done = std::min(done, total);
  int percent = total == 0 ? 100 : static_cast<int>(done * 100 / total);
  int filled = percent * kBarWidth / 100;
  std::string text(label);
  text += " [";
  text.append(static_cast<size_t>(filled), '#');
  text.append(static_cast<size_t>(kBarWidth - filled), '.');
  text += "] ";
  std::string number = std::to_string(percent);
  text.append(3 - std::min<size_t>(3, number.size()), ' ');
  text += number + "%  " + human_bytes(done) + " of " + human_bytes(total);
  return text;
}

void ProgressBar::update(uint64_t done, uint64_t total) {
  if (!enabled_ || total < kMinBytes) return;
  int percent = static_cast<int>(std::min(done, total) * 100 / total);
  if (percent == shown_percent_) return;
  shown_percent_ = percent;
  std::string text = line(label_, done, total);
  // Pad over a longer previous line (the byte counts change width).
  size_t width = text.size();
  if (width < drawn_width_) text.append(drawn_width_ - width, ' ');
  drawn_width_ = std::max(drawn_width_, width);
  out_ << '\r' << text << std::flush;
}

void ProgressBar::finish() {
  if (drawn_width_ == 0) return;
  out_ << '\r' << std::string(drawn_width_, ' ') << '\r' << std::flush;
  drawn_width_ = 0;
}

}  // namespace leakspy::render
