#include "agent/drain_cycle.h"

#include <fcntl.h>
#include <linux/membarrier.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/agent_memory.h"
#include "agent/agent_state.h"
#include "agent/heap_registry.h"
#include "agent/notes.h"
#include "agent/python/python_session.h"
#include "common/clock.h"

namespace leakspy::agent {

namespace {

bool thread_gone(uint32_t tid) {
  return syscall(SYS_tgkill, getpid(), tid, 0) != 0 && errno == ESRCH;
}

void read_thread_name(uint32_t tid, char (&name)[16]) {
  std::memset(name, 0, sizeof(name));
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/self/task/%u/comm", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, name, sizeof(name) - 1);
  close(fd);
  if (n > 0 && name[n - 1] == '\n') name[n - 1] = '\0';
}

}  // namespace

bool Drainer::init() {
  if (updates_ != nullptr) return true;
  updates_ = static_cast<ReadUpdate*>(map_pages(sizeof(ReadUpdate) * RingRegistry::kMaxRings));
  event_headers_ = static_cast<wire::EventsHeader*>(map_pages(sizeof(wire::EventsHeader) * RingRegistry::kMaxRings));
  thread_messages_ = static_cast<wire::WireThread*>(map_pages(sizeof(wire::WireThread) * RingRegistry::kMaxRings));
  node_batch_ = static_cast<wire::WireNode*>(map_pages(sizeof(wire::WireNode) * kMaxNodesPerMessage));
  pending_nodes_ = static_cast<uint32_t*>(map_pages(sizeof(uint32_t) * kMaxPendingNodes));
  return updates_ && event_headers_ && thread_messages_ && node_batch_ && pending_nodes_;
}

void Drainer::reset() {
  // The asymmetric fence of the in-flight protocol (Drainer::cycle). Without
  // it (kernels before 4.14) the writer falls back to sealing two epochs
  // behind, and a producer preempted inside its window can arrive late.
  // Registered at every start: a forked child's address space is new.
  membarrier_ok_ = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  next_node_ = 1;
  forget_reported_heaps();
  forget_notes();
  python::forget_reported_python_code();
  ringless_reported_ = ringless_drops.load(std::memory_order_relaxed);
  pending_count_ = 0;
  node_batch_count_ = 0;
  update_count_ = 0;
}

bool Drainer::drain_rings(Transport& transport, uint64_t epoch, uint64_t* events_sent, uint64_t* seal) {
  update_count_ = 0;
  uint32_t used = rings.high_water();
  for (uint32_t i = 0; i < used; ++i) {
    ThreadRing* ring = rings.slot(i);
    // Pairs with the release store of state in RingRegistry::claim.
    RingState state = ring->state.load(std::memory_order_acquire);
    if (state != RingState::Active && state != RingState::Exiting) continue;
    // Decide about recycling before reading write_index: once the thread is
    // gone, nothing can be appended after this read.
    bool recycle = state == RingState::Exiting && thread_gone(ring->tid);
    // In-flight check, after the epoch bump and the membarrier: a ring seen
    // idle here starts its next event with an epoch >= `epoch`; a ring seen
    // busy holds an event of an epoch >= its safe_epoch, not yet published.
    if (ring->in_flight.load(std::memory_order_acquire) == 0) {
      ring->safe_epoch = epoch;
    } else if (ring->safe_epoch - 1 < *seal) {
      *seal = ring->safe_epoch - 1;
    }
    if (!ring->announced) {
      wire::WireThread& message = thread_messages_[i];
      message.index = ring->thread_index;
      message.tid = ring->tid;
      read_thread_name(ring->tid, message.name);
      iovec part{&message, sizeof(message)};
      if (!transport.add(wire::MessageType::Thread, &part, 1)) return false;
      ring->announced = true;
    }
    // Pairs with the release store in ring_publish.
    uint64_t write = ring->write_index.load(std::memory_order_acquire);
    uint64_t read = ring->read_index.load(std::memory_order_relaxed);
    if (write != read) {
      constexpr uint64_t kMask = RingRegistry::kRingCapacity - 1;
      uint64_t count = write - read;
      uint64_t first = read & kMask;
      uint64_t first_part = count < RingRegistry::kRingCapacity - first ? count : RingRegistry::kRingCapacity - first;
      event_headers_[i] = {ring->thread_index, static_cast<uint32_t>(count)};
      iovec parts[3] = {{&event_headers_[i], sizeof(wire::EventsHeader)},
                        {&ring->entries[first], first_part * sizeof(wire::RawEvent)},
                        {&ring->entries[0], (count - first_part) * sizeof(wire::RawEvent)}};
      if (!transport.add(wire::MessageType::Events, parts, 3)) return false;
      *events_sent += count;
    }
    uint64_t dropped = ring->dropped.load(std::memory_order_relaxed);
    if (dropped != ring->dropped_reported) {
      wire::WireDrops drops{ring->thread_index, 0, dropped};
      if (!transport.add_copy(wire::MessageType::Drops, &drops, sizeof(drops))) return false;
      ring->dropped_reported = dropped;
    }
    if (recycle) {
      wire::WireThreadEnd end{ring->thread_index, 0};
      if (!transport.add_copy(wire::MessageType::ThreadEnd, &end, sizeof(end))) return false;
    }
    updates_[update_count_++] = {ring, write, recycle};
  }
  uint64_t ringless = ringless_drops.load(std::memory_order_relaxed);
  if (ringless != ringless_reported_) {  // reported as thread 0: no thread index exists for them
    wire::WireDrops drops{0, 0, ringless};
    if (!transport.add_copy(wire::MessageType::Drops, &drops, sizeof(drops))) return false;
    ringless_reported_ = ringless;
  }
  return true;
}

bool Drainer::flush_nodes(Transport& transport) {
  if (node_batch_count_ == 0) return true;
  node_header_ = {node_batch_count_, 0};
  iovec parts[2] = {{&node_header_, sizeof(node_header_)},
                    {node_batch_, node_batch_count_ * sizeof(wire::WireNode)}};
  // Flushed at once: node_batch_ is reused for the next batch.
  bool ok = transport.add(wire::MessageType::Nodes, parts, 2) && transport.flush();
  node_batch_count_ = 0;
  return ok;
}

Drainer::NodeStatus Drainer::queue_node(Transport& transport, uint32_t id) {
  wire::WireNode node;
  if (!traces.read_node(id, &node)) return NodeStatus::NotReady;
  node_batch_[node_batch_count_++] = node;
  if (node_batch_count_ == kMaxNodesPerMessage && !flush_nodes(transport)) return NodeStatus::Disconnected;
  return NodeStatus::Queued;
}

bool Drainer::send_nodes(Transport& transport) {
  // Nodes still being written when last looked at come first; they are done
  // within a few instructions of being handed out, so the list stays short.
  uint32_t still_pending = 0;
  for (uint32_t i = 0; i < pending_count_; ++i) {
    NodeStatus status = queue_node(transport, pending_nodes_[i]);
    if (status == NodeStatus::Disconnected) return false;
    if (status == NodeStatus::NotReady) pending_nodes_[still_pending++] = pending_nodes_[i];
  }
  pending_count_ = still_pending;
  uint32_t end = traces.node_count();
  if (end > TraceTable::kMaxNodes) end = TraceTable::kMaxNodes;
  for (; next_node_ < end; ++next_node_) {
    NodeStatus status = queue_node(transport, next_node_);
    if (status == NodeStatus::Disconnected) return false;
    if (status == NodeStatus::NotReady) {
      if (pending_count_ == kMaxPendingNodes) break;  // continue from here next cycle
      pending_nodes_[pending_count_++] = next_node_;
    }
  }
  return flush_nodes(transport);
}

CycleResult Drainer::cycle(Transport& transport, bool final) {
  CycleResult result;
  uint64_t epoch = current_epoch.fetch_add(1, std::memory_order_relaxed) + 1;
  // Every thread of the process executes a full barrier before this returns.
  // It pairs with the compiler-only fence between a producer's in_flight
  // store and its epoch load (record_event): either the producer read the new
  // epoch, or its in_flight = 1 is visible to the check in drain_rings.
  if (membarrier_ok_) syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
  wire::WireEpoch begin{epoch, clock_ns()};
  uint64_t seal = membarrier_ok_ ? epoch - 1 : epoch - 2;
  // Heaps first: the recorder writes them at once, events only when sealed.
  result.connected = transport.add_copy(wire::MessageType::Epoch, &begin, sizeof(begin)) &&
                     report_new_heaps(transport) && report_notes(transport) &&
                     python::report_python_code(transport) &&
                     drain_rings(transport, epoch, &result.events_sent, &seal) && send_nodes(transport);
  wire::WireSeal sealed{final ? UINT64_MAX : seal};
  result.connected = result.connected && transport.add_copy(wire::MessageType::Seal, &sealed, sizeof(sealed)) &&
                     transport.flush();
  if (!result.connected) return result;
  for (uint32_t i = 0; i < update_count_; ++i) {
    // Pairs with the acquire loads of read_index in ring_reserve and ring_publish.
    updates_[i].ring->read_index.store(updates_[i].read_index, std::memory_order_release);
    if (updates_[i].recycle) rings.recycle(updates_[i].ring);
  }
  update_count_ = 0;
  return result;
}

}  // namespace leakspy::agent
