#pragma once
// A small synthetic capture with known numbers for the analyze and render
// tests (and their golden files): three heaps, native frames with an inline
// chain, operator new, an unresolved library, a Python frame, a stackless
// event, a realloc, a partial munmap, an unknown free, drops, and a peak in
// the middle. Deterministic: the same bytes every time.
//
// Expected for --heap host (malloc + python), see report_fixture.cpp:
//   live 3364, peak 7460 at 4 ms, allocated 10560 in 20 allocations.

#include <cstdint>
#include <string>

namespace leakspy::test {

struct ReportFixtureOptions {
  bool attached_mid_run = false;
  bool with_symbols = true;  // false: as if the recorder could not symbolize (or the capture was cut short)
  int exit_status = 0;       // -1: an exit whose status was not known (what record --pid writes)
};

void write_report_fixture(const std::string& path, const ReportFixtureOptions& options = {});

// Stack ids of the fixture's trace tree.
inline constexpr uint32_t kFixtureCacheStack = 3;    // main > handle_request > [inlined put] > operator new
inline constexpr uint32_t kFixtureParseStack = 4;    // main > parse_json
inline constexpr uint32_t kFixtureMysteryStack = 5;  // main > parse_json > libmystery.so+0x2000
inline constexpr uint32_t kFixturePythonStack = 6;   // main > load_model (python)

}  // namespace leakspy::test
