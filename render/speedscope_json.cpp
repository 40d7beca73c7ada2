#include <nlohmann/json.hpp>
#include <unordered_map>

#include "render/report_summary.h"
#include "render/stack_export.h"

namespace leakspy::render {

void write_speedscope_json(std::ostream& out, const analyze::CaptureModel& model, const analyze::FlameTree& tree,
                           const std::string& exporter) {
  const auto& nodes = tree.nodes();
  nlohmann::json frames = nlohmann::json::array();
  std::unordered_map<uint32_t, size_t> frame_index;  // location -> index into frames
  auto index_of = [&](analyze::LocationId id) {
    auto [it, inserted] = frame_index.try_emplace(id.value(), frames.size());
    if (inserted) {
      const analyze::Location& location = model.symbols.location(id);
      nlohmann::json frame = {{"name", location.function.empty() ? model.symbols.label(id) : location.function}};
      if (!location.file.empty()) frame["file"] = location.file;
      if (location.line != 0) frame["line"] = location.line;
      frames.push_back(std::move(frame));
    }
    return it->second;
  };
  nlohmann::json samples = nlohmann::json::array();
  nlohmann::json weights = nlohmann::json::array();
  tree.for_each_leaf_path([&](const std::vector<uint32_t>& path, uint64_t value) {
    nlohmann::json sample = nlohmann::json::array();
    for (uint32_t node : path) sample.push_back(index_of(nodes[node].location));
    samples.push_back(std::move(sample));
    weights.push_back(value);
  });
  std::string name = metric_title(tree.metric(), tree.reversed()) + ": " + command_text(model.header);
  nlohmann::json document = {
      {"$schema", "https://www.speedscope.app/file-format-schema.json"},
      {"shared", {{"frames", std::move(frames)}}},
      {"profiles", nlohmann::json::array({{{"type", "sampled"},
                                           {"name", name},
                                           {"unit", analyze::metric_is_bytes(tree.metric()) ? "bytes" : "none"},
                                           {"startValue", 0},
                                           {"endValue", tree.total()},
                                           {"samples", std::move(samples)},
                                           {"weights", std::move(weights)}}})},
      {"name", name},
      {"activeProfileIndex", 0},
      {"exporter", exporter},
  };
  // Names from a capture may hold invalid UTF-8: replaced, never a throw.
  out << document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace leakspy::render
