#pragma once
// The CPython interpreters on this machine that tests run against: Debian's
// /usr/bin/python3 and pyenv's 3.9 to 3.13.

#include <ostream>
#include <string>
#include <vector>

namespace leakspy::test {

struct Interpreter {
  std::string name;  // "debian-3.11", "pyenv-3.9": usable in a test name
  std::string path;  // empty when absent
  std::string minor;  // "3.11"
};

// Every interpreter the tests want, present or not: absent ones have an
// empty path, and tests skip them with a printed reason.
std::vector<Interpreter> wanted_interpreters();
// How GoogleTest names a parameter in its output.
inline void PrintTo(const Interpreter& interpreter, std::ostream* out) { *out << interpreter.name; }
// The path of a script of tests/targets/python.
std::string python_target(const std::string& name);
// Whether `python -c "import <module>"` works.
bool python_has_module(const Interpreter& interpreter, const std::string& module);

}  // namespace leakspy::test
