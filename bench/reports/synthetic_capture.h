#pragma once
// Writes a capture shaped like a busy service's: thousands of stacks 5 to 30
// frames deep over a few hundred symbolized functions (some with inline
// chains), several threads, mostly short-lived blocks whose addresses a
// size-class allocator reuses, some long-lived and leaked ones, reallocs and
// a few mmaps. Deterministic for a given seed.

#include <cstdint>
#include <string>

namespace leakspy::bench {

struct SyntheticCaptureOptions {
  uint64_t events = 10'000'000;
  uint32_t stacks = 5000;
  uint32_t functions = 400;
  uint32_t threads = 8;
  uint64_t seed = 1;
};

void write_synthetic_capture(const std::string& path, const SyntheticCaptureOptions& options);

}  // namespace leakspy::bench
