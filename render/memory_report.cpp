#include "render/memory_report.h"

#include "render/growth_report.h"
#include "render/units.h"

namespace leakspy::render {

nlohmann::json memory_split_json(const analyze::MemorySplit& split) {
  nlohmann::json json = {{"rss_bytes", split.rss},
                         {"live_heap_bytes", split.live_heap},
                         {"mmap_bytes", split.mmap},
                         {"rest_bytes", split.rest}};
  if (split.has_allocator) {
    json["allocator_free_bytes"] = split.allocator_free;
    json["allocator_releasable_bytes"] = split.releasable;
    json["allocator_other_bytes"] = split.allocator_other;
  }
  return json;
}

std::string memory_split_text(const analyze::MemorySplit& split) {
  std::string text = "RSS " + human_bytes(split.rss) + ": live heap " + human_bytes(split.live_heap) + ", mmap " +
                     human_bytes(split.mmap);
  if (split.has_allocator) {
    text += ", allocator free " + human_bytes(split.allocator_free);
    if (split.releasable > 0) text += " (" + human_bytes(split.releasable) + " trimmable at once)";
    text += ", allocator other " + human_bytes(split.allocator_other);
  } else {
    text += " (no allocator accounting: malloc is not glibc's)";
  }
  return text + ", rest " + human_bytes(split.rest);
}

void print_rss_lines(std::ostream& out, const analyze::MemoryGrowth& memory) {
  if (memory.cause == analyze::RssCause::NoSamples) return;
  out << "rss        " << analyze::rss_cause_name(memory.cause) << ": " << memory.reason << '\n';
  if (!memory.advice.empty()) out << "           " << memory.advice << '\n';
}

nlohmann::json memory_json(const analyze::MemoryGrowth& memory) {
  nlohmann::json json = {{"cause", analyze::rss_cause_name(memory.cause)},
                         {"reason", memory.reason},
                         {"allocator_accounting", memory.has_allocator}};
  if (memory.cause == analyze::RssCause::NoSamples) return json;
  if (!memory.advice.empty()) json["advice"] = memory.advice;
  json["rss"] = verdict_json(memory.rss);
  json["live"] = verdict_json(memory.live);
  if (memory.has_allocator) json["retained"] = verdict_json(memory.retained);
  json["at_end"] = memory_split_json(memory.at_end);
  return json;
}

}  // namespace leakspy::render
