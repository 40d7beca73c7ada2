#include "tests/support/source_lines.h"

#include <fstream>

namespace leakspy::test {

int line_marked(const std::string& path, const std::string& marker) {
  std::ifstream file(path);
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (line.find(marker) != std::string::npos) return number;
  }
  return 0;
}

}  // namespace leakspy::test
