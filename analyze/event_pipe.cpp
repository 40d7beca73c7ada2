#include "analyze/event_pipe.h"

namespace leakspy::analyze {

EventPipe::EventPipe() : storage_(kBatches) {
  for (Batch& batch : storage_) {
    batch.reserve(kBatchEvents);
    empty_.push_back(&batch);
  }
}

EventPipe::Batch* EventPipe::take_empty() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !empty_.empty(); });
  Batch* batch = empty_.front();
  empty_.pop_front();
  return batch;
}

void EventPipe::push_full(Batch* batch) {
  {
    std::lock_guard lock(mutex_);
    full_.push_back(batch);
  }
  changed_.notify_all();
}

void EventPipe::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

EventPipe::Batch* EventPipe::take_full() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !full_.empty() || closed_; });
  if (full_.empty()) return nullptr;
  Batch* batch = full_.front();
  full_.pop_front();
  return batch;
}

void EventPipe::give_back(Batch* batch) {
  batch->clear();
  {
    std::lock_guard lock(mutex_);
    empty_.push_back(batch);
  }
  changed_.notify_all();
}

}  // namespace leakspy::analyze
