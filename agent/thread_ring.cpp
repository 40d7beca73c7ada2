#include "agent/thread_ring.h"

#include <sched.h>
#include <time.h>

#include "agent/agent_memory.h"
#include "agent/doorbell.h"
#include "agent/fast_unwinder.h"
#include "agent/python/merged_stack.h"

namespace leakspy::agent {

namespace {
// How long a producer waits for room before it drops. Bounded, so a stalled
// recorder slows the target down but never hangs it (docs/design.md, "Never
// hurt the target"). The first waits only yield; then it sleeps briefly.
constexpr int kFullRingYields = 64;
constexpr long kFullRingSleepNs = 100'000;
constexpr int kFullRingSleeps = 10'000;  // 10'000 x 100 us = 1 s

}  // namespace

bool RingRegistry::init() {
  if (rings_ != nullptr) return true;
  void* memory = map_pages(sizeof(ThreadRing) * kMaxRings);
  if (memory == nullptr) return false;
  rings_ = static_cast<ThreadRing*>(memory);  // zeroed pages are valid, Free rings
  return true;
}

ThreadRing* RingRegistry::claim(uint32_t tid, uint64_t current_epoch) {
  ThreadRing* ring = nullptr;
  uint32_t used = high_water_.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < used && ring == nullptr; ++i) {
    RingState expected = RingState::Free;
    if (rings_[i].state.compare_exchange_strong(expected, RingState::Claimed, std::memory_order_acquire)) {
      ring = &rings_[i];
    }
  }
  if (ring == nullptr) {
    uint32_t i = high_water_.load(std::memory_order_relaxed);
    do {
      if (i >= kMaxRings) return nullptr;
    } while (!high_water_.compare_exchange_weak(i, i + 1, std::memory_order_acq_rel));
    ring = &rings_[i];
    ring->state.store(RingState::Claimed, std::memory_order_relaxed);
  }
  if (ring->entries == nullptr) {
    ring->entries = static_cast<wire::RawEvent*>(map_pages(sizeof(wire::RawEvent) * kRingCapacity));
    if (ring->entries == nullptr) {
      ring->state.store(RingState::Free, std::memory_order_release);
      return nullptr;
    }
  }
  if (ring->unwind == nullptr) ring->unwind = static_cast<UnwindCache*>(map_pages(sizeof(UnwindCache)));
  if (ring->unwind != nullptr) {  // without one the thread's stacks come from libunwind
    ring->unwind->depth = 0;
    ring->unwind->stack_high = 0;
  }
  if (ring->merge != nullptr) {
    ring->merge->count = 0;
    ring->merge->python.cached_count = 0;
    python::forget_walks(*ring->merge);
  }
  uint64_t start = ring->read_index.load(std::memory_order_relaxed);
  ring->write_index.store(start, std::memory_order_relaxed);
  ring->cached_read_index = start;
  ring->check_at = start;
  ring->last_epoch = 0;
  ring->dropped.store(0, std::memory_order_relaxed);
  ring->dropped_reported = 0;
  ring->announced = false;
  ring->overflowing = false;
  ring->in_flight.store(0, std::memory_order_relaxed);
  ring->safe_epoch = current_epoch;
  ring->tid = tid;
  ring->thread_index = next_thread_index_.fetch_add(1, std::memory_order_relaxed);
  // Pairs with the acquire load of state in the writer's scan.
  ring->state.store(RingState::Active, std::memory_order_release);
  return ring;
}

void RingRegistry::recycle(ThreadRing* ring) { ring->state.store(RingState::Free, std::memory_order_release); }

void RingRegistry::reset_all() {
  uint32_t used = high_water();
  for (uint32_t i = 0; i < used; ++i) {
    ThreadRing& ring = rings_[i];
    ring.read_index.store(ring.write_index.load(std::memory_order_acquire), std::memory_order_release);
    ring.dropped_reported = ring.dropped.load(std::memory_order_relaxed);
    ring.announced = false;
  }
}

void RingRegistry::adopt_after_fork(ThreadRing* survivor, uint32_t tid, uint64_t current_epoch) {
  reset_all();
  uint32_t used = high_water();
  for (uint32_t i = 0; i < used; ++i) {
    ThreadRing& ring = rings_[i];
    ring.in_flight.store(0, std::memory_order_relaxed);
    ring.overflowing = false;
    if (&ring != survivor && ring.state.load(std::memory_order_relaxed) != RingState::Free) recycle(&ring);
  }
  if (survivor == nullptr) return;
  survivor->cached_read_index = survivor->read_index.load(std::memory_order_relaxed);
  survivor->check_at = survivor->cached_read_index;
  survivor->last_epoch = 0;  // the child's stream starts with an epoch mark
  survivor->safe_epoch = current_epoch;
  survivor->tid = tid;
}

bool ring_reserve_slow(ThreadRing* ring, uint32_t count) {
  uint64_t write = ring->write_index.load(std::memory_order_relaxed);
  // Pairs with the release store of read_index in the writer's drain.
  ring->cached_read_index = ring->read_index.load(std::memory_order_acquire);
  if (ring->overflowing) {
    if (write - ring->cached_read_index > RingRegistry::kRingCapacity / 2) return false;
    ring->overflowing = false;
  }
  for (int i = 0; !has_room(ring, write, count); ++i) {
    if (i == kFullRingYields + kFullRingSleeps) {
      ring->overflowing = true;
      return false;
    }
    ring_doorbell();
    if (i < kFullRingYields) {
      sched_yield();
    } else {
      timespec pause{0, kFullRingSleepNs};
      nanosleep(&pause, nullptr);
    }
    ring->cached_read_index = ring->read_index.load(std::memory_order_acquire);
  }
  return true;
}

// Every so often look at how full the ring really is, and wake the writer
// once it is half full, long before a producer would have to wait.
bool ring_fill_check(ThreadRing* ring, uint64_t write_index) {
  ring->cached_read_index = ring->read_index.load(std::memory_order_acquire);
  ring->check_at = write_index + RingRegistry::kRingCapacity / 8;
  return write_index - ring->cached_read_index >= RingRegistry::kRingCapacity / 2;
}

}  // namespace leakspy::agent
