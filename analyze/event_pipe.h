#pragma once
// Hands batches of events from the thread that reads a capture to the thread
// that replays them: a fixed pool of batches cycling between the two, so
// reading (decompression, decoding) and replaying (the live set) run on two
// cores at once. Single producer, single consumer; the mutex is taken once
// per batch, not per event.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "analyze/event_replay.h"

namespace leakspy::analyze {

class EventPipe {
 public:
  using Batch = std::vector<QueuedEvent>;
  static constexpr size_t kBatchEvents = 8192;  // 256 KiB: stays in the cache between the two cores
  static constexpr size_t kBatches = 4;

  EventPipe();

  // Producer: an empty batch to fill (waits for one to come back).
  Batch* take_empty();
  // Producer: a filled batch for the consumer.
  void push_full(Batch* batch);
  // Producer: nothing more will come.
  void close();

  // Consumer: the next filled batch; nullptr once closed and drained.
  Batch* take_full();
  // Consumer: a batch it has finished with.
  void give_back(Batch* batch);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Batch> storage_;
  std::deque<Batch*> empty_;
  std::deque<Batch*> full_;
  bool closed_ = false;
};

}  // namespace leakspy::analyze
