#include "agent/exec_environment.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "capture/wire.h"

namespace leakspy::agent {

namespace {

constexpr char kPreloadName[] = "LD_PRELOAD";

// Whether `entry` ("NAME=value") sets `name`.
bool sets(const char* entry, const char* name) {
  size_t length = std::strlen(name);
  return std::strncmp(entry, name, length) == 0 && entry[length] == '=';
}

bool is_agent_variable(const char* entry) {
  return sets(entry, kPreloadName) || sets(entry, wire::kSocketVariable) || sets(entry, wire::kRecordedPidVariable);
}

// Appends "NAME=" and `value` at `cursor`; returns the end (past the NUL).
char* put_variable(char* cursor, const char* name, const char* value) {
  size_t name_length = std::strlen(name);
  size_t value_length = std::strlen(value);
  std::memcpy(cursor, name, name_length);
  cursor[name_length] = '=';
  std::memcpy(cursor + name_length + 1, value, value_length + 1);
  return cursor + name_length + 1 + value_length + 1;
}

// The mapping's size sits in front of the array, for the munmap.
constexpr size_t kHeader = 16;

}  // namespace

size_t preload_without_agent(const char* preload, char* out, size_t capacity) {
  size_t used = 0;
  if (capacity == 0) return 0;
  const char* cursor = preload;
  while (*cursor != '\0') {
    size_t length = std::strcspn(cursor, ": ");
    bool ours = memmem(cursor, length, wire::kAgentFileStem, sizeof(wire::kAgentFileStem) - 1) != nullptr;
    size_t needed = (used > 0 ? 1 : 0) + length + 1;  // separator, entry, NUL
    if (!ours && length > 0 && used + needed <= capacity) {
      if (used > 0) out[used++] = ':';
      std::memcpy(out + used, cursor, length);
      used += length;
    }
    cursor += length;
    while (*cursor == ':' || *cursor == ' ') ++cursor;
  }
  out[used] = '\0';
  return used;
}

char** make_exec_environment(char* const* environment, const AgentVariables& variables) {
  size_t count = 0;
  size_t old_preload = 0;
  const char* preload = nullptr;
  if (environment != nullptr) {
    for (; environment[count] != nullptr; ++count) {
      if (sets(environment[count], kPreloadName)) {
        preload = environment[count] + sizeof(kPreloadName);
        old_preload = std::strlen(preload);
      }
    }
  }
  // The three new entries, each "NAME=value\0", LD_PRELOAD with room for
  // the program's own entries after the agent's.
  size_t strings = sizeof(kPreloadName) + 1 + std::strlen(variables.agent_path) + 1 + old_preload + 1 +
                   sizeof(wire::kSocketVariable) + 1 + std::strlen(variables.recorder_address) + 1 +
                   sizeof(wire::kRecordedPidVariable) + 1 + std::strlen(variables.recorded_pid) + 1;
  size_t size = kHeader + (count + 4) * sizeof(char*) + strings;
  // The raw system call: the agent's own memory is not the program's.
  long mapped = syscall(SYS_mmap, nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == -1) return nullptr;
  auto* base = reinterpret_cast<char*>(mapped);
  std::memcpy(base, &size, sizeof(size));
  auto** made = reinterpret_cast<char**>(base + kHeader);
  char* text = reinterpret_cast<char*>(made + count + 4);

  size_t next = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!is_agent_variable(environment[i])) made[next++] = environment[i];
  }
  made[next++] = text;
  std::memcpy(text, kPreloadName, sizeof(kPreloadName) - 1);
  char* value = text + sizeof(kPreloadName) - 1;
  *value++ = '=';
  size_t agent_length = std::strlen(variables.agent_path);
  std::memcpy(value, variables.agent_path, agent_length);
  value += agent_length;
  if (preload != nullptr) {
    *value = ':';
    size_t kept = preload_without_agent(preload, value + 1, old_preload + 1);
    if (kept > 0) value += 1 + kept;
  }
  *value++ = '\0';
  made[next++] = value;
  value = put_variable(value, wire::kSocketVariable, variables.recorder_address);
  made[next++] = value;
  put_variable(value, wire::kRecordedPidVariable, variables.recorded_pid);
  made[next] = nullptr;
  return made;
}

void release_exec_environment(char** made) {
  if (made == nullptr) return;
  char* base = reinterpret_cast<char*>(made) - kHeader;
  size_t size = 0;
  std::memcpy(&size, base, sizeof(size));
  syscall(SYS_munmap, base, size);
}

}  // namespace leakspy::agent
