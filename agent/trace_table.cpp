#include "agent/trace_table.h"

#include "agent/agent_memory.h"

namespace leakspy::agent {

namespace {

inline uint64_t mix(uint64_t value) {
  value ^= value >> 33;
  value *= 0xff51afd7ed558ccdull;
  value ^= value >> 33;
  value *= 0xc4ceb9fe1a85ec53ull;
  value ^= value >> 33;
  return value;
}

inline uint64_t hash_stack(const uintptr_t* frames, uint32_t count) {
  uint64_t hash = 0x9e3779b97f4a7c15ull ^ count;
  for (uint32_t i = 0; i < count; ++i) hash = (hash ^ frames[i]) * 0x100000001b3ull + (hash >> 29);
  hash = mix(hash);
  return hash == 0 ? 1 : hash;  // 0 marks an empty slot
}

inline uint64_t load_acquire(const uint64_t& word) { return __atomic_load_n(&word, __ATOMIC_ACQUIRE); }

// Atomically replaces an all-zero slot with (key, value). False if it was taken.
// The locked cmpxchg16b is a full barrier: it publishes the node's ready flag
// stored before it, and pairs with the acquire loads of readers.
inline bool claim_slot(void* slot, uint64_t key, uint64_t value) {
  unsigned __int128 desired = (static_cast<unsigned __int128>(value) << 64) | key;
  return __sync_bool_compare_and_swap(static_cast<unsigned __int128*>(slot), static_cast<unsigned __int128>(0),
                                      desired);
}

}  // namespace

bool TraceTable::init() {
  if (edges_ != nullptr) return true;
  edges_ = static_cast<Slot*>(map_pages(sizeof(Slot) * kEdgeSlots));
  stacks_ = static_cast<Slot*>(map_pages(sizeof(Slot) * kStackSlots));
  nodes_ = static_cast<Node*>(map_pages(sizeof(Node) * kMaxNodes));
  return edges_ != nullptr && stacks_ != nullptr && nodes_ != nullptr;
}

uint32_t TraceTable::intern_edge(uint32_t parent, uintptr_t frame) {
  uint64_t mask = kEdgeSlots - 1;
  // Start near the parent: nodes are made in order, so the tree fills the
  // array from the front instead of touching every page (see concurrent_map.h).
  uint64_t home = static_cast<uint64_t>(parent) * 4 + (mix(frame) & 3);
  for (uint64_t i = home & mask;; i = (i + 1) & mask) {
    Slot& slot = edges_[i];
    uint64_t key = load_acquire(slot.key);
    if (key == 0) {
      uint32_t id = next_node_.fetch_add(1, std::memory_order_relaxed);
      if (id >= kMaxNodes) return 0;
      Node& node = nodes_[id];
      node.frame = frame;
      node.parent = parent;
      // Pairs with the acquire load in read_node (the writer thread).
      node.ready.store(1, std::memory_order_release);
      if (claim_slot(&slot, frame, (static_cast<uint64_t>(parent) << 32) | id)) return id;
      // Lost the race for this slot: node `id` stays an unused duplicate edge,
      // harmless, and the slot is read again below.
      key = load_acquire(slot.key);
    }
    uint64_t value = load_acquire(slot.value);
    if (key == frame && static_cast<uint32_t>(value >> 32) == parent) {
      if (static_cast<uint32_t>(value) != 0) return static_cast<uint32_t>(value);
      // The key was seen before the value: read both again.
      i = (i - 1) & mask;
    }
  }
}

uint32_t TraceTable::lookup_stack(uint64_t hash) const {
  uint64_t mask = kStackSlots - 1;
  for (uint64_t i = hash & mask;; i = (i + 1) & mask) {
    uint64_t key = load_acquire(stacks_[i].key);
    if (key == 0) return 0;
    if (key == hash) return static_cast<uint32_t>(load_acquire(stacks_[i].value));
  }
}

void TraceTable::publish_stack(uint64_t hash, uint32_t node) {
  if (stacks_used_.fetch_add(1, std::memory_order_relaxed) >= kStackSlots / 4 * 3) return;
  uint64_t mask = kStackSlots - 1;
  for (uint64_t i = hash & mask;; i = (i + 1) & mask) {
    if (claim_slot(&stacks_[i], hash, node)) return;
    if (load_acquire(stacks_[i].key) == hash) return;  // another thread published it
  }
}

uint32_t TraceTable::intern(const uintptr_t* frames, uint32_t count) {
  if (count == 0) return 0;
  uint64_t hash = hash_stack(frames, count);
  if (uint32_t node = lookup_stack(hash)) return node;
  uint32_t node = 0;
  for (uint32_t i = count; i-- > 0;) {  // from the outermost frame in
    node = intern_edge(node, frames[i]);
    if (node == 0) {
      stacks_lost_.fetch_add(1, std::memory_order_relaxed);
      return 0;
    }
  }
  publish_stack(hash, node);
  return node;
}

bool TraceTable::read_node(uint32_t id, wire::WireNode* out) const {
  if (id == 0 || id >= kMaxNodes) return false;
  const Node& node = nodes_[id];
  if (node.ready.load(std::memory_order_acquire) == 0) return false;
  out->frame = node.frame;
  out->parent = node.parent;
  out->id = id;
  return true;
}

}  // namespace leakspy::agent
