#include "agent/agent_log.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "agent/decimal_text.h"

namespace leakspy::agent {

namespace {
constinit bool debug_enabled = false;

void append(char* buffer, size_t* used, size_t capacity, const char* text) {
  size_t length = std::strlen(text);
  if (*used + length > capacity) length = capacity - *used;
  std::memcpy(buffer + *used, text, length);
  *used += length;
}
}  // namespace

void init_agent_log() {
  const char* value = std::getenv("LEAKSPY_AGENT_DEBUG");
  debug_enabled = value != nullptr && value[0] != '\0' && value[0] != '0';
}

bool agent_debug_enabled() { return debug_enabled; }

void agent_log(const char* text, uint64_t number, const char* text2, bool has_number) {
  char buffer[512];
  size_t used = 0;
  append(buffer, &used, sizeof(buffer) - 1, "leakspy-agent: ");
  append(buffer, &used, sizeof(buffer) - 1, text);
  if (has_number) {
    char digits[kDecimalDigitsMax];
    size_t count = decimal_text(number, digits);
    for (size_t i = 0; i < count && used < sizeof(buffer) - 1; ++i) buffer[used++] = digits[i];
  }
  if (text2 != nullptr) append(buffer, &used, sizeof(buffer) - 1, text2);
  buffer[used++] = '\n';
  ssize_t ignored = write(STDERR_FILENO, buffer, used);
  (void)ignored;
}

}  // namespace leakspy::agent
