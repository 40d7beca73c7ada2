#pragma once
// Turns per-thread event batches into one stream in a valid order.
//
// Between epochs the order is the epoch order (capture/wire.h, "Ordering").
// Within one epoch, events of different threads have no known order, and it
// only matters where two threads touch the same address: a block freed on one
// thread and handed out again on another. For those contested addresses the
// merger interleaves the threads' runs so that no live address is allocated
// again and no address is freed before another thread allocates it; other
// events keep their thread's order and are emitted run by run.
//
// What waits for its seal is bounded (MergerLimits): the agent holds back only
// the epochs of a drain cycle or two, so far more means the agent is broken or
// hostile, and the recording ends with a protocol error instead of holding
// memory without limit. Epoch marks must rise within a thread, and epochs
// begin in rising order. A check that fails throws before anything changes.
// Not thread-safe. Allocates (per-thread buffers, kept and reused).

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "analyze/address_map.h"
#include "capture/wire.h"

namespace leakspy::recorder {

class MergedEventSink {
 public:
  virtual ~MergedEventSink() = default;
  // One event or exit mark, in merged order, with the start time of its epoch.
  virtual void on_merged_event(uint32_t thread, const wire::RawEvent& event, uint64_t monotonic_ns) = 0;
  // Whether the address is allocated, given every event emitted so far.
  virtual bool is_live(uint8_t heap, uint64_t address) const = 0;
  // Whether the heap releases ranges (those events are never reordered).
  virtual bool is_range_heap(uint8_t heap) const = 0;
};

// How much may wait for a seal. The defaults are far above what the agent
// holds back (it seals each drain cycle the epoch before; only a thread
// preempted inside its few-instruction window holds more back, for as long as
// it is preempted), and low enough that the held events stay within a few
// hundred MB.
struct MergerLimits {
  size_t pending_events = size_t{1} << 23;  // 8 M events, 192 MiB
  size_t pending_runs = size_t{1} << 20;    // (thread, epoch) runs not yet emitted
  size_t pending_epochs = size_t{1} << 18;  // epochs begun and not yet sealed
  size_t threads = size_t{1} << 16;         // threads not yet ended (the agent has at most 4096 rings)
};

class EpochMerger {
 public:
  explicit EpochMerger(MergedEventSink& sink, MergerLimits limits = {}) : sink_(sink), limits_(limits) {}

  // A batch from one thread's ring, epoch marks included, in ring order.
  // The events are checked (capture/wire_decoder.h); throws Error(AgentProtocol)
  // when a mark goes back or a limit would be passed, leaving the merger as it was.
  void add(uint32_t thread, const wire::RawEvent* events, size_t count);
  // The time at which an epoch began. Throws like add().
  void set_epoch_time(uint64_t epoch, uint64_t monotonic_ns);
  // Emits every event of every epoch up to and including `epoch`.
  void seal(uint64_t epoch);
  // The time of events before the first epoch time is known (the agent's
  // start): a stream that joins a recording late does not begin at 0.
  void begin_at(uint64_t monotonic_ns) { last_time_ = std::max(last_time_, monotonic_ns); }

  bool has_pending(uint32_t thread) const;
  // The thread has ended and has nothing pending: forget it (and its buffer).
  void forget_thread(uint32_t thread);
  size_t pending_events() const { return pending_events_; }
  // Events that arrived for an epoch already sealed (their thread was
  // preempted for a whole drain cycle); emitted with the next epoch.
  uint64_t late_events() const { return late_events_; }
  // Contested interleavings with no consistent order (a dropped event, most
  // likely); emitted in thread order.
  uint64_t forced_orders() const { return forced_orders_; }

 private:
  // A thread's pending events: one buffer used as a FIFO (its memory is kept
  // from epoch to epoch, so steady recording allocates nothing), cut into
  // segments of one epoch each.
  struct Segment {
    uint64_t epoch;
    size_t begin;  // indices into ThreadQueue::events
    size_t end;
  };
  struct ThreadQueue {
    uint64_t epoch = 0;  // of the last mark seen
    std::vector<wire::RawEvent> events;
    size_t used = 0;     // events[0, used) hold pending events
    std::vector<Segment> segments;
    size_t head = 0;     // first segment not yet emitted

    void append(uint64_t epoch, const wire::RawEvent* first, size_t count);
    void pop_segment();
  };
  struct Run {
    uint32_t thread;
    const wire::RawEvent* position;
    const wire::RawEvent* end;
    size_t index;  // of `position` in the numbering of all the epoch's events
  };
  struct Pending {
    uint32_t allocations = 0;
    uint32_t releases = 0;
  };

  void emit_epoch(uint64_t epoch, std::vector<Run>& runs);
  void emit_interleaved(std::vector<Run>& runs, uint64_t time);
  bool blocked(const wire::RawEvent& event) const;
  uint64_t time_of(uint64_t epoch) const;

  void check_batch(uint32_t thread, const wire::RawEvent* events, size_t count) const;
  void append_run(uint32_t thread, ThreadQueue& queue, uint64_t epoch, const wire::RawEvent* first, size_t count);
  void pop_segment(uint32_t thread, ThreadQueue& queue);

  MergedEventSink& sink_;
  MergerLimits limits_;
  std::map<uint32_t, ThreadQueue> threads_;
  // (epoch of the first pending segment, thread) of every thread with one: a
  // seal visits only the threads it emits from, however many there are.
  std::set<std::pair<uint64_t, uint32_t>> heads_;
  size_t pending_events_ = 0;   // appended, not yet emitted
  size_t pending_runs_ = 0;     // segments not yet emitted
  size_t buffered_events_ = 0;  // room in all threads' buffers
  uint64_t last_epoch_begun_ = 0;
  std::map<uint64_t, uint64_t> epoch_times_;
  uint64_t last_time_ = 0;
  uint64_t sealed_ = 0;
  uint64_t late_events_ = 0;
  uint64_t forced_orders_ = 0;
  analyze::AddressMap<uint32_t> owners_;     // address -> run + 1, or kContested
  analyze::AddressMap<Pending> pending_;     // contested address -> not yet emitted
  std::vector<uint8_t> contested_;           // per event of the epoch being emitted
};

}  // namespace leakspy::recorder
