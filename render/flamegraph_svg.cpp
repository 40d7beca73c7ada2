#include "render/flamegraph_svg.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "analyze/allocation_functions.h"
#include "render/flamegraph_script.h"
#include "render/report_summary.h"
#include "render/units.h"
#include "render/xml_text.h"

namespace leakspy::render {

namespace {

constexpr double kXPad = 10;
constexpr double kFrameHeight = 16;
constexpr double kFontSize = 12;
constexpr double kCharWidth = kFontSize * 0.59;  // Verdana's average advance
constexpr double kTopPad = 70;                   // title and two subtitle lines
constexpr double kBottomPad = 30;                // details and match lines

// "%.2f" without printf: graphs have tens of thousands of frames, each with
// several coordinates. Values here are never negative.
void append_fixed2(std::string& out, double value) {
  auto hundredths = static_cast<uint64_t>(std::llround(value * 100));
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof(digits), hundredths / 100);
  out.append(digits, end);
  out += '.';
  out += static_cast<char>('0' + hundredths % 100 / 10);
  out += static_cast<char>('0' + hundredths % 10);
}

std::string fixed2(double value) {
  std::string text;
  append_fixed2(text, value);
  return text;
}

void append_number(std::string& out, uint64_t value) {
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, end);
}

size_t utf8_length(const std::string& text) {
  size_t length = 0;
  for (char c : text) length += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return length;
}

// The first `chars` characters of `text` and "..". flamegraph_script.h's
// fit() is the same rule, so zooming out restores exactly this text.
std::string cut_text(const std::string& text, size_t chars) {
  std::string cut;
  size_t kept = 0;
  for (char c : text) {
    bool starts_char = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_char && kept == chars) break;
    kept += starts_char;
    cut += c;
  }
  return cut + "..";
}

// How many characters fit in `width` pixels (less than 3: none).
size_t room_for(double width) {
  double room = std::floor((width - 6) / kCharWidth);
  return room < 3 ? 0 : static_cast<size_t>(room);
}

std::string fit_text(const std::string& name, double width) {
  size_t room = room_for(width);
  if (room == 0) return "";
  return utf8_length(name) <= room ? name : cut_text(name, room - 2);
}

uint32_t fnv1a(const std::string& text) {
  uint32_t hash = 2166136261u;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return hash;
}

void append_value_text(std::string& out, analyze::Metric metric, uint64_t value, uint64_t total) {
  out += metric_text(metric, value);
  if (analyze::metric_is_bytes(metric) && value >= 1024) {
    out += " (";
    out += human_count(value);
    out += " bytes)";
  }
  out += ", ";
  append_fixed2(out, total == 0 ? 0.0 : 100.0 * static_cast<double>(value) / static_cast<double>(total));
  out += '%';
}

std::string subtitle_second_line(const analyze::CaptureModel& model) {
  std::string text = totals_text(model) + "; heaps: ";
  for (size_t i = 0; i < model.counted_heaps.size(); ++i) text += (i ? ", " : "") + model.counted_heaps[i];
  if (model.counted_heaps.empty()) text += "none";
  if (model.header.attached_mid_run()) text += "; attached mid-run";
  if (model.dropped_events > 0) text += "; " + human_count(model.dropped_events) + " events dropped";
  if (model.read.truncated) text += "; truncated capture";
  return text;
}

// What every frame of one location shares, worked out once.
struct LocationText {
  bool ready = false;
  std::string name;     // the label, valid UTF-8
  std::string escaped;  // the label, escaped for XML
  size_t chars = 0;     // characters in `name`
  std::string colour;
};

}  // namespace

std::string frame_colour(const analyze::Location& location, const std::string& label) {
  uint32_t hash = fnv1a(location.function.empty() ? label : location.function);
  double v1 = static_cast<double>(hash & 0xFF) / 255.0;
  double v2 = static_cast<double>((hash >> 8) & 0xFF) / 255.0;
  double v3 = static_cast<double>((hash >> 16) & 0xFF) / 255.0;
  int r = 0, g = 0, b = 0;
  switch (location.kind) {
    case analyze::LocationKind::Native:
      if (analyze::is_allocation_function(location.function)) {  // oranges: the allocator itself
        r = 225 + static_cast<int>(30 * v1);
        g = 130 + static_cast<int>(50 * v2);
        b = 40 + static_cast<int>(40 * v3);
      } else {  // greens: native code ("mem" palette family)
        r = 40 + static_cast<int>(80 * v1);
        g = 170 + static_cast<int>(60 * v2);
        b = 60 + static_cast<int>(60 * v3);
      }
      break;
    case analyze::LocationKind::Python:  // blues
      r = 70 + static_cast<int>(60 * v1);
      g = 140 + static_cast<int>(60 * v2);
      b = 205 + static_cast<int>(45 * v3);
      break;
    case analyze::LocationKind::Unresolved:
    case analyze::LocationKind::NoStack:  // greys
      r = g = b = 170 + static_cast<int>(40 * v1);
      break;
  }
  return "rgb(" + std::to_string(r) + "," + std::to_string(g) + "," + std::to_string(b) + ")";
}

namespace {

// Geometry shared by the parts of one graph.
struct Layout {
  double width = 0;
  double graph_width = 0;
  double height = 0;
};

// Everything above and below the frames: size, style, title, subtitle, the
// buttons and the two status lines the script fills in.
void write_svg_head(std::ostream& out, const analyze::CaptureModel& model, const analyze::FlameTree& tree,
                    const FlamegraphOptions& options, const Layout& layout) {
  const analyze::Metric metric = tree.metric();
  const double width = layout.width;
  const double graph_width = layout.graph_width;
  const double height = layout.height;
  const uint64_t total = tree.total();
  const std::string title = options.title.empty() ? metric_title(metric, tree.reversed()) : options.title;
  const std::string first_line = command_text(model.header) + " — pid " + std::to_string(model.header.pid) + " — " +
                                 human_duration(model.duration_seconds());
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
      << "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" id=\"leakspy-flamegraph\" width=\"" << options.width
      << "\" height=\"" << height << "\" viewBox=\"0 0 " << options.width << ' ' << height << "\" data-xpad=\"" << kXPad
      << "\" data-graph-width=\"" << graph_width << "\" data-char-width=\"" << fixed2(kCharWidth) << "\" data-total=\""
      << total << "\" data-metric=\"" << analyze::metric_name(metric) << "\">\n"
      << "<!-- leakspy flame graph: click a frame to zoom, Search (or Ctrl-F) to highlight frames. -->\n"
      << "<style>" << kFlamegraphStyle << "</style>\n"
      << "<defs><linearGradient id=\"ls-background\" x1=\"0\" x2=\"0\" y1=\"0\" y2=\"1\">"
      << "<stop stop-color=\"#f8f8f8\" offset=\"5%\"/><stop stop-color=\"#e6ebf2\" offset=\"95%\"/>"
      << "</linearGradient></defs>\n"
      << "<rect x=\"0\" y=\"0\" width=\"" << options.width << "\" height=\"" << height
      << "\" fill=\"url(#ls-background)\"/>\n"
      << "<text id=\"ls-title\" x=\"" << width / 2 << "\" y=\"24\">" << xml_escape(title) << "</text>\n"
      << "<text class=\"ls-subtitle\" x=\"" << width / 2 << "\" y=\"42\">"
      << xml_escape(fit_text(first_line, graph_width)) << "</text>\n"
      << "<text class=\"ls-subtitle\" x=\"" << width / 2 << "\" y=\"58\">"
      << xml_escape(fit_text(options.subtitle.empty() ? subtitle_second_line(model) : options.subtitle, graph_width))
      << "</text>\n"
      << "<text id=\"ls-unzoom\" class=\"ls-button ls-hidden\" x=\"" << kXPad << "\" y=\"24\">Reset Zoom</text>\n"
      << "<text id=\"ls-search\" class=\"ls-button\" x=\"" << width - kXPad
      << "\" y=\"24\" text-anchor=\"end\">Search</text>\n"
      << "<text id=\"ls-details\" x=\"" << kXPad << "\" y=\"" << height - 10 << "\"> </text>\n"
      << "<text id=\"ls-matched\" x=\"" << width - kXPad << "\" y=\"" << height - 10
      << "\" text-anchor=\"end\"> </text>\n";
  if (total == 0) {
    out << "<text x=\"" << width / 2 << "\" y=\"" << kTopPad + 20 << "\" text-anchor=\"middle\">No "
        << analyze::metric_name(metric) << (analyze::metric_is_bytes(metric) ? " bytes" : " allocations")
        << " in this capture for the heaps counted.</text>\n";
  }
}

// The frames, depth first from the root, each a <g> with its title (the
// label, then the value and share), its box and its fitted text.
void write_svg_frames(std::ostream& out, const analyze::CaptureModel& model, const analyze::FlameTree& tree,
                      const FlamegraphOptions& options, const Layout& layout) {
  const auto& nodes = tree.nodes();
  const analyze::Metric metric = tree.metric();
  const double graph_width = layout.graph_width;
  const double height = layout.height;
  const uint64_t total = tree.total();
  out << "<g id=\"ls-frames\">\n";
  if (total > 0) {
    std::vector<LocationText> texts(model.symbols.location_count() + 1);  // the last one is the root's
    auto text_of = [&](uint32_t id) -> const LocationText& {
      bool root = id == 0;
      LocationText& text = texts[root ? texts.size() - 1 : nodes[id].location.value()];
      if (!text.ready) {
        std::string label = root ? "all" : model.symbols.label(nodes[id].location);
        text.name = valid_utf8(label);
        text.escaped = xml_escape(text.name);
        text.chars = utf8_length(text.name);
        text.colour = root ? "rgb(205,205,205)" : frame_colour(model.symbols.location(nodes[id].location), label);
        text.ready = true;
      }
      return text;
    };
    std::string frames;
    frames.reserve(1 << 20);
    // Depth-first from the root: (node, left edge in value units).
    std::vector<std::pair<uint32_t, uint64_t>> pending{{0, 0}};
    std::vector<std::pair<uint32_t, uint64_t>> children;
    const double scale = graph_width / static_cast<double>(total);
    while (!pending.empty()) {
      auto [id, offset] = pending.back();
      pending.pop_back();
      const analyze::FlameNode& node = nodes[id];
      double frame_width = static_cast<double>(node.total) * scale;
      if (frame_width < options.min_frame_width) continue;
      double x = kXPad + static_cast<double>(offset) * scale;
      double y = height - kBottomPad - (node.depth + 1) * kFrameHeight;
      const LocationText& text = text_of(id);
      frames += "<g data-v=\"";
      append_number(frames, node.total);
      frames += "\"><title>";
      frames += text.escaped;
      frames += '\n';
      if (options.frame_value_text) {
        frames += xml_escape(options.frame_value_text(id));
      } else {
        append_value_text(frames, metric, node.total, total);
      }
      frames += "</title><rect x=\"";
      append_fixed2(frames, x);
      frames += "\" y=\"";
      append_fixed2(frames, y);
      frames += "\" width=\"";
      append_fixed2(frames, frame_width);
      frames += "\" height=\"15\" rx=\"2\" ry=\"2\" fill=\"";
      frames += options.frame_fill ? options.frame_fill(id) : text.colour;
      frames += "\"/><text x=\"";
      append_fixed2(frames, x + 3);
      frames += "\" y=\"";
      append_fixed2(frames, y + 11.5);
      frames += "\">";
      size_t room = room_for(frame_width);
      if (room > 0) frames += text.chars <= room ? text.escaped : xml_escape(cut_text(text.name, room - 2));
      frames += "</text></g>\n";
      if (frames.size() > (1 << 20)) {
        out << frames;
        frames.clear();
      }
      // Children right to left onto the stack, so they come out left to right.
      uint64_t child_offset = offset;
      children.clear();
      for (uint32_t child : node.children) {
        if (nodes[child].total == 0) continue;
        children.emplace_back(child, child_offset);
        child_offset += nodes[child].total;
      }
      for (auto it = children.rbegin(); it != children.rend(); ++it) pending.push_back(*it);
    }
    out << frames;
  }
}

}  // namespace

void write_flamegraph_svg(std::ostream& out, const analyze::CaptureModel& model, const analyze::FlameTree& tree,
                          const FlamegraphOptions& options) {
  Layout layout;
  layout.width = options.width;
  layout.graph_width = layout.width - 2 * kXPad;
  layout.height = kTopPad + (tree.max_depth() + 1) * kFrameHeight + kBottomPad;
  write_svg_head(out, model, tree, options, layout);
  write_svg_frames(out, model, tree, options, layout);
  out << "</g>\n<script><![CDATA[" << kFlamegraphScript << "]]></script>\n</svg>\n";
}

}  // namespace leakspy::render
