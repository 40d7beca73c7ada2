#include "common/proc_status.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace leakspy {

namespace {

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string trimmed(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  size_t end = text.find_last_not_of(" \t\n");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

}  // namespace

std::optional<ProcStatus> ProcStatus::read(const std::string& who) {
  std::optional<std::string> text = read_text("/proc/" + who + "/status");
  if (!text) return std::nullopt;
  ProcStatus status;
  status.text_ = std::move(*text);
  return status;
}

std::string ProcStatus::field(const std::string& name) const {
  std::string key = "\n" + name + ":";
  size_t at = ("\n" + text_).find(key);
  if (at == std::string::npos) return "";
  size_t begin = at + key.size() - 1;  // the "\n" added in front shifts by one
  size_t end = text_.find('\n', begin);
  return trimmed(text_.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
}

std::optional<long long> ProcStatus::number(const std::string& name) const {
  std::istringstream value(field(name));
  long long number = 0;
  if (!(value >> number)) return std::nullopt;
  return number;
}

uint64_t ProcStatus::capabilities(const std::string& name) const {
  std::string value = field(name);
  return value.empty() ? 0 : std::stoull(value, nullptr, 16);
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::optional<std::string> text = read_text("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  // "pid (comm) S ppid ..." where comm may hold spaces and parentheses: the
  // fields start after the last ')'.
  size_t close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text->substr(close + 1));
  ProcStat stat;
  long long skipped = 0;
  unsigned long long flags = 0;
  fields >> stat.state >> stat.parent;
  for (int i = 0; i < 4; ++i) fields >> skipped;  // pgrp session tty_nr tpgid
  fields >> flags;
  constexpr unsigned long long kProcessExiting = 0x4;  // PF_EXITING in the kernel's sched.h
  stat.exiting = (flags & kProcessExiting) != 0;
  return stat;
}

std::vector<pid_t> descendants_of(pid_t pid) {
  std::multimap<pid_t, pid_t> children;  // parent -> child
  std::error_code error;
  for (const std::filesystem::directory_entry& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t child = static_cast<pid_t>(std::stol(name));
    std::optional<ProcStat> stat = read_proc_stat(child);
    if (stat && stat->state != 'Z' && stat->state != 'X') children.emplace(stat->parent, child);
  }
  std::vector<pid_t> found;
  std::vector<pid_t> parents = {pid};
  while (!parents.empty()) {
    pid_t parent = parents.back();
    parents.pop_back();
    auto [begin, end] = children.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      found.push_back(it->second);
      parents.push_back(it->second);
    }
  }
  return found;
}

std::string process_name(pid_t pid) {
  std::optional<std::string> text = read_text("/proc/" + std::to_string(pid) + "/comm");
  return text ? trimmed(*text) : "?";
}

std::vector<std::string> split_command_line(const std::string& raw) {
  std::vector<std::string> arguments;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    arguments.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  // A program that rewrote its title (setproctitle: redis, nginx, postgres)
  // leaves its text followed by the NULs of the old arguments.
  while (!arguments.empty() && arguments.back().empty()) arguments.pop_back();
  return arguments;
}

uint64_t resident_bytes(pid_t pid) {
  std::optional<std::string> text = read_text("/proc/" + std::to_string(pid) + "/statm");
  unsigned long long size = 0;
  unsigned long long resident = 0;
  if (!text || std::sscanf(text->c_str(), "%llu %llu", &size, &resident) != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

namespace {

// Where /proc/PID/<name> links to; "" if unreadable.
std::string proc_link(pid_t pid, const char* name) {
  char target[4096];
  std::string link = "/proc/" + std::to_string(pid) + "/" + name;
  ssize_t length = ::readlink(link.c_str(), target, sizeof(target) - 1);
  return length > 0 ? std::string(target, static_cast<size_t>(length)) : std::string();
}

}  // namespace

std::string working_directory(pid_t pid) { return proc_link(pid, "cwd"); }

std::string executable_path(pid_t pid) { return proc_link(pid, "exe"); }

std::vector<std::string> command_line(pid_t pid) {
  std::optional<std::string> raw = read_text("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> arguments = raw ? split_command_line(*raw) : std::vector<std::string>{};
  if (arguments.empty()) arguments.push_back(process_name(pid));  // a kernel thread, or a title of NULs
  return arguments;
}

}  // namespace leakspy
