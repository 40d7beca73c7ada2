// Diagnosis target: leaks through the C++ standard library from three known
// lines, each in a function of its own: std::string, std::vector and
// std::map allocate inside libstdc++ (or inlined std:: code), and the site
// must be the user's line.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {
std::vector<std::string> names;
std::vector<std::vector<int>> tables;
std::map<int, long> index_of;
}  // namespace

__attribute__((noinline)) void remember_name(int i) {
  names.emplace_back(std::string(200 + i % 3, 'a'));  // LEAK string
}

__attribute__((noinline)) void remember_table(int i) {
  std::vector<int> table(1000 + i % 5);  // LEAK vector
  tables.push_back(std::move(table));
}

__attribute__((noinline)) void remember_index(int i) {
  index_of[i] = i;  // LEAK map
}

int main() {
  names.reserve(2000);
  tables.reserve(2000);
  for (int i = 0; i < 2000; ++i) {
    remember_name(i);
    remember_table(i);
    remember_index(i);
  }
  std::printf("kept %zu %zu %zu\n", names.size(), tables.size(), index_of.size());
  std::fflush(stdout);
  std::_Exit(0);  // nothing freed: the leaks are live at the end
}
