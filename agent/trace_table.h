#pragma once
// Interns native stacks into a trace tree shared by all threads, lock-free.
//
// A stack is a path from the root: node (parent, frame) -> id. Two hash
// tables sit on fixed mmap'd arrays (never rehashed, so readers need no locks):
//   edges:  (parent, frame) -> node id   - each new edge is sent to the recorder once
//   stacks: hash of the whole frame list -> leaf node id - the hot path: one probe
// Slots are claimed with a 16-byte compare-and-swap so a key and its value
// appear together. A node is marked ready before its slot is published, so any
// thread that finds an id also sees the node (release/acquire pairs below).
// When a table is three-quarters full, new stacks get the empty stack (id 0)
// and are counted; the recorder reports them.
//
// Thread-safe; never allocates after init(); never blocks.

#include <atomic>
#include <cstdint>

#include "capture/wire.h"

namespace leakspy::agent {

class TraceTable {
 public:
  static constexpr uint32_t kEdgeSlots = 1u << 21;
  static constexpr uint32_t kStackSlots = 1u << 20;
  static constexpr uint32_t kMaxNodes = kEdgeSlots / 4 * 3;

  [[nodiscard]] bool init();

  // frames[0] is the innermost return address. Returns the leaf node id.
  uint32_t intern(const uintptr_t* frames, uint32_t count);
  // The node for `frame` called from stack `parent`; 0 when the table is full.
  uint32_t intern_edge(uint32_t parent, uintptr_t frame);

  // Writer side: the number of node ids handed out so far (ids 1..n-1).
  uint32_t node_count() const { return next_node_.load(std::memory_order_acquire); }
  // Copies node `id` into `out` if it is ready (its edge has been written).
  bool read_node(uint32_t id, wire::WireNode* out) const;
  uint64_t stacks_lost() const { return stacks_lost_.load(std::memory_order_relaxed); }
  void count_lost_stack() { stacks_lost_.fetch_add(1, std::memory_order_relaxed); }

 private:
  struct alignas(16) Slot {
    uint64_t key;    // edges: frame; stacks: hash
    uint64_t value;  // edges: parent << 32 | node; stacks: node
  };
  struct Node {
    uint64_t frame;
    uint32_t parent;
    std::atomic<uint32_t> ready;
  };

  uint32_t lookup_stack(uint64_t hash) const;
  void publish_stack(uint64_t hash, uint32_t node);

  Slot* edges_ = nullptr;
  Slot* stacks_ = nullptr;
  Node* nodes_ = nullptr;
  std::atomic<uint32_t> next_node_{1};  // 0 is the root

  std::atomic<uint32_t> stacks_used_{0};
  std::atomic<uint64_t> stacks_lost_{0};
};

}  // namespace leakspy::agent
