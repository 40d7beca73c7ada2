#pragma once
// A test run once per wanted interpreter (python_interpreters.h), in a
// temporary directory of its own that is removed afterwards; an absent
// interpreter is skipped with the reason. Header-only: it needs GoogleTest,
// which only test binaries link.
//
//   class PythonRun : public test::InterpreterTest {};
//   TEST_P(PythonRun, ...) { ... GetParam().path ... directory_ ... }
//   LEAKSPY_FOR_EVERY_INTERPRETER(PythonRun);

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"

namespace leakspy::test {

class InterpreterTest : public ::testing::TestWithParam<Interpreter> {
 protected:
  void SetUp() override {
    if (GetParam().path.empty()) {
      GTEST_SKIP() << "python " << GetParam().minor << " (" << GetParam().name << ") is not installed";
    }
    directory_ = make_temp_dir();
  }
  void TearDown() override {
    if (!directory_.empty()) std::system(("rm -rf " + directory_).c_str());
  }
  std::string directory_;
};

}  // namespace leakspy::test

#define LEAKSPY_FOR_EVERY_INTERPRETER(suite)                                                             \
  INSTANTIATE_TEST_SUITE_P(Interpreters, suite, ::testing::ValuesIn(::leakspy::test::wanted_interpreters()), \
                           [](const ::testing::TestParamInfo<::leakspy::test::Interpreter>& param) {     \
                             return param.param.name;                                                     \
                           })
