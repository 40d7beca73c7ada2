#pragma once
// Why the resident set grows: the process's RSS over the time slices,
// against what the recording saw live (malloc and mmap) and what glibc's
// own accounting says it keeps (capture::AllocatorRecord). RSS that rises
// with live bytes is a leak (the sites say where); RSS that rises while live
// bytes do not, with the allocator's free and unaccounted chunks rising
// instead, is allocator retention or fragmentation, which no site explains
// and tunables or malloc_trim help. docs/leak-verdicts.md gives the rules.
// Pure functions of the model; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/capture_model.h"
#include "analyze/growth_verdict.h"

namespace leakspy::analyze {

// Where a moment's resident set goes. The parts are measured differently
// (RSS in resident pages; the allocator's in address space it holds), so
// `rest` is what is left when they are taken from RSS, at least 0.
struct MemorySplit {
  uint64_t rss = 0;
  uint64_t live_heap = 0;        // the malloc heap's live blocks, as recorded
  uint64_t mmap = 0;             // the mmap heap's live mappings, as recorded
  bool has_allocator = false;    // the parts below come from glibc's accounting
  uint64_t allocator_free = 0;   // free chunks glibc keeps inside its arenas
  uint64_t allocator_other = 0;  // glibc's in-use chunks beyond the recorded live blocks: headers,
                                 // thread caches, blocks allocated before the recording began
  uint64_t releasable = 0;       // of the free: the main arena's top, which malloc_trim returns at once
  uint64_t rest = 0;             // code, stacks, unrecorded mappings
};
MemorySplit split_memory(const RssSample& sample);
// The split of the last sample within the program's life (model.end_time)
// taken while it ran; none when the capture has no such sample.
std::optional<MemorySplit> memory_at_end(const CaptureModel& model);

enum class RssCause {
  NoSamples,           // the capture has no RSS samples
  NotEnoughData,       // too short to tell
  NotGrowing,          // RSS does not keep rising
  LiveAllocations,     // "leak": RSS rises with live bytes, which the leaking sites explain
  AllocatorRetention,  // RSS rises with the allocator's free/unaccounted memory, not with live bytes
  Untracked,           // RSS rises outside the heaps and the allocator: stacks, untracked mappings
  Unexplained,         // RSS rises, live bytes do not, and there is no allocator accounting to say why
};
const char* rss_cause_name(RssCause cause);

struct MemoryGrowth {
  RssCause cause = RssCause::NoSamples;
  GrowthVerdict rss;       // of the RSS series
  GrowthVerdict live;      // of the live bytes (malloc and mmap) series
  GrowthVerdict retained;  // of the allocator's free and unaccounted bytes series
  bool has_allocator = false;
  MemorySplit at_end;      // the last sample that counts
  std::string reason;      // one sentence: why this cause
  std::string advice;      // what helps, for allocator retention; else empty
};

// Slices the model's RSS samples as its time slices are cut (model.slices),
// and classifies each series with `thresholds` (RSS moves in pages: a rise
// under 1 MiB is not growth, whatever stable_max_growth says).
MemoryGrowth analyze_memory_growth(const CaptureModel& model, const VerdictThresholds& thresholds);

// The series by slice from time-stamped values: each slice's low, high and
// last value, a slice without a sample keeping the last value before it
// (the first sample's before any). `times` are in slice units, rising.
std::vector<SliceLive> slice_samples(const std::vector<double>& times, const std::vector<uint64_t>& values,
                                     uint32_t slices);

}  // namespace leakspy::analyze
