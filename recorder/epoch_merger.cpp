#include "recorder/epoch_merger.h"

#include <algorithm>
#include <string>

#include "capture/format.h"
#include "capture/wire_decoder.h"

namespace leakspy::recorder {

namespace {

using capture::EventKind;
constexpr uint32_t kContested = UINT32_MAX;

bool is_allocation(const wire::RawEvent& event) {
  auto kind = static_cast<EventKind>(event.kind);
  return kind == EventKind::Alloc || kind == EventKind::ReallocIn;
}

// Only heaps released by exact address take part in contested ordering; range
// heaps (mmap) release ranges and their calls are rare and slow anyway.
// Nor do exit marks, which touch no address.
bool orderable(const wire::RawEvent& event, const MergedEventSink& sink) {
  return event.kind != wire::kExitMark && !sink.is_range_heap(event.heap);
}

uint64_t address_key(const wire::RawEvent& event) {
  return event.address ^ (static_cast<uint64_t>(event.heap) << 56) ^ (1ull << 63);
}

}  // namespace

void EpochMerger::ThreadQueue::append(uint64_t segment_epoch, const wire::RawEvent* first, size_t count) {
  if (count == 0) return;
  if (used + count > events.size()) events.resize(std::max(events.size() * 2, used + count));
  std::copy_n(first, count, events.begin() + static_cast<ptrdiff_t>(used));
  if (segments.size() > head && segments.back().epoch == segment_epoch && segments.back().end == used) {
    segments.back().end += count;
  } else {
    segments.push_back(Segment{segment_epoch, used, used + count});
  }
  used += count;
}

void EpochMerger::ThreadQueue::pop_segment() {
  ++head;
  if (head == segments.size()) {  // all emitted: reuse the buffer from its start
    segments.clear();
    head = 0;
    used = 0;
    return;
  }
  // A thread that keeps allocating always has its newest epoch pending, so
  // the buffer is never empty: move what is left to the front once the
  // emitted prefix is the larger part (usually one epoch's events remain).
  size_t consumed = segments[head].begin;
  if (consumed < used - consumed) return;
  std::copy(events.begin() + static_cast<ptrdiff_t>(consumed), events.begin() + static_cast<ptrdiff_t>(used),
            events.begin());
  used -= consumed;
  segments.erase(segments.begin(), segments.begin() + static_cast<ptrdiff_t>(head));
  head = 0;
  for (Segment& segment : segments) {
    segment.begin -= consumed;
    segment.end -= consumed;
  }
}

void EpochMerger::check_batch(uint32_t thread, const wire::RawEvent* events, size_t count) const {
  auto found = threads_.find(thread);
  if (found == threads_.end() && threads_.size() >= limits_.threads) {
    wire::protocol_error("events of more than " + std::to_string(limits_.threads) + " threads that have not ended");
  }
  uint64_t epoch = found == threads_.end() ? 0 : found->second.epoch;
  size_t marks = 0;
  for (size_t i = 0; i < count; ++i) {
    if (events[i].kind != wire::kEpochMark) continue;
    // A thread reads one rising counter: its marks rise (capture/wire.h).
    if (events[i].address <= epoch) {
      wire::protocol_error("thread " + std::to_string(thread) + " marked epoch " + std::to_string(events[i].address) +
                           " after epoch " + std::to_string(epoch));
    }
    epoch = events[i].address;
    ++marks;
  }
  if (count - marks > limits_.pending_events - pending_events_) {
    wire::protocol_error("more than " + std::to_string(limits_.pending_events) +
                         " events wait for the seal of their epochs");
  }
  // Each mark may start a run, and so may the events before the first.
  if (marks + 1 > limits_.pending_runs - pending_runs_) {
    wire::protocol_error("more than " + std::to_string(limits_.pending_runs) +
                         " runs of one thread and one epoch wait for their seal");
  }
}

void EpochMerger::append_run(uint32_t thread, ThreadQueue& queue, uint64_t epoch, const wire::RawEvent* first,
                             size_t count) {
  bool had_pending = queue.head < queue.segments.size();
  size_t segments = queue.segments.size();
  size_t room = queue.events.size();
  queue.append(epoch, first, count);
  pending_events_ += count;
  pending_runs_ += queue.segments.size() - segments;
  buffered_events_ += queue.events.size() - room;
  if (!had_pending && queue.head < queue.segments.size()) heads_.emplace(queue.segments[queue.head].epoch, thread);
}

void EpochMerger::pop_segment(uint32_t thread, ThreadQueue& queue) {
  const Segment& segment = queue.segments[queue.head];
  heads_.erase({segment.epoch, thread});
  pending_events_ -= segment.end - segment.begin;
  --pending_runs_;
  queue.pop_segment();
  if (queue.head < queue.segments.size()) {
    heads_.emplace(queue.segments[queue.head].epoch, thread);
  } else if (buffered_events_ > limits_.pending_events) {
    // Emptied buffers are kept for reuse, but not beyond what may be pending:
    // threads that each once held much would add up without limit.
    buffered_events_ -= queue.events.size();
    std::vector<wire::RawEvent>().swap(queue.events);
  }
}

void EpochMerger::add(uint32_t thread, const wire::RawEvent* events, size_t count) {
  check_batch(thread, events, count);
  ThreadQueue& queue = threads_[thread];
  size_t run_start = 0;
  auto flush_run = [&](size_t end) {
    uint64_t epoch = queue.epoch;
    if (epoch != 0 && epoch <= sealed_) {
      late_events_ += end - run_start;
      epoch = sealed_ + 1;
    }
    append_run(thread, queue, epoch, events + run_start, end - run_start);
  };
  for (size_t i = 0; i < count; ++i) {
    if (events[i].kind != wire::kEpochMark) continue;
    flush_run(i);
    queue.epoch = events[i].address;
    run_start = i + 1;
  }
  flush_run(count);
}

void EpochMerger::set_epoch_time(uint64_t epoch, uint64_t monotonic_ns) {
  if (epoch <= last_epoch_begun_) {
    wire::protocol_error("epoch " + std::to_string(epoch) + " began after epoch " + std::to_string(last_epoch_begun_));
  }
  if (epoch_times_.size() >= limits_.pending_epochs) {
    wire::protocol_error("more than " + std::to_string(limits_.pending_epochs) + " epochs began without a seal");
  }
  last_epoch_begun_ = epoch;
  epoch_times_[epoch] = monotonic_ns;
}

uint64_t EpochMerger::time_of(uint64_t epoch) const {
  auto it = epoch_times_.upper_bound(epoch);
  if (it == epoch_times_.begin()) return last_time_;
  --it;
  return std::max(it->second, last_time_);
}

bool EpochMerger::has_pending(uint32_t thread) const {
  auto it = threads_.find(thread);
  return it != threads_.end() && it->second.head < it->second.segments.size();
}

void EpochMerger::forget_thread(uint32_t thread) {
  auto it = threads_.find(thread);
  if (it == threads_.end() || it->second.head < it->second.segments.size()) return;
  buffered_events_ -= it->second.events.size();
  threads_.erase(it);
}

void EpochMerger::seal(uint64_t epoch) {
  std::vector<Run> runs;
  std::vector<std::pair<uint32_t, ThreadQueue*>> emitted;
  // The lowest epoch still pending in any thread, while it is sealed.
  while (!heads_.empty() && heads_.begin()->first <= epoch) {
    uint64_t next = heads_.begin()->first;
    runs.clear();
    emitted.clear();
    for (auto head = heads_.begin(); head != heads_.end() && head->first == next; ++head) {
      ThreadQueue& queue = threads_.at(head->second);
      const Segment& segment = queue.segments[queue.head];
      const wire::RawEvent* base = queue.events.data();
      runs.push_back(Run{head->second, base + segment.begin, base + segment.end, 0});
      emitted.emplace_back(head->second, &queue);
    }
    emit_epoch(next, runs);
    for (auto& [thread, queue] : emitted) pop_segment(thread, *queue);
  }
  if (epoch > sealed_) sealed_ = epoch == UINT64_MAX ? sealed_ : epoch;
  // Keep the time of the newest sealed epoch: later late events need it.
  while (epoch_times_.size() > 1 && epoch_times_.begin()->first < sealed_) {
    last_time_ = std::max(last_time_, epoch_times_.begin()->second);
    epoch_times_.erase(epoch_times_.begin());
  }
}

void EpochMerger::emit_epoch(uint64_t epoch, std::vector<Run>& runs) {
  uint64_t time = time_of(epoch);
  last_time_ = time;
  if (runs.size() == 1) {
    for (const wire::RawEvent* event = runs[0].position; event != runs[0].end; ++event) {
      sink_.on_merged_event(runs[0].thread, *event, time);
    }
    return;
  }
  emit_interleaved(runs, time);
}

bool EpochMerger::blocked(const wire::RawEvent& event) const {
  const Pending* pending = pending_.find(address_key(event));
  if (pending == nullptr) return false;
  bool live = sink_.is_live(event.heap, event.address);
  if (is_allocation(event)) return live && pending->releases > 0;
  return !live && pending->allocations > 0;
}

void EpochMerger::emit_interleaved(std::vector<Run>& runs, uint64_t time) {
  // Pass 1: which addresses are touched by more than one run?
  owners_.clear();
  pending_.clear();
  size_t total = 0;
  for (uint32_t r = 0; r < runs.size(); ++r) {
    runs[r].index = total;
    for (const wire::RawEvent* event = runs[r].position; event != runs[r].end; ++event, ++total) {
      if (!orderable(*event, sink_)) continue;
      uint64_t key = address_key(*event);
      uint32_t* owner = owners_.find(key);
      if (owner == nullptr) {
        owners_.insert(key, r + 1);
      } else if (*owner != r + 1) {
        *owner = kContested;
      }
    }
  }
  contested_.assign(total, 0);
  for (uint32_t r = 0; r < runs.size(); ++r) {
    size_t index = runs[r].index;
    for (const wire::RawEvent* event = runs[r].position; event != runs[r].end; ++event, ++index) {
      if (!orderable(*event, sink_)) continue;
      const uint32_t* owner = owners_.find(address_key(*event));
      if (owner == nullptr || *owner != kContested) continue;
      contested_[index] = 1;
      Pending* pending = pending_.find(address_key(*event));
      if (pending == nullptr) {
        pending_.insert(address_key(*event), Pending{});
        pending = pending_.find(address_key(*event));
      }
      if (is_allocation(*event)) {
        ++pending->allocations;
      } else {
        ++pending->releases;
      }
    }
  }

  // Pass 2: emit run by run; switch runs when a contested event must wait for
  // another thread's event on the same address.
  size_t remaining = runs.size();
  size_t current = 0;
  while (remaining > 0) {
    Run& run = runs[current];
    if (run.position == run.end) {
      current = (current + 1) % runs.size();
      continue;
    }
    const wire::RawEvent& event = *run.position;
    bool is_contested = contested_[run.index] != 0;
    if (is_contested && blocked(event)) {
      size_t other = current;
      for (size_t step = 1; step < runs.size(); ++step) {
        const Run& candidate = runs[(current + step) % runs.size()];
        if (candidate.position == candidate.end) continue;
        if (contested_[candidate.index] && blocked(*candidate.position)) continue;
        other = (current + step) % runs.size();
        break;
      }
      if (other != current) {
        current = other;
        continue;
      }
      ++forced_orders_;
    }
    if (is_contested) {
      Pending* pending = pending_.find(address_key(event));
      if (is_allocation(event)) {
        --pending->allocations;
      } else {
        --pending->releases;
      }
    }
    sink_.on_merged_event(run.thread, event, time);
    ++run.position;
    ++run.index;
    if (run.position == run.end) --remaining;
  }
}

}  // namespace leakspy::recorder
