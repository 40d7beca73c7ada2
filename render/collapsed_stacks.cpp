#include <algorithm>

#include "render/stack_export.h"
#include "render/xml_text.h"

namespace leakspy::render {

namespace {

// The collapsed format separates frames with ';' and lines with '\n', and
// the value from the stack with the last ' ': names keep their spaces.
std::string collapsed_name(const std::string& label) {
  std::string name = valid_utf8(label);
  std::replace(name.begin(), name.end(), ';', ':');
  std::replace(name.begin(), name.end(), '\n', ' ');
  std::replace(name.begin(), name.end(), '\t', ' ');
  return name;
}

}  // namespace

void write_collapsed_stacks(std::ostream& out, const analyze::CaptureModel& model, const analyze::FlameTree& tree) {
  const auto& nodes = tree.nodes();
  std::vector<std::string> names(model.symbols.location_count());
  auto name_of = [&](analyze::LocationId id) -> const std::string& {
    std::string& name = names[id.value()];
    if (name.empty()) name = collapsed_name(model.symbols.label(id));
    return name;
  };
  std::string line;
  tree.for_each_leaf_path([&](const std::vector<uint32_t>& path, uint64_t value) {
    line.clear();
    for (size_t i = 0; i < path.size(); ++i) {
      if (i > 0) line += ';';
      line += name_of(nodes[path[i]].location);
    }
    line += ' ';
    line += std::to_string(value);
    line += '\n';
    out << line;
  });
}

}  // namespace leakspy::render
