#pragma once
// Per-thread single-producer single-consumer rings of RawEvents, and the
// registry that hands them out. The owning thread is the only producer; the
// writer thread is the only consumer. No locks on either side.
//
// A thread claims a ring on its first event and keeps it until it exits. At
// exit (pthread key destructor) the ring is marked Exiting but stays attached:
// the thread's last frees still land in it. The writer recycles it once the
// thread is gone from the kernel's view.

#include <atomic>
#include <cstdint>

#include "capture/wire.h"

namespace leakspy::agent::python {
struct MergeCache;
}

namespace leakspy::agent {

enum class RingState : uint32_t { Free = 0, Claimed = 1, Active = 2, Exiting = 3 };

struct alignas(64) ThreadRing {
  // Producer side. write_index is published with release; it pairs with the
  // acquire load in the writer's drain.
  std::atomic<uint64_t> write_index{0};
  uint64_t cached_read_index = 0;  // producer's last view of read_index
  uint64_t check_at = 0;           // write index at which to look at the fill level again
  uint64_t last_epoch = 0;         // the epoch last marked into this ring
  std::atomic<uint64_t> dropped{0};
  // 1 from just before the producer reads the epoch until it has published
  // the event. Written with plain stores and a compiler barrier only: the
  // writer's membarrier() supplies the CPU fence (drain_cycle.cpp).
  std::atomic<uint32_t> in_flight{0};
  // Set when a push gave up waiting: later pushes drop at once until the
  // writer has drained the ring below half (a stalled recorder must not slow
  // every allocation by the full wait).
  bool overflowing = false;

  // Consumer side. read_index is published with release; it pairs with the
  // acquire reload in reserve() when the producer finds the ring full.
  alignas(64) std::atomic<uint64_t> read_index{0};
  uint64_t dropped_reported = 0;
  bool announced = false;  // the writer has sent the Thread message
  // Any event this ring's thread starts from now on reads an epoch >= this
  // (set at claim, then raised by the writer whenever it sees in_flight == 0).
  uint64_t safe_epoch = 0;

  // Set when claimed.
  std::atomic<RingState> state{RingState::Free};
  uint32_t thread_index = 0;
  uint32_t tid = 0;
  wire::RawEvent* entries = nullptr;
  struct UnwindCache* unwind = nullptr;  // the owning thread's last stack (fast_unwinder.h)
  python::MergeCache* merge = nullptr;   // its last merged Python stack, mapped on first use
};

class RingRegistry {
 public:
  static constexpr uint32_t kMaxRings = 4096;
  static constexpr uint32_t kRingCapacity = 1u << 15;  // events; a power of two

  // Maps the slot array. False on failure.
  [[nodiscard]] bool init();
  // A ring for the calling thread, or nullptr (no memory, too many threads).
  ThreadRing* claim(uint32_t tid, uint64_t current_epoch);
  ThreadRing* slot(uint32_t i) { return &rings_[i]; }
  uint32_t high_water() const { return high_water_.load(std::memory_order_acquire); }
  void recycle(ThreadRing* ring);
  // Forgets every ring's contents (a new recording starts).
  void reset_all();
  // In a forked child (one thread, the one that called fork): every ring's
  // contents are the parent's to send, so they are dropped; the other
  // threads' rings are free again, and `survivor` (the calling thread's, or
  // nullptr) is the child's thread `tid`, announced anew. Async-signal-safe.
  void adopt_after_fork(ThreadRing* survivor, uint32_t tid, uint64_t current_epoch);

 private:
  ThreadRing* rings_ = nullptr;
  std::atomic<uint32_t> high_water_{0};  // slots [0, high_water) have been used
  std::atomic<uint32_t> next_thread_index_{1};
};

// Producer API, called by the owning thread only.

// Room for `count` entries after `write`, as of the last look at the reader.
inline bool has_room(const ThreadRing* ring, uint64_t write, uint32_t count) {
  return write + count - ring->cached_read_index <= RingRegistry::kRingCapacity;
}
// Makes room for `count` entries, waiting (bounded) for the writer if the
// ring is full. False when there is no room: the caller drops the event.
bool ring_reserve_slow(ThreadRing* ring, uint32_t count);
inline bool ring_reserve(ThreadRing* ring, uint32_t count) {
  uint64_t write = ring->write_index.load(std::memory_order_relaxed);
  if (__builtin_expect(has_room(ring, write, count) && !ring->overflowing, 1)) {
    return true;
  }
  return ring_reserve_slow(ring, count);
}
// The entry at `index` (a write index, not yet reduced to the ring size).
inline wire::RawEvent& ring_entry(ThreadRing* ring, uint64_t index) {
  return ring->entries[index & (RingRegistry::kRingCapacity - 1)];
}
// Publishes the entries written in reserved room, up to `write_index`.
// Returns true when the writer should be woken (the ring is half full); the
// caller rings the doorbell once it has left its in-flight window, or the
// woken writer would find it in flight and could not seal the epoch.
[[nodiscard]] bool ring_fill_check(ThreadRing* ring, uint64_t write_index);
[[nodiscard]] inline bool ring_publish(ThreadRing* ring, uint64_t write_index) {
  // Pairs with the acquire load of write_index in the writer's drain.
  ring->write_index.store(write_index, std::memory_order_release);
  if (__builtin_expect(write_index < ring->check_at, 1)) return false;
  return ring_fill_check(ring, write_index);
}

}  // namespace leakspy::agent
