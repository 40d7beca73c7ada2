#include "analyze/flame_tree.h"

#include <algorithm>

namespace leakspy::analyze {

uint32_t FlameTree::child(uint32_t parent, LocationId location) {
  uint64_t key = ((static_cast<uint64_t>(parent) << 32) | location.value()) + 1;  // 0 is the map's empty key
  if (const uint32_t* found = child_index_.find(key)) return *found;
  auto id = static_cast<uint32_t>(nodes_.size());
  FlameNode node;
  node.location = location;
  node.parent = parent;
  node.depth = nodes_[parent].depth + 1;
  max_depth_ = std::max(max_depth_, node.depth);
  nodes_.push_back(std::move(node));
  nodes_[parent].children.push_back(id);
  child_index_.insert(key, id);
  return id;
}

void FlameTree::sort_children(const SymbolTable& symbols) {
  for (FlameNode& node : nodes_) {
    std::sort(node.children.begin(), node.children.end(), [&](uint32_t a, uint32_t b) {
      return symbols.label(nodes_[a].location) < symbols.label(nodes_[b].location);
    });
  }
}

FlameTree FlameTree::empty(Metric metric, bool reverse) {
  FlameTree tree;
  tree.metric_ = metric;
  tree.reverse_ = reverse;
  tree.nodes_.emplace_back();
  return tree;
}

void FlameTree::finish(const SymbolTable& symbols) {
  // Children always come after their parent: one backward sweep sums totals.
  for (size_t id = nodes_.size(); id-- > 0;) {
    FlameNode& node = nodes_[id];
    node.total += node.self;
    if (id != 0) nodes_[node.parent].total += node.total;
  }
  sort_children(symbols);
}

FlameTree FlameTree::build(const CaptureModel& model, Metric metric, bool reverse) {
  std::vector<uint64_t> values(model.stacks.size());
  for (size_t stack = 0; stack < values.size(); ++stack) values[stack] = metric_value(model.stacks[stack], metric);
  return build_from_values(model, values, metric, reverse);
}

FlameTree FlameTree::build_from_values(const CaptureModel& model, std::span<const uint64_t> values, Metric metric,
                                       bool reverse) {
  FlameTree tree = empty(metric, reverse);
  const size_t count = std::min(model.nodes.size(), values.size());
  auto value_of = [&](size_t stack) { return values[stack]; };
  // Events without a (known) stack still count: under one [no stack] box.
  auto stackless = [&](size_t stack) { return stack == 0 || !model.nodes[stack].defined; };

  if (!reverse) {
    // Only the parts of the trace tree that lead to a value are expanded.
    std::vector<uint8_t> needed(count, 0);
    for (size_t stack = 1; stack < count; ++stack) needed[stack] = value_of(stack) > 0;
    for (auto it = model.node_order.rbegin(); it != model.node_order.rend(); ++it) {
      if (*it < count && needed[*it]) needed[model.nodes[*it].parent.value()] = 1;
    }
    std::vector<uint32_t> flame_of(count, 0);
    for (uint32_t node : model.node_order) {
      if (node >= count || !needed[node]) continue;
      uint32_t current = flame_of[model.nodes[node].parent.value()];
      std::span<const LocationId> chain = model.node_locations(StackId(node));
      for (auto location = chain.rbegin(); location != chain.rend(); ++location)
        current = tree.child(current, *location);
      flame_of[node] = current;
    }
    for (size_t stack = 0; stack < count; ++stack) {
      uint64_t value = value_of(stack);
      if (value == 0) continue;
      uint32_t leaf = stackless(stack) ? tree.child(0, SymbolTable::kNoStack) : flame_of[stack];
      tree.nodes_[leaf].self += value;
    }
  } else {
    for (size_t stack = 0; stack < count; ++stack) {
      uint64_t value = value_of(stack);
      if (value == 0) continue;
      uint32_t current = 0;
      if (stackless(stack)) {
        current = tree.child(0, SymbolTable::kNoStack);
      } else {
        for (uint32_t node = static_cast<uint32_t>(stack); node != 0; node = model.nodes[node].parent.value()) {
          for (LocationId location : model.node_locations(StackId(node))) current = tree.child(current, location);
        }
      }
      tree.nodes_[current].self += value;
    }
  }
  tree.finish(model.symbols);
  return tree;
}

}  // namespace leakspy::analyze
