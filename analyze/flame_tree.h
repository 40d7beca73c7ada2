#pragma once
// Stacks merged by location into one tree for a metric: what flame graphs,
// collapsed stacks and speedscope profiles draw. Frames are expanded into
// their inline chains, and siblings with the same location merge (two return
// addresses on one line are one box), as flamegraph.pl merges by name.
//   forward: root -> outermost frame -> ... -> innermost frame ("who allocated")
//   reverse: root -> innermost frame -> ... -> outermost ("who calls malloc")
// Built once, then read-only. Not thread-safe.

#include <cstdint>
#include <span>
#include <vector>

#include "analyze/address_map.h"
#include "analyze/capture_model.h"
#include "analyze/metric.h"

namespace leakspy::analyze {

struct FlameNode {
  LocationId location;  // meaningless for the root
  uint32_t parent = 0;
  uint32_t depth = 0;              // root 0
  uint64_t total = 0;              // this node and everything above it
  uint64_t self = 0;               // stacks ending exactly here
  std::vector<uint32_t> children;  // sorted by label
};

class FlameTree {
 public:
  static FlameTree build(const CaptureModel& model, Metric metric, bool reverse);
  // The same from one value per stack (indexed by stack id), e.g. the live
  // bytes of a time-slice snapshot; `metric` says what the values are.
  static FlameTree build_from_values(const CaptureModel& model, std::span<const uint64_t> values, Metric metric,
                                     bool reverse);

  // For trees derived from others (flame_diff.h): an empty tree, the child
  // of `parent` for `location` (made on first use), a node's own value, and
  // once every node is in, the totals and the order of children.
  static FlameTree empty(Metric metric, bool reverse);
  uint32_t add_child(uint32_t parent, LocationId location) { return child(parent, location); }
  void add_self(uint32_t node, uint64_t value) { nodes_[node].self += value; }
  void finish(const SymbolTable& symbols);

  const std::vector<FlameNode>& nodes() const { return nodes_; }
  const FlameNode& root() const { return nodes_[0]; }
  uint64_t total() const { return nodes_[0].total; }
  uint32_t max_depth() const { return max_depth_; }
  Metric metric() const { return metric_; }
  bool reversed() const { return reverse_; }

  // Visits every node with self > 0 as (its path from the root's child down
  // to it, self), in depth-first order over sorted children.
  template <typename Visit>
  void for_each_leaf_path(Visit&& visit) const;

 private:
  uint32_t child(uint32_t parent, LocationId location);
  void sort_children(const SymbolTable& symbols);

  std::vector<FlameNode> nodes_;
  AddressMap<uint32_t> child_index_{1 << 12};  // (parent << 32 | location) + 1 -> child node
  uint32_t max_depth_ = 0;
  Metric metric_ = Metric::Live;
  bool reverse_ = false;
};

template <typename Visit>
void FlameTree::for_each_leaf_path(Visit&& visit) const {
  std::vector<uint32_t> path;
  // Iterative depth-first walk: (node, next child index).
  std::vector<std::pair<uint32_t, size_t>> walk{{0, 0}};
  while (!walk.empty()) {
    auto& [node, next] = walk.back();
    if (next == 0 && node != 0 && nodes_[node].self > 0)
      visit(static_cast<const std::vector<uint32_t>&>(path), nodes_[node].self);
    if (next < nodes_[node].children.size()) {
      uint32_t child_node = nodes_[node].children[next++];
      if (nodes_[child_node].total == 0) continue;
      path.push_back(child_node);
      walk.push_back({child_node, 0});
    } else {
      walk.pop_back();
      if (!path.empty()) path.pop_back();
    }
  }
}

}  // namespace leakspy::analyze
