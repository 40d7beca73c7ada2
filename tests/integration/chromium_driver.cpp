#include "tests/integration/chromium_driver.h"
#include "common/clock.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <vector>

namespace leakspy::test {

namespace {

}  // namespace

bool HeadlessChromium::available() { return ::access(kBinary, X_OK) == 0; }

HeadlessChromium::HeadlessChromium(const std::string& profile_dir, int width, int height)
    : width_(width), height_(height) {
  int commands[2], replies[2];
  if (pipe2(commands, O_CLOEXEC) != 0 || pipe2(replies, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {kBinary,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--hide-scrollbars",
                                   "--user-data-dir=" + profile_dir,
                                   "--remote-debugging-pipe",
                                   "about:blank"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    setpgid(0, 0);  // its renderers and helpers join this group: one kill ends them all
    // Out of the way first: a pipe end may itself be fd 3 or 4, and dup2 onto
    // itself would leave its close-on-exec flag set.
    int command_end = fcntl(commands[0], F_DUPFD, 10);
    int reply_end = fcntl(replies[1], F_DUPFD, 10);
    dup2(command_end, 3);
    dup2(reply_end, 4);
    int null = ::open("/dev/null", O_RDWR);
    dup2(null, 1);
    dup2(null, 2);  // Chromium logs D-Bus complaints in containers
    execv(kBinary, argv.data());
    _exit(127);
  }
  setpgid(pid_, pid_);
  ::close(commands[0]);
  ::close(replies[1]);
  to_browser_ = commands[1];
  from_browser_ = replies[0];

  nlohmann::json target = command("Target.createTarget", {{"url", "about:blank"}}, false);
  nlohmann::json attached =
      command("Target.attachToTarget", {{"targetId", target["targetId"]}, {"flatten", true}}, false);
  session_ = attached["sessionId"];
  command("Page.enable", nlohmann::json::object());
  command("Runtime.enable", nlohmann::json::object());
  command("Emulation.setDeviceMetricsOverride",
          {{"width", width_}, {"height", height_}, {"deviceScaleFactor", 1}, {"mobile", false}});
}

HeadlessChromium::~HeadlessChromium() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (to_browser_ >= 0) ::close(to_browser_);
  if (from_browser_ >= 0) ::close(from_browser_);
}

nlohmann::json HeadlessChromium::read_message(double timeout_seconds) {
  double deadline = monotonic_seconds() + timeout_seconds;
  for (;;) {
    size_t end = buffer_.find('\0');
    if (end != std::string::npos) {
      nlohmann::json message = nlohmann::json::parse(buffer_.substr(0, end));
      buffer_.erase(0, end + 1);
      return message;
    }
    double left = deadline - monotonic_seconds();
    if (left <= 0) throw std::runtime_error("Chromium did not answer in time");
    pollfd poll_fd{from_browser_, POLLIN, 0};
    int ready = ::poll(&poll_fd, 1, static_cast<int>(left * 1000) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char chunk[65536];
    ssize_t n = ::read(from_browser_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("Chromium closed its DevTools pipe");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

nlohmann::json HeadlessChromium::command(const std::string& method, const nlohmann::json& params, bool in_page) {
  int id = next_id_++;
  nlohmann::json message = {{"id", id}, {"method", method}, {"params", params}};
  if (in_page) message["sessionId"] = session_;
  std::string text = message.dump();
  text += '\0';
  for (size_t written = 0; written < text.size();) {
    ssize_t n = ::write(to_browser_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("cannot write to Chromium's DevTools pipe");
    written += static_cast<size_t>(n);
  }
  for (;;) {
    nlohmann::json reply = read_message(30);
    if (!reply.contains("id")) {
      events_.push_back(std::move(reply));
      continue;
    }
    if (reply["id"] != id) continue;
    if (reply.contains("error")) throw std::runtime_error(method + ": " + reply["error"].dump());
    return reply["result"];
  }
}

void HeadlessChromium::wait_for_event(const std::string& method, double timeout_seconds) {
  for (auto it = events_.begin(); it != events_.end(); ++it) {
    if ((*it)["method"] == method) {
      events_.erase(events_.begin(), it + 1);
      return;
    }
  }
  events_.clear();
  double deadline = monotonic_seconds() + timeout_seconds;
  for (;;) {
    nlohmann::json message = read_message(deadline - monotonic_seconds());
    if (message.contains("method") && message["method"] == method) return;
  }
}

void HeadlessChromium::open(const std::string& url) {
  events_.clear();
  command("Page.navigate", {{"url", url}});
  wait_for_event("Page.loadEventFired", 30);
}

nlohmann::json HeadlessChromium::evaluate(const std::string& expression) {
  nlohmann::json result =
      command("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
  if (result.contains("exceptionDetails")) {
    throw std::runtime_error("JavaScript failed: " + result["exceptionDetails"].dump());
  }
  return result["result"].contains("value") ? result["result"]["value"] : nlohmann::json();
}

void HeadlessChromium::click(double x, double y) {
  command("Input.dispatchMouseEvent", {{"type", "mouseMoved"}, {"x", x}, {"y", y}});
  for (const char* type : {"mousePressed", "mouseReleased"}) {
    command("Input.dispatchMouseEvent",
            {{"type", type}, {"x", x}, {"y", y}, {"button", "left"}, {"buttons", 1}, {"clickCount", 1}});
  }
}

void HeadlessChromium::press_key(const std::string& key) {
  for (const char* type : {"keyDown", "keyUp"}) {
    command("Input.dispatchKeyEvent", {{"type", type}, {"key", key}, {"code", key}});
  }
}

std::string HeadlessChromium::screenshot_png_base64() {
  return command("Page.captureScreenshot", {{"format", "png"}})["data"];
}

nlohmann::json HeadlessChromium::count_screenshot_pixels(const std::string& classifiers) {
  std::string png = screenshot_png_base64();
  return evaluate(R"js(
    new Promise(function (resolve, reject) {
      const classifiers = )js" + classifiers + R"js(;
      const image = new Image();
      image.onload = function () {
        const canvas = new OffscreenCanvas(image.width, image.height);
        const context = canvas.getContext('2d');
        context.drawImage(image, 0, 0);
        const data = context.getImageData(0, 0, image.width, image.height).data;
        const counts = {width: image.width, height: image.height};
        for (const name in classifiers) counts[name] = 0;
        for (let i = 0; i < data.length; i += 4) {
          for (const name in classifiers) {
            if (classifiers[name](data[i], data[i + 1], data[i + 2])) ++counts[name];
          }
        }
        resolve(counts);
      };
      image.onerror = function () { reject('the screenshot is not a PNG'); };
      image.src = 'data:image/png;base64,)js" + png + R"js(';
    }))js");
}

}  // namespace leakspy::test
