#include "tests/support/python_interpreters.h"

#include <filesystem>

#include "tests/support/process.h"

namespace leakspy::test {

namespace fs = std::filesystem;

std::vector<Interpreter> wanted_interpreters() {
  std::vector<Interpreter> result;
  result.push_back({"debian_3_11", fs::exists("/usr/bin/python3.11") ? "/usr/bin/python3.11" : "", "3.11"});
  const char* home = std::getenv("PYENV_ROOT");
  fs::path root = home != nullptr ? fs::path(home) : fs::path("/root/.pyenv");
  for (const char* minor : {"3.9", "3.10", "3.11", "3.12", "3.13"}) {
    Interpreter interpreter{std::string("pyenv_") + minor, "", minor};
    interpreter.name[interpreter.name.find('.')] = '_';
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(root / "versions", error)) {
      std::string version = entry.path().filename().string();
      if (version.rfind(std::string(minor) + ".", 0) != 0) continue;
      fs::path binary = entry.path() / "bin" / (std::string("python") + minor);
      if (fs::exists(binary)) interpreter.path = binary.string();
    }
    result.push_back(interpreter);
  }
  return result;
}

bool python_has_module(const Interpreter& interpreter, const std::string& module) {
  if (interpreter.path.empty()) return false;
  return run_process({interpreter.path, "-c", "import " + module}, 120).exit_code == 0;
}

std::string python_target(const std::string& name) {
  return std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/python/" + name;
}

}  // namespace leakspy::test
