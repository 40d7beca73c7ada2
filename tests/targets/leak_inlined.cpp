// Deterministic C++ target whose leak is made inside an inlined function:
// cache::make_entry (always inlined into cache::fill) leaks exactly
// 500 x 256 bytes through operator new[]. Reports must name make_entry at its
// own line, inlined into fill at the call's line, with operator new[] skipped.
#include <cstdio>
#include <cstring>
#include <vector>

namespace cache {

__attribute__((always_inline)) inline char* make_entry(std::size_t size) {
  char* entry = new char[size];  // LEAK: make_entry
  std::memset(entry, 1, size);
  return entry;
}

__attribute__((noinline)) void fill(std::vector<char*>& entries, int count) {
  for (int i = 0; i < count; ++i) entries.push_back(make_entry(256));  // CALL: fill
}

}  // namespace cache

int main() {
  auto* entries = new std::vector<char*>();  // kept to the end, like the entries
  entries->reserve(500);
  cache::fill(*entries, 500);
  std::printf("leaked %zu entries\n", entries->size());
  return 0;
}
