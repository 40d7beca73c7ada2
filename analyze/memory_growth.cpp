#include "analyze/memory_growth.h"

#include <algorithm>
#include <cstdio>

namespace leakspy::analyze {

namespace {

constexpr uint64_t kRssStableGrowth = 1u << 20;  // pages come and go: less is noise
constexpr double kExplainedShare = 0.5;          // of RSS's slope, for a cause to explain it

uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

std::string megabytes_per_second(double bytes) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f MB/s", bytes / 1e6);
  return text;
}

// A sample of the program's life: before its exit, read while it ran.
bool counts(const CaptureModel& model, const RssSample& sample) {
  return sample.time <= model.end_time && sample.bytes != 0;  // 0: the process was gone when it was read
}

uint64_t retained_bytes(const MemorySplit& split) { return split.allocator_free + split.allocator_other; }

}  // namespace

const char* rss_cause_name(RssCause cause) {
  switch (cause) {
    case RssCause::NoSamples: return "no samples";
    case RssCause::NotEnoughData: return "not enough data";
    case RssCause::NotGrowing: return "not growing";
    case RssCause::LiveAllocations: return "leak";
    case RssCause::AllocatorRetention: return "allocator retention";
    case RssCause::Untracked: return "untracked memory";
    case RssCause::Unexplained: return "unexplained";
  }
  return "unknown";
}

MemorySplit split_memory(const RssSample& sample) {
  MemorySplit split;
  split.rss = sample.bytes;
  split.live_heap = sample.malloc_live_bytes;
  split.mmap = sample.mmap_live_bytes;
  split.has_allocator = sample.has_allocator;
  uint64_t accounted = split.live_heap + split.mmap;
  if (sample.has_allocator) {
    const capture::AllocatorRecord& allocator = sample.allocator;
    split.allocator_free = allocator.free_bytes;
    split.releasable = std::min(allocator.releasable_bytes, allocator.free_bytes);
    split.allocator_other = minus(allocator.in_use_bytes + allocator.mmapped_bytes, sample.malloc_live_bytes);
    accounted += split.allocator_free + split.allocator_other;
  }
  split.rest = minus(split.rss, accounted);
  return split;
}

std::optional<MemorySplit> memory_at_end(const CaptureModel& model) {
  for (auto sample = model.rss.rbegin(); sample != model.rss.rend(); ++sample) {
    if (counts(model, *sample)) return split_memory(*sample);
  }
  return std::nullopt;
}

std::vector<SliceLive> slice_samples(const std::vector<double>& times, const std::vector<uint64_t>& values,
                                     uint32_t slices) {
  std::vector<SliceLive> series(slices);
  if (values.empty() || slices == 0) return series;
  std::vector<bool> seen(slices, false);
  for (size_t i = 0; i < values.size(); ++i) {
    if (times[i] < 0) continue;
    auto slice = static_cast<size_t>(times[i]);
    if (slice >= slices) break;  // after the window (the program's teardown)
    SliceLive& live = series[slice];
    if (!seen[slice]) live = {values[i], values[i], values[i]};
    live.low = std::min(live.low, values[i]);
    live.high = std::max(live.high, values[i]);
    live.end = values[i];
    seen[slice] = true;
  }
  uint64_t last = values.front();
  for (uint32_t slice = 0; slice < slices; ++slice) {
    if (!seen[slice]) series[slice] = {last, last, last};
    last = series[slice].end;
  }
  return series;
}

MemoryGrowth analyze_memory_growth(const CaptureModel& model, const VerdictThresholds& thresholds) {
  MemoryGrowth result;
  if (model.rss.empty() || !model.slices || model.slices->count() == 0) {
    result.reason = "the capture has no RSS samples";
    return result;
  }
  const TimeSlices& slices = *model.slices;
  std::vector<double> times, allocator_times;
  std::vector<uint64_t> rss, live, retained;
  // The agent's first allocator sample may come after the first Counters:
  // the accounting holds from its first sample on, if every later one has it.
  bool has_allocator = false;
  const RssSample* last = nullptr;
  for (const RssSample& sample : model.rss) {
    if (!counts(model, sample)) continue;
    MemorySplit split = split_memory(sample);
    double time = static_cast<double>(sample.time) / slices.slice_units();
    times.push_back(time);
    rss.push_back(split.rss);
    live.push_back(split.live_heap + split.mmap);
    if (sample.has_allocator) {
      if (allocator_times.empty()) has_allocator = true;
      allocator_times.push_back(time);
      retained.push_back(retained_bytes(split));
    } else {
      has_allocator = false;
    }
    last = &sample;
  }
  if (last == nullptr) {
    result.reason = "the capture has no RSS samples";
    return result;
  }
  result.at_end = split_memory(*last);
  result.has_allocator = has_allocator;
  double seconds = model.seconds(1) * slices.covered_units();
  result.rss = classify_growth(slice_samples(times, rss, slices.count()), seconds, thresholds);
  result.live = classify_growth(slice_samples(times, live, slices.count()), seconds, thresholds);
  if (has_allocator) {
    result.retained =
        classify_growth(slice_samples(allocator_times, retained, slices.count()), seconds, thresholds);
  }

  double rss_slope = result.rss.slope;
  std::string rate = megabytes_per_second(rss_slope);
  if (result.rss.verdict == Verdict::NotEnoughData) {
    result.cause = RssCause::NotEnoughData;
    result.reason = result.rss.reason;
  } else if (result.rss.verdict != Verdict::Leak || result.rss.growth < kRssStableGrowth) {
    result.cause = RssCause::NotGrowing;
    result.reason = result.rss.verdict == Verdict::Leak
                        ? "RSS rises by less than 1 MiB over the recording"
                        : std::string("RSS does not keep rising (") + verdict_name(result.rss.verdict) + ")";
  } else if (result.live.slope >= kExplainedShare * rss_slope) {
    result.cause = RssCause::LiveAllocations;
    result.reason = "RSS grows " + rate + " and live allocations grow " + megabytes_per_second(result.live.slope) +
                    " with it: the leaking sites explain it";
  } else if (has_allocator && result.retained.slope >= kExplainedShare * rss_slope) {
    result.cause = RssCause::AllocatorRetention;
    result.reason = "RSS grows " + rate + " from allocator retention/fragmentation, not from live allocations: " +
                    "live bytes grow " + megabytes_per_second(result.live.slope) + ", memory glibc keeps " +
                    megabytes_per_second(result.retained.slope);
    result.advice =
        "what helps: MALLOC_ARENA_MAX=2 (fewer arenas), MALLOC_TRIM_THRESHOLD_=131072 or calling malloc_trim(0) "
        "(free memory returned sooner), MALLOC_MMAP_THRESHOLD_=65536 (large blocks mapped one by one)";
  } else if (has_allocator) {
    result.cause = RssCause::Untracked;
    result.reason = "RSS grows " + rate + " outside the recorded heaps and glibc's arenas: thread stacks, " +
                    "mappings made past the hooks (direct syscalls), or another allocator";
  } else {
    result.cause = RssCause::Unexplained;
    result.reason = "RSS grows " + rate + " while live allocations grow " + megabytes_per_second(result.live.slope) +
                    "; the program's malloc is not glibc's, so leakspy cannot tell retention from untracked memory";
  }
  return result;
}

}  // namespace leakspy::analyze
