#pragma once
// Writes small synthetic captures with chosen memory trends over time, for
// the growth, diff and timeline tests: stacks of one named native frame
// each (a Symbol record names it), allocations and frees at chosen seconds,
// RSS counters, optionally "attached mid-run". Addresses of the frames
// depend on `module_bias`, so that two captures of "the same program" can
// differ in every address and still name the same functions.

#include <cstdint>
#include <string>
#include <vector>

#include "capture/capture_writer.h"

namespace leakspy::test {

class TrendCapture {
 public:
  struct Options {
    bool attached_mid_run = false;
    uint64_t module_bias = 0x555500000000;
  };
  TrendCapture(const std::string& path, const Options& options);

  // A stack main > `function` (at `line` of server.c); returns its stack id.
  uint32_t stack(const std::string& function, uint32_t line);
  // An allocation of `size` bytes at `seconds` on `stack` (heap 0 malloc,
  // 1 mmap, 2 python); returns its address.
  uint64_t alloc(double seconds, uint32_t stack, uint64_t size, uint32_t heap = 0);
  void free(double seconds, uint64_t address, uint32_t heap = 0);
  void rss(double seconds, uint64_t bytes);
  // A Counters record with the malloc heap's live bytes, after an Allocator
  // record of glibc's accounting when `allocator` is given.
  void memory(double seconds, uint64_t rss_bytes, uint64_t malloc_live_bytes,
              const capture::AllocatorRecord* allocator = nullptr);
  // A census of Python objects by type name.
  void python_types(double seconds, const std::vector<std::pair<std::string, uint64_t>>& counts);
  // Symbols and the trailer, with the recording ending at `seconds`.
  void finish(double seconds);

 private:
  void at(double seconds);
  StringId text(const std::string& value);

  capture::CaptureWriter writer_;
  Options options_;
  uint32_t next_string_ = 1;
  uint32_t next_stack_ = 2;  // 1 is main
  uint64_t next_address_ = 0x100000;
  uint64_t now_ = 0;
  std::vector<std::pair<uint64_t, std::string>> functions_;  // frame address, name
  std::vector<uint32_t> lines_;
};

// The 20 s service the growth and timeline tests read, step by step every
// 0.1 s: `remember` (server.c:10) keeps `leak_bytes` in `leak_blocks`
// blocks; `warm_cache` (:30) fills 2 MiB on `cache_heap` in the first 2 s
// and keeps it; RSS is `rss_base` + step x `rss_step`. Optionally `scratch`
// (:20) makes 60 KB blocks that live 50 ms, `map_file` (:50) maps 1 MiB on
// the mmap heap every 5 s for 2 s, and a block allocated before the
// recording is freed every second (for a capture attached mid-run).
struct ServiceTrend {
  uint64_t leak_bytes = 100;
  uint32_t leak_blocks = 1;
  uint32_t cache_heap = 0;
  bool churn = false;
  bool mapping = false;
  bool frees_from_before = false;
  uint64_t rss_base = 50'000'000;
  uint64_t rss_step = 1000;
};
void write_service_trend(const std::string& path, const TrendCapture::Options& options, const ServiceTrend& trend);

}  // namespace leakspy::test
