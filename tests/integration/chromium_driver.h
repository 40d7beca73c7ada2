#pragma once
// Drives headless Chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe: commands on fd 3, replies and events on fd 4,
// each a JSON text ending in a NUL byte). Enough for the flame graph test:
// open a page, evaluate JavaScript, click with real mouse events, take a
// screenshot. The browser runs in its own process group, which is killed and
// reaped when the driver is destroyed. Throws std::runtime_error on failure.

#include <sys/types.h>

#include <deque>
#include <nlohmann/json.hpp>
#include <string>

namespace leakspy::test {

class HeadlessChromium {
 public:
  static constexpr const char* kBinary = "/usr/bin/chromium";
  static bool available();

  // `profile_dir`: a fresh, empty directory for --user-data-dir.
  HeadlessChromium(const std::string& profile_dir, int width, int height);
  ~HeadlessChromium();
  HeadlessChromium(const HeadlessChromium&) = delete;
  HeadlessChromium& operator=(const HeadlessChromium&) = delete;

  // Opens `url` in a new page and waits for its load event.
  void open(const std::string& url);
  // The value of a JavaScript expression in the page (JSON-serializable).
  nlohmann::json evaluate(const std::string& expression);
  // A left click at page coordinates, as a user's mouse makes it.
  void click(double x, double y);
  // A key press (e.g. "Escape") as keyDown/keyUp events.
  void press_key(const std::string& key);
  // The page as a PNG, base64-encoded.
  std::string screenshot_png_base64();
  // Takes a screenshot, decodes it in the page and counts its pixels by
  // colour: `classifiers` is a JavaScript object of named predicates,
  // e.g. "{green: (r, g, b) => g > r + 40}". Returns {width, height, and
  // each name's count}.
  nlohmann::json count_screenshot_pixels(const std::string& classifiers);

 private:
  nlohmann::json command(const std::string& method, const nlohmann::json& params, bool in_page = true);
  nlohmann::json read_message(double timeout_seconds);
  void wait_for_event(const std::string& method, double timeout_seconds);

  pid_t pid_ = -1;
  int to_browser_ = -1;
  int from_browser_ = -1;
  int next_id_ = 1;
  int width_;
  int height_;
  std::string session_;
  std::string buffer_;
  std::deque<nlohmann::json> events_;
};

}  // namespace leakspy::test
