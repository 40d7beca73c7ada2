#include "render/timeline_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "render/growth_report.h"
#include "render/report_summary.h"
#include "render/units.h"
#include "render/xml_text.h"

namespace leakspy::render {

namespace {

// A sample a line skips.
constexpr uint64_t kNoValue = UINT64_MAX;

// What glibc's malloc holds at a sample: its in-use and free chunks and its
// mapped blocks (kNoValue without its accounting).
uint64_t allocator_held_bytes(const analyze::RssSample& sample) {
  if (!sample.has_allocator) return kNoValue;
  return sample.allocator.in_use_bytes + sample.allocator.free_bytes + sample.allocator.mmapped_bytes;
}

constexpr double kLeft = 80;    // room for the byte axis
constexpr double kTop = 70;     // title and two subtitle lines
constexpr double kBottom = 40;  // the time axis
constexpr double kLegendWidth = 380;
constexpr size_t kLegendChars = 54;  // longer legend lines are cut (the full label is in the hover title)

struct Plot {
  double x0, x1, y0, y1;  // the drawing area: x0 left, y0 bottom
  double seconds;         // the time axis spans [0, seconds]
  double bytes;           // the byte axis spans [0, bytes]
  double x(double t) const { return x0 + (x1 - x0) * std::clamp(t / seconds, 0.0, 1.0); }
  double y(double b) const { return y0 - (y0 - y1) * std::clamp(b / bytes, 0.0, 1.0); }
};

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

// A round axis step near span / 5: 1, 2 or 5 times a power of ten (seconds),
// or a power of two times 1, 2 or 5 bytes-units (bytes).
double nice_step(double span, bool binary) {
  if (span <= 0) return 1;
  double raw = span / 5;
  double base = binary ? std::pow(1024.0, std::floor(std::log(std::max(raw, 1.0)) / std::log(1024.0)))
                       : std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0}) {
    if (base * factor >= raw) return base * factor;
  }
  return base * 1024;
}

std::string heap_colour(const std::string& heap) {
  if (heap == "malloc") return "#1f5fbf";
  if (heap == "mmap") return "#e07b00";
  if (heap == "python") return "#2a9d3a";
  if (heap.starts_with("cuda:")) return "#8a3fd1";
  return "#555555";
}

// Sites are coloured by verdict: reds for leaks, then oranges, teals, olives, greys.
std::string site_colour(analyze::Verdict verdict, size_t index) {
  static const char* const kLeak[] = {"#e0403a", "#f07a6a", "#c0262d", "#f4a39a", "#a01820"};
  switch (verdict) {
    case analyze::Verdict::Leak: return kLeak[index % 5];
    case analyze::Verdict::ReleasedLate: return "#f2a541";
    case analyze::Verdict::Sawtooth: return "#4fb3bf";
    case analyze::Verdict::Plateau: return "#b5b35c";
    case analyze::Verdict::Stable:
    case analyze::Verdict::NotEnoughData: return "#b0b0b0";
  }
  return "#b0b0b0";
}

std::string cut(const std::string& text, size_t chars) {
  std::string valid = valid_utf8(text);
  if (valid.size() <= chars) return valid;
  size_t end = chars - 2;
  while (end > 0 && (static_cast<unsigned char>(valid[end]) & 0xC0) == 0x80) --end;
  return valid.substr(0, end) + "..";
}

// A site in few words: the file without its directories (the line is what
// matters; the hover title has the whole label).
std::string short_label(const analyze::SymbolTable& symbols, analyze::LocationId id) {
  const analyze::Location& location = symbols.location(id);
  if (location.file.empty() || location.function.empty()) return symbols.label(id);
  size_t slash = location.file.rfind('/');
  std::string file = slash == std::string::npos ? location.file : location.file.substr(slash + 1);
  return location.function + " (" + file + (location.line != 0 ? ":" + std::to_string(location.line) : "") + ")";
}

std::string verdict_words(const analyze::GrowthVerdict& verdict) {
  std::string text = analyze::verdict_name(verdict.verdict);
  if (verdict.verdict == analyze::Verdict::Leak) text += " +" + human_rate(verdict.slope);
  return text;
}

void write_axes(std::ostream& out, const Plot& plot) {
  out << "<g class=\"ls-axes\" font-size=\"11\" fill=\"#333\">\n";
  double time_step = nice_step(plot.seconds, false);
  for (double t = 0; t <= plot.seconds + 1e-9; t += time_step) {
    out << "<line x1=\"" << number(plot.x(t)) << "\" x2=\"" << number(plot.x(t)) << "\" y1=\"" << number(plot.y0)
        << "\" y2=\"" << number(plot.y1) << "\" stroke=\"#e4e4e4\"/>"
        << "<text x=\"" << number(plot.x(t)) << "\" y=\"" << number(plot.y0 + 16) << "\" text-anchor=\"middle\">"
        << xml_escape(human_duration(t)) << "</text>\n";
  }
  double byte_step = nice_step(plot.bytes, true);
  for (double b = 0; b <= plot.bytes + 1e-9; b += byte_step) {
    out << "<line x1=\"" << number(plot.x0) << "\" x2=\"" << number(plot.x1) << "\" y1=\"" << number(plot.y(b))
        << "\" y2=\"" << number(plot.y(b)) << "\" stroke=\"#e4e4e4\"/>"
        << "<text x=\"" << number(plot.x0 - 6) << "\" y=\"" << number(plot.y(b) + 4) << "\" text-anchor=\"end\">"
        << xml_escape(human_bytes(static_cast<uint64_t>(b))) << "</text>\n";
  }
  out << "<rect x=\"" << number(plot.x0) << "\" y=\"" << number(plot.y1) << "\" width=\"" << number(plot.x1 - plot.x0)
      << "\" height=\"" << number(plot.y0 - plot.y1) << "\" fill=\"none\" stroke=\"#888\"/>\n";
  out << "<text x=\"" << number((plot.x0 + plot.x1) / 2) << "\" y=\"" << number(plot.y0 + 32)
      << "\" text-anchor=\"middle\">time since the start of recording</text>\n</g>\n";
}

struct LegendEntry {
  std::string swatch;  // an SVG element drawn at (0, 0) to (24, 10)
  std::string text;
  std::string title;  // hover text
  std::string attributes;
};

}  // namespace

std::string timeline_heap_name(const std::string& heap) { return heap == "malloc" ? "host (malloc)" : heap; }

void write_timeline_svg(std::ostream& out, const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                        const TimelineOptions& options) {
  const analyze::TimeSlices& slices = *model.slices;
  const double width = options.width, height = options.height;
  const double slice_seconds = analysis.slice_seconds;
  const size_t count = analysis.slices;

  struct HeapLine {
    std::string name;
    std::vector<analyze::SliceLive> series;
  };
  std::vector<HeapLine> heaps;
  for (uint32_t heap = 0; heap < model.heap_names.size(); ++heap) {
    if (!slices.heap_seen(heap) || model.heap_names[heap].empty()) continue;
    heaps.push_back({model.heap_names[heap], slices.heap_series(heap)});
  }
  std::vector<const analyze::SiteGrowth*> stacked;
  for (const analyze::SiteGrowth& site : analysis.sites) {
    if (stacked.size() == options.sites) break;
    if (site.verdict.peak > 0) stacked.push_back(&site);
  }
  // The byte axis holds everything drawn: heaps' highs, RSS, the stack of sites.
  double most = 1;
  for (const HeapLine& heap : heaps) {
    for (const analyze::SliceLive& slice : heap.series) most = std::max(most, static_cast<double>(slice.high));
  }
  for (const analyze::RssSample& sample : model.rss) {
    most = std::max(most, static_cast<double>(sample.bytes));
    if (sample.has_allocator) most = std::max(most, static_cast<double>(allocator_held_bytes(sample)));
  }
  std::vector<double> stack_top(count, 0);
  for (const analyze::SiteGrowth* site : stacked) {
    for (size_t i = 0; i < count; ++i) stack_top[i] += static_cast<double>(site->series[i].end);
  }
  for (double top : stack_top) most = std::max(most, top);

  Plot plot{
      kLeft,      width - kLegendWidth - 20, height - kBottom, kTop + 10, std::max(analysis.covered_seconds, 1e-3),
      most * 1.05};
  auto slice_end = [&](size_t i) { return static_cast<double>(i + 1) * slice_seconds; };

  std::string title = options.title.empty() ? "Live memory over time" : options.title;
  std::string first_line = command_text(model.header) + " — pid " + std::to_string(model.header.pid) + " — " +
                           human_duration(model.duration_seconds());
  std::string second_line = "whole: " + verdict_words(analysis.total) + "; " + growth_basis_text(analysis);
  if (analysis.memory.cause != analyze::RssCause::NoSamples && analysis.memory.cause != analyze::RssCause::NotGrowing) {
    second_line += "; RSS: " + std::string(analyze::rss_cause_name(analysis.memory.cause));
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
      << "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" id=\"leakspy-timeline\" width=\"" << options.width
      << "\" height=\"" << options.height << "\" viewBox=\"0 0 " << options.width << ' ' << options.height
      << "\" font-family=\"Verdana, sans-serif\" data-slices=\"" << count << "\" data-whole-verdict=\""
      << analyze::verdict_name(analysis.total.verdict) << "\">\n"
      << "<rect x=\"0\" y=\"0\" width=\"" << options.width << "\" height=\"" << options.height
      << "\" fill=\"#ffffff\"/>\n"
      << "<text id=\"ls-title\" x=\"" << number(width / 2) << "\" y=\"24\" font-size=\"17\" text-anchor=\"middle\">"
      << xml_escape(title) << "</text>\n"
      << "<text x=\"" << number(width / 2) << "\" y=\"42\" font-size=\"12\" fill=\"#444\" text-anchor=\"middle\">"
      << xml_escape(cut(first_line, 160)) << "</text>\n"
      << "<text x=\"" << number(width / 2) << "\" y=\"58\" font-size=\"12\" fill=\"#444\" text-anchor=\"middle\">"
      << xml_escape(cut(second_line, 170)) << "</text>\n";
  write_axes(out, plot);

  std::vector<LegendEntry> legend;
  // The stacked sites, bottom first.
  out << "<g id=\"ls-sites\">\n";
  std::vector<double> base(count, 0);
  for (size_t k = 0; k < stacked.size(); ++k) {
    const analyze::SiteGrowth& site = *stacked[k];
    std::string colour = site_colour(site.verdict.verdict, k);
    std::string label = model.symbols.label(site.location);
    std::string points = number(plot.x(0)) + "," + number(plot.y(base.empty() ? 0 : base[0])) + " ";
    std::vector<double> top(count);
    for (size_t i = 0; i < count; ++i) {
      top[i] = base[i] + static_cast<double>(site.series[i].end);
      points += number(plot.x(slice_end(i))) + "," + number(plot.y(top[i])) + " ";
    }
    for (size_t i = count; i-- > 0;) points += number(plot.x(slice_end(i))) + "," + number(plot.y(base[i])) + " ";
    points += number(plot.x(0)) + "," + number(plot.y(base.empty() ? 0 : base[0]));
    std::string hover = label + "\n" + verdict_words(site.verdict) + ": " + site.verdict.reason;
    out << "<g class=\"ls-site\" data-verdict=\"" << analyze::verdict_name(site.verdict.verdict) << "\"><title>"
        << xml_escape(hover) << "</title><polygon points=\"" << points << "\" fill=\"" << colour
        << "\" fill-opacity=\"0.75\" stroke=\"" << colour << "\"/></g>\n";
    base = std::move(top);
    legend.push_back({"<rect width=\"24\" height=\"10\" fill=\"" + colour + "\" fill-opacity=\"0.75\"/>",
                      cut(verdict_words(site.verdict) + " " + short_label(model.symbols, site.location), kLegendChars),
                      hover,
                      " class=\"ls-legend-site\" data-verdict=\"" +
                          std::string(analyze::verdict_name(site.verdict.verdict)) + "\""});
  }
  out << "</g>\n<g id=\"ls-heaps\" fill=\"none\" stroke-width=\"2\">\n";
  for (const HeapLine& heap : heaps) {
    std::string colour = heap_colour(heap.name);
    std::string points = number(plot.x(0)) + "," + number(plot.y(heap.series.empty() ? 0 : heap.series[0].low)) + " ";
    for (size_t i = 0; i < count; ++i) {
      points += number(plot.x(slice_end(i))) + "," + number(plot.y(static_cast<double>(heap.series[i].end))) + " ";
    }
    uint64_t end = heap.series.empty() ? 0 : heap.series.back().end;
    uint64_t peak = 0;
    for (const analyze::SliceLive& slice : heap.series) peak = std::max(peak, slice.high);
    std::string name = timeline_heap_name(heap.name);
    std::string hover = name + ": " + human_bytes(end) + " live at the end, peak " + human_bytes(peak);
    out << "<g class=\"ls-heap\" data-heap=\"" << xml_escape(heap.name) << "\"><title>" << xml_escape(hover)
        << "</title><polyline points=\"" << points << "\" stroke=\"" << colour << "\"/></g>\n";
    legend.push_back({"<line x1=\"0\" x2=\"24\" y1=\"5\" y2=\"5\" stroke-width=\"3\" stroke=\"" + colour + "\"/>",
                      "heap " + name + ": " + human_bytes(end) + " at the end", hover,
                      " class=\"ls-legend-heap\" data-heap=\"" + xml_escape(heap.name) + "\""});
  }
  // RSS 0 is the recorder's last reading after the process has gone: not drawn.
  std::vector<analyze::RssSample> rss;
  for (const analyze::RssSample& sample : model.rss) {
    if (sample.bytes > 0) rss.push_back(sample);
  }
  auto sample_line = [&](const std::string& css_class, const std::string& style, const std::string& legend_text,
                         const std::string& hover_text, uint64_t (*value)(const analyze::RssSample&)) {
    std::string points;
    for (const analyze::RssSample& sample : rss) {
      uint64_t bytes = value(sample);
      if (bytes == kNoValue) continue;
      points += number(plot.x(model.seconds(sample.time))) + "," + number(plot.y(static_cast<double>(bytes))) + " ";
    }
    out << "<g class=\"" << css_class << "\"><title>" << xml_escape(hover_text) << "</title><polyline points=\""
        << points << "\" " << style << "/></g>\n";
    legend.push_back({"<line x1=\"0\" x2=\"24\" y1=\"5\" y2=\"5\" stroke-width=\"2\" " + style + "/>", legend_text,
                      hover_text, " class=\"ls-legend-" + css_class.substr(3) + "\""});
  };
  if (!rss.empty()) {
    uint64_t peak = 0;
    for (const analyze::RssSample& sample : rss) peak = std::max(peak, sample.bytes);
    std::string hover = "resident set size of the process: " + human_bytes(rss.back().bytes) + " at the end, peak " +
                        human_bytes(peak);
    if (analysis.memory.cause != analyze::RssCause::NoSamples) {
      hover += "\n" + std::string(analyze::rss_cause_name(analysis.memory.cause)) + ": " + analysis.memory.reason;
    }
    sample_line("ls-rss", "stroke=\"#222\" stroke-dasharray=\"6,4\"", "RSS: " + human_bytes(rss.back().bytes) + " at the end",
                hover, [](const analyze::RssSample& sample) { return sample.bytes; });
  }
  // What glibc holds (its in-use and free chunks, and its mapped blocks): the
  // gap between it and the live heaps is memory it keeps.
  if (!rss.empty() && rss.back().has_allocator) {
    uint64_t held = allocator_held_bytes(rss.back());
    std::string hover = "memory glibc's malloc holds: " + human_bytes(held) + " at the end, " +
                        human_bytes(rss.back().allocator.free_bytes) + " of it free chunks it keeps";
    sample_line("ls-allocator", "stroke=\"#b05a00\" stroke-dasharray=\"2,3\"",
                "malloc holds: " + human_bytes(held) + " at the end", hover, allocator_held_bytes);
  }
  out << "</g>\n";

  // The legend, right of the plot: heaps and RSS first, then the sites.
  std::stable_partition(legend.begin(), legend.end(), [](const LegendEntry& entry) {
    return entry.attributes.find("ls-legend-site") == std::string::npos;
  });
  double legend_x = width - kLegendWidth;
  out << "<g id=\"ls-legend\" font-size=\"11\">\n<text x=\"" << number(legend_x) << "\" y=\"" << number(kTop + 10)
      << "\" font-size=\"12\" font-weight=\"bold\">whole: " << xml_escape(verdict_words(analysis.total)) << "</text>\n";
  double y = kTop + 30;
  for (const LegendEntry& entry : legend) {
    out << "<g" << entry.attributes << " transform=\"translate(" << number(legend_x) << "," << number(y - 9) << ")\">"
        << "<title>" << xml_escape(entry.title) << "</title>" << entry.swatch << "<text x=\"30\" y=\"9\">"
        << xml_escape(entry.text) << "</text></g>\n";
    y += 18;
  }
  if (analysis.attached_mid_run) {
    out << "<text x=\"" << number(legend_x) << "\" y=\"" << number(y + 6)
        << "\" fill=\"#a00\">attached mid-run: growth within the window</text>\n";
  }
  out << "</g>\n</svg>\n";
}

}  // namespace leakspy::render
