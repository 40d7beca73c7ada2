// Which Python types grow (issue 17): `growth --types` on the agent's
// censuses of live objects by type, on every interpreter present. Sessions
// kept in a module-level list grow; the same class in a bounded cache does not.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/interpreter_test.h"
#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"

namespace leakspy {
namespace {

using nlohmann::json;
using test::python_target;

class PythonTypes : public test::InterpreterTest {
 protected:
  // Runs the target in `mode` for 6 s; `growth --types --json` of it.
  json type_growth(const std::string& python, const std::string& mode) {
    std::string capture = directory_ + "/" + mode + ".lspy";
    test::ProcessResult run = test::run_process(
        {test::leakspy_binary(), "run", "-o", capture, "--", python, python_target("types_registry.py"), mode, "6"},
        120);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    test::ProcessResult growth =
        test::run_leakspy({"growth", capture, "--types", "--json", "-n", "0", "--min-duration", "2s"});
    EXPECT_EQ(growth.exit_code, 0) << growth.err;
    return json::parse(growth.out)["python_types"];
  }
  static json type_named(const json& types, const std::string& name) {
    for (const json& type : types["types"]) {
      if (type["name"] == name) return type;
    }
    ADD_FAILURE() << "no type " << name << " in " << types.dump(1).substr(0, 3000);
    return json::object();
  }
};

TEST_P(PythonTypes, InstancesKeptInAGlobalRegistryAreAGrowingType) {
  json types = type_growth(GetParam().path, "registry");
  EXPECT_GE(types["censuses"].get<int>(), 4) << "about one a second";
  json session = type_named(types, "__main__.Session");
  EXPECT_EQ(session["verdict"], "leak") << session.dump(1);
  double slope = session["slope_objects_per_second"];
  std::printf("%s: Session grows %.1f objects/s (50 are made a second)\n", GetParam().name.c_str(), slope);
  EXPECT_NEAR(slope, 50, 15);
  EXPECT_GE(session["objects_at_end"].get<int>(), 200);
  // Nothing else grows but the Sessions' dicts (their __dict__ before 3.11,
  // which embeds it, and their headers).
  for (const json& type : types["types"]) {
    if (type["verdict"] != "leak") continue;
    EXPECT_TRUE(type["name"] == "__main__.Session" || type["name"] == "dict") << type.dump(1);
  }
}

TEST_P(PythonTypes, TheSameClassInABoundedCacheIsNotGrowing) {
  json types = type_growth(GetParam().path, "cache");
  json session = type_named(types, "__main__.Session");
  EXPECT_NE(session["verdict"], "leak") << session.dump(1);
  EXPECT_LE(session["objects_at_end"].get<int>(), 41);
}

LEAKSPY_FOR_EVERY_INTERPRETER(PythonTypes);

}  // namespace
}  // namespace leakspy
