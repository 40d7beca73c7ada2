#pragma once
// Why RSS grows (analyze/memory_growth.h), as report lines and JSON: the
// cause with its reason, what helps, and where the resident set went at
// the end. `growth` and `check` print the same lines.

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "analyze/memory_growth.h"

namespace leakspy::render {

// "RSS 812 MiB: live heap 40 MiB, mmap 30 MiB, allocator free 700 MiB, ..."
std::string memory_split_text(const analyze::MemorySplit& split);

// The "rss" line, and what helps (nothing when the capture has no samples).
void print_rss_lines(std::ostream& out, const analyze::MemoryGrowth& memory);

nlohmann::json memory_json(const analyze::MemoryGrowth& memory);
// rss_bytes, live_heap_bytes, mmap_bytes, allocator_*_bytes, rest_bytes.
nlohmann::json memory_split_json(const analyze::MemorySplit& split);

}  // namespace leakspy::render
