#include "agent/mapping_protection.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace leakspy::agent {

namespace {

uint64_t parse_hex(const char*& p, const char* end) {
  uint64_t value = 0;
  while (p < end) {
    char c = *p;
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) break;
    value = value * 16 + static_cast<uint64_t>(digit);
    ++p;
  }
  return value;
}

// "start-end perms ..." -> the protection if the line covers `address`.
Protection check_line(const char* line, const char* end, uintptr_t address) {
  const char* p = line;
  uint64_t start = parse_hex(p, end);
  if (p == end || *p != '-') return Protection::Unknown;
  ++p;
  uint64_t stop = parse_hex(p, end);
  if (address < start || address >= stop || end - p < 3) return Protection::Unknown;
  return p[2] == 'w' ? Protection::Writable : Protection::ReadOnly;  // p[0] is the space
}

}  // namespace

Protection protection_of(uintptr_t address) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Protection::Unknown;
  char buffer[4096];
  size_t kept = 0;  // bytes of an unfinished line carried over
  Protection result = Protection::Unknown;
  for (;;) {
    ssize_t n = read(fd, buffer + kept, sizeof(buffer) - kept);
    if (n <= 0) break;
    size_t filled = kept + static_cast<size_t>(n);
    const char* line = buffer;
    const char* end = buffer + filled;
    for (const char* newline; (newline = static_cast<const char*>(memchr(line, '\n', end - line))) != nullptr;
         line = newline + 1) {
      result = check_line(line, newline, address);
      if (result != Protection::Unknown) break;
    }
    if (result != Protection::Unknown) break;
    kept = static_cast<size_t>(end - line);
    if (kept == sizeof(buffer)) kept = 0;  // a line longer than the buffer: skip it
    memmove(buffer, line, kept);
  }
  close(fd);
  return result;
}

}  // namespace leakspy::agent
