// The environment the agent gives a program started from a recorded process.
#include "agent/exec_environment.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace leakspy::agent {
namespace {

const AgentVariables kVariables = {"/opt/leakspy/lib/libleakspy_agent.so", "@leakspy-1", "42"};

std::vector<std::string> made_from(std::vector<std::string> entries) {
  std::vector<char*> environment;
  for (std::string& entry : entries) environment.push_back(entry.data());
  environment.push_back(nullptr);
  char** made = make_exec_environment(environment.data(), kVariables);
  EXPECT_NE(made, nullptr);
  std::vector<std::string> result;
  for (char** entry = made; entry != nullptr && *entry != nullptr; ++entry) result.emplace_back(*entry);
  release_exec_environment(made);
  return result;
}

TEST(ExecEnvironment, AnEnvironmentWithoutTheVariablesGetsThem) {
  EXPECT_EQ(made_from({"PATH=/usr/bin", "HOME=/root"}),
            (std::vector<std::string>{"PATH=/usr/bin", "HOME=/root", "LD_PRELOAD=/opt/leakspy/lib/libleakspy_agent.so",
                                      "LEAKSPY_SOCKET=@leakspy-1", "LEAKSPY_PID=42"}));
}

TEST(ExecEnvironment, TheProgramsOwnPreloadsStayAfterTheAgent) {
  std::vector<std::string> made = made_from({"LD_PRELOAD=/usr/lib/libjemalloc.so.2 /tmp/libleakspy_agent.so:libx.so"});
  ASSERT_EQ(made.size(), 3u);
  EXPECT_EQ(made[0], "LD_PRELOAD=/opt/leakspy/lib/libleakspy_agent.so:/usr/lib/libjemalloc.so.2:libx.so");
}

TEST(ExecEnvironment, OldValuesOfTheVariablesAreReplaced) {
  std::vector<std::string> made =
      made_from({"LEAKSPY_PID=7", "A=1", "LEAKSPY_SOCKET=@old", "LD_PRELOAD=/x/libleakspy_agent.so", "LEAKSPY_PIDX=1"});
  EXPECT_EQ(made, (std::vector<std::string>{"A=1", "LEAKSPY_PIDX=1", "LD_PRELOAD=/opt/leakspy/lib/libleakspy_agent.so",
                                            "LEAKSPY_SOCKET=@leakspy-1", "LEAKSPY_PID=42"}));
}

TEST(ExecEnvironment, NoEnvironmentAtAllGetsTheVariablesOnly) {
  char** made = make_exec_environment(nullptr, kVariables);
  ASSERT_NE(made, nullptr);
  EXPECT_STREQ(made[0], "LD_PRELOAD=/opt/leakspy/lib/libleakspy_agent.so");
  EXPECT_EQ(made[3], nullptr);
  release_exec_environment(made);
}

TEST(ExecEnvironment, PreloadWithoutTheAgentKeepsAnEntryThatFillsTheBuffer) {
  char out[8];
  EXPECT_EQ(preload_without_agent("abcdefg", out, sizeof(out)), 7u);
  EXPECT_STREQ(out, "abcdefg");
  EXPECT_EQ(preload_without_agent("abcdefg:h", out, sizeof(out)), 7u) << "what does not fit is left out";
  EXPECT_EQ(preload_without_agent("/a/libleakspy_agent.so", out, sizeof(out)), 0u);
  EXPECT_STREQ(out, "");
}

}  // namespace
}  // namespace leakspy::agent
