#include "analyze/flame_diff.h"

#include <string>
#include <unordered_map>

#include "analyze/capture_diff.h"

namespace leakspy::analyze {

FlameDiff diff_flame_trees(const CaptureModel& before_model, const FlameTree& before, CaptureModel& after_model,
                           const FlameTree& after) {
  SymbolTable& symbols = after_model.symbols;
  // One location of the second model stands for each key.
  std::unordered_map<std::string, LocationId> by_key;
  auto representative = [&](const CaptureModel& model, LocationId location) {
    const Location& place = model.symbols.location(location);
    auto [it, inserted] = by_key.try_emplace(match_key(place), location);
    if (inserted && &model != &after_model) it->second = symbols.add_location(place);
    return it->second;
  };
  FlameDiff diff{FlameTree::empty(after.metric(), after.reversed()), {}, {}, before.total(), after.total()};
  std::vector<uint64_t> own_before, own_after;
  auto merge = [&](const CaptureModel& model, const FlameTree& tree, std::vector<uint64_t>& own) {
    // A path's locations are mapped as the walk reaches them.
    tree.for_each_leaf_path([&](const std::vector<uint32_t>& path, uint64_t value) {
      uint32_t node = 0;
      for (uint32_t step : path) node = diff.tree.add_child(node, representative(model, tree.nodes()[step].location));
      if (node >= own.size()) own.resize(node + 1, 0);
      own[node] += value;
    });
  };
  merge(after_model, after, own_after);  // the second model's own locations first: they represent their keys
  merge(before_model, before, own_before);
  size_t nodes = diff.tree.nodes().size();
  own_before.resize(nodes, 0);
  own_after.resize(nodes, 0);
  diff.before = own_before;
  diff.after = own_after;
  for (size_t node = nodes; node-- > 1;) {
    diff.tree.add_self(static_cast<uint32_t>(node), std::max(own_before[node], own_after[node]));
    uint32_t parent = diff.tree.nodes()[node].parent;
    diff.before[parent] += diff.before[node];
    diff.after[parent] += diff.after[node];
  }
  diff.tree.finish(symbols);
  return diff;
}

}  // namespace leakspy::analyze
