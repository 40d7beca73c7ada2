#pragma once
// One cycle of the writer thread: start a new epoch, send what every thread's
// ring holds, the trace tree nodes created meanwhile, and seal the epochs that
// can no longer receive events. Writer thread only. Never allocates.

#include <cstdint>

#include "agent/transport.h"
#include "agent/thread_ring.h"
#include "capture/wire.h"

namespace leakspy::agent {

struct CycleResult {
  bool connected = true;    // false: the recorder went away
  uint64_t events_sent = 0;
};

class Drainer {
 public:
  [[nodiscard]] bool init();
  // Forgets per-session progress; every node and thread is announced again.
  void reset();
  // `final`: seal everything (the session ends after this cycle).
  CycleResult cycle(Transport& transport, bool final);

 private:
  struct ReadUpdate {
    ThreadRing* ring;
    uint64_t read_index;
    bool recycle;
  };
  static constexpr uint32_t kMaxNodesPerMessage = 4096;
  static constexpr uint32_t kMaxPendingNodes = 1024;

  enum class NodeStatus { Queued, NotReady, Disconnected };

  // Sends every ring's events; lowers *seal below any epoch still in flight.
  bool drain_rings(Transport& transport, uint64_t epoch, uint64_t* events_sent, uint64_t* seal);
  bool send_nodes(Transport& transport);
  NodeStatus queue_node(Transport& transport, uint32_t id);
  bool flush_nodes(Transport& transport);

  ReadUpdate* updates_ = nullptr;
  uint32_t update_count_ = 0;
  wire::EventsHeader* event_headers_ = nullptr;
  wire::WireThread* thread_messages_ = nullptr;
  wire::NodesHeader node_header_{};
  wire::WireNode* node_batch_ = nullptr;
  uint32_t node_batch_count_ = 0;
  uint32_t* pending_nodes_ = nullptr;  // handed out but not yet ready when last looked
  uint32_t pending_count_ = 0;
  uint32_t next_node_ = 1;
  bool membarrier_ok_ = false;
  uint64_t ringless_reported_ = 0;
};

}  // namespace leakspy::agent
