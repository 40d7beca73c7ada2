#pragma once
// Diagnostics from inside the target, written straight to stderr with
// write(2): no stdio, no allocation. Silent unless LEAKSPY_AGENT_DEBUG is set
// in the target's environment when the agent starts; warnings always print.

#include <cstdint>

namespace leakspy::agent {

void init_agent_log();
bool agent_debug_enabled();
// "leakspy-agent: <text><number><text2>\n"; number printed only if has_number.
void agent_log(const char* text, uint64_t number = 0, const char* text2 = nullptr, bool has_number = false);
inline void agent_debug(const char* text, uint64_t number, const char* text2 = "") {
  if (agent_debug_enabled()) agent_log(text, number, text2, true);
}

}  // namespace leakspy::agent
