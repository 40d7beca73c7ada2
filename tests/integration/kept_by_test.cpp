// Who keeps a leak alive (issue 17): as a recording of a running Python
// program ends, leakspy asks the target which objects hold the growing
// site's objects, and check names the chain from its root with the line
// that grew the holder. The leaking loop keeps every loss in a module-level
// list, `history`, at the line marked KEPT.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/interpreter_test.h"
#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

using nlohmann::json;
using test::python_target;

// `run --duration 6` of kept_history.py in `mode` (which runs 8 s: the
// recording ends while it runs), then check's JSON.
json check_report(const std::string& directory, const std::string& python, const std::string& mode) {
  std::string capture = directory + "/" + mode + ".lspy";
  test::ProcessResult run = test::run_process({test::leakspy_binary(), "run", "--duration", "6", "-o", capture, "--",
                                               python, python_target("kept_history.py"), mode, "8"},
                                              180);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::string report = capture + ".json";
  test::ProcessResult check =
      test::run_leakspy({"check", capture, "--min-duration", "2s", "--json", report});
  EXPECT_EQ(check.exit_code, 20) << check.out << check.err;
  test::ProcessResult read = test::run_process({"cat", report});
  return json::parse(read.out);
}

// The leak at `line` of the script, with its kept_by.
json leak_at(const json& report, int line) {
  for (const json& leak : report["leaks"]) {
    if (leak["line"] == line && leak.contains("kept_by")) return leak;
  }
  ADD_FAILURE() << "no leak with kept_by at line " << line << ": " << report["leaks"].dump(1).substr(0, 4000);
  return json::object();
}

void expect_kept_by_history(const json& leak, const std::string& type, const std::string& kept_marker) {
  std::string script = python_target("kept_history.py");
  ASSERT_TRUE(leak.contains("kept_by")) << leak.dump(1);
  bool found = false;
  for (const json& kept : leak["kept_by"]) {
    if (kept["chain"] != "history (module global in __main__) -> list -> " + type) continue;
    found = true;
    ASSERT_TRUE(kept.contains("grown_at")) << kept.dump(1);
    EXPECT_EQ(kept["grown_at"]["file"], script);
    EXPECT_EQ(kept["grown_at"]["line"], test::line_marked(script, kept_marker));
  }
  EXPECT_TRUE(found) << leak["kept_by"].dump(1);
}

class KeptBy : public test::InterpreterTest {};

TEST_P(KeptBy, ALeakKeptInAModuleListNamesTheListAndTheLineThatGrewIt) {
  json report = check_report(directory_, GetParam().path, "plain");
  std::string script = python_target("kept_history.py");
  json leak = leak_at(report, test::line_marked(script, "# MADE: the loss object"));
  expect_kept_by_history(leak, "Loss", "# KEPT OBJECTS");
}

LEAKSPY_FOR_EVERY_INTERPRETER(KeptBy);

TEST(KeptByTorch, KeptLossTensorsNameHistoryAndTheAppendLine) {
  test::Interpreter debian = test::wanted_interpreters().front();
  if (!test::python_has_module(debian, "torch")) GTEST_SKIP() << "torch is not importable by " << debian.path;
  std::string directory = test::make_temp_dir();
  json report = check_report(directory, debian.path, "torch");
  std::string script = python_target("kept_history.py");
  json leak = leak_at(report, test::line_marked(script, "# MADE: the loss tensor"));
  expect_kept_by_history(leak, "Tensor", "# KEPT TENSORS");
  std::system(("rm -rf " + directory).c_str());
}

}  // namespace
}  // namespace leakspy
