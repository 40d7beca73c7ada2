#pragma once
// This test binary as a symbolize::ModuleFile (path, build-id, load bias and
// segments as the agent would report them), and probes with known lines.

#include <cstdint>

#include "symbolize/symbol_types.h"

namespace leakspy::symbolize::test {

ModuleFile self_module();

// Returns the return address of its call into return_address(), which lies in
// inlined_probe (line kInlinedProbeLine) inlined into outer_probe (line
// kOuterProbeLine), both in self_module.cpp.
uintptr_t outer_probe();
extern const uint32_t kInlinedProbeLine;
extern const uint32_t kOuterProbeLine;

}  // namespace leakspy::symbolize::test
