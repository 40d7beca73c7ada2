#include "cli/agent_library.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "attach/agent_placement.h"
#include "capture/wire.h"
#include "common/error.h"

namespace leakspy::cli {

namespace {

namespace fs = std::filesystem;

std::string checked(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error(ErrorKind::AgentFailed, "the agent library " + path.string() + " is missing");
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    throw Error(ErrorKind::AgentFailed, "refusing to load " + path.string() +
                                            ": it is writable by group or others; run chmod go-w on it");
  }
  return fs::absolute(path).lexically_normal().string();
}

}  // namespace

std::string locate_agent_library() {
  if (const char* forced = std::getenv("LEAKSPY_AGENT"); forced != nullptr && forced[0] != '\0') {
    return checked(forced);
  }
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) throw Error(ErrorKind::AgentFailed, "cannot find the leakspy binary's own path");
  fs::path bin = self.parent_path();
  for (const fs::path& candidate : {bin / "../lib" / wire::kAgentFileName, bin / "../lib/leakspy" / wire::kAgentFileName}) {
    if (fs::exists(candidate)) return checked(candidate);
  }
  throw Error(ErrorKind::AgentFailed, std::string("cannot find ") + wire::kAgentFileName + " next to " + self.string() +
                                          " (looked in ../lib and ../lib/leakspy); set LEAKSPY_AGENT to its path");
}

AgentSource open_agent_library() {
  AgentSource agent;
  agent.path = locate_agent_library();
  agent.file.reset(::open(agent.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!agent.file) throw_errno(ErrorKind::AgentFailed, "cannot open leakspy's agent " + agent.path);
  agent.content_name = attach::agent_content_name(agent.file.get());
  return agent;
}

attach::ViewResult place_agent_work(const AgentSource& agent) {
  attach::ViewResult result;
  result.text = attach::place_agent(agent.file.get(), agent.path, agent.content_name);
  return result;
}

}  // namespace leakspy::cli
