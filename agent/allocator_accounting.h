#pragma once
// The allocator's own accounting, sampled for the recorder: glibc's
// mallinfo2 (mallinfo before glibc 2.33, whose int fields wrap), so that
// reports can tell the memory a program holds from the free memory its
// allocator keeps (capture::AllocatorRecord).
//
// mallinfo2 locks each arena in turn while it walks that arena's free lists:
// a thread allocating meanwhile waits for the walk of one arena. The sampler
// keeps that rare: samples are at least 100 ms apart, and 200 times as far
// apart as the last call took, so the walks take at most 0.5% of the time. A program whose malloc is not glibc's (jemalloc, tcmalloc
// preloaded) has no samples. Writer thread only; never allocates.

#include <cstdint>

#include "agent/transport.h"

namespace leakspy::agent {

class AllocatorSampler {
 public:
  // Sends a sample when one is due. False if the connection is gone.
  bool maybe_send(Transport& transport, uint64_t now_ns);
  // A new session samples at once.
  void reset() { next_ns_ = 0; }

 private:
  enum class Source { Unknown, Mallinfo2, Mallinfo, None };
  void find_source();

  Source source_ = Source::Unknown;
  void* function_ = nullptr;
  uint64_t next_ns_ = 0;
};

}  // namespace leakspy::agent
