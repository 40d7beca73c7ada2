// C++ target that counts its own allocations: global operator new/delete are
// replaced with counting versions that call malloc/free, and the measured
// section only uses the C++ library (std::vector growth, std::string,
// new/delete), so every malloc/free in it is one counted call. The section is
// bracketed by two marker allocations of unique sizes, so a test can count
// the events between them in the capture and compare with the printed counts.
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

namespace {
long news = 0;
long deletes = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++news;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  ++deletes;
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

constexpr std::size_t kBeginMarker = 0x5eed01;
constexpr std::size_t kEndMarker = 0x5eed02;

__attribute__((noinline)) long measured_section() {
  long checksum = 0;
  std::vector<int> numbers;
  for (int i = 0; i < 10000; ++i) numbers.push_back(i);  // grows by doubling
  checksum += numbers.back();
  std::vector<std::string> words;
  for (int i = 0; i < 500; ++i) {
    words.push_back(std::string(40 + i % 7, static_cast<char>('a' + i % 26)));  // past the small-string buffer
  }
  checksum += static_cast<long>(words[17].size());
  for (int i = 0; i < 300; ++i) {
    auto* value = new double[4 + i % 5];
    value[0] = i;
    checksum += static_cast<long>(value[0]);
    delete[] value;
  }
  return checksum;
}

int main() {
  void* volatile begin = std::malloc(kBeginMarker);
  long news_before = news;
  long deletes_before = deletes;
  long checksum = measured_section();
  long counted_news = news - news_before;
  long counted_deletes = deletes - deletes_before;
  void* volatile end = std::malloc(kEndMarker);
  std::free(begin);
  std::free(end);
  std::printf("news=%ld deletes=%ld checksum=%ld\n", counted_news, counted_deletes, checksum);
  return 0;
}
