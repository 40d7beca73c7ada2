#include "analyze/site_frames.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "analyze/allocation_functions.h"

namespace leakspy::analyze {

namespace {

constexpr int kWrapperRounds = 4;  // a wrapper of a wrapper of ... this deep

std::string_view file_name(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_cxx_library(const Location& place) {
  if (place.kind != LocationKind::Native) return false;
  std::string_view module = file_name(place.module);
  if (module.starts_with("libstdc++") || module.starts_with("libc++")) return true;
  std::string_view function = place.function;
  for (std::string_view prefix : {"std::", "__gnu_cxx::", "__cxxabiv1::"}) {
    if (function.starts_with(prefix)) return true;
  }
  // Inlined into the program from the library's headers.
  return place.file.find("/include/c++/") != std::string::npos;
}

}  // namespace

SiteFrames::SiteFrames(const CaptureModel& model, const std::vector<std::string>& named_allocation_functions)
    : kinds_(model.symbols.location_count(), Kind::User) {
  for (size_t id = 0; id < kinds_.size(); ++id) {
    const Location& place = model.symbols.location(LocationId(static_cast<uint32_t>(id)));
    if (place.kind != LocationKind::Native) continue;
    bool named = std::find(named_allocation_functions.begin(), named_allocation_functions.end(), place.function) !=
                 named_allocation_functions.end();
    if (named || is_allocation_function(place.function)) {
      kinds_[id] = Kind::Allocates;
    } else if (is_cxx_library(place)) {
      kinds_[id] = Kind::Library;
    }
  }
  find_wrappers(model);
}

void SiteFrames::find_wrappers(const CaptureModel& model) {
  for (int round = 0; round < kWrapperRounds; ++round) {
    // Per function: the callers it allocated for, and whether any stack had
    // it further out than straight above the allocator.
    std::unordered_map<std::string_view, std::unordered_set<uint32_t>> callers;
    std::unordered_set<std::string_view> deeper;
    for (size_t stack = 1; stack < model.stacks.size() && stack < model.nodes.size(); ++stack) {
      if (model.stacks[stack].empty()) continue;
      std::string_view candidate;
      bool past_allocator = false;
      bool caller_taken = false;
      for (StackId node(static_cast<uint32_t>(stack)); node.value() != 0 && !caller_taken;
           node = model.nodes[node.value()].parent) {
        for (LocationId location : model.node_locations(node)) {
          const Location& place = model.symbols.location(location);
          if (!past_allocator) {
            if (allocates_for_caller(location)) continue;
            past_allocator = true;
            if (place.kind != LocationKind::Native || place.function.empty() || is_library(location)) break;
            candidate = place.function;
            continue;
          }
          if (!candidate.empty() && !caller_taken) {
            callers[candidate].insert(location.value());
            caller_taken = true;
            break;
          }
        }
        if (past_allocator && candidate.empty()) break;
      }
      // The functions further out in this stack are not wrappers.
      if (!caller_taken) continue;
      bool below_caller = true;
      for (StackId node(static_cast<uint32_t>(stack)); node.value() != 0; node = model.nodes[node.value()].parent) {
        for (LocationId location : model.node_locations(node)) {
          const Location& place = model.symbols.location(location);
          if (below_caller) {
            if (place.function == candidate) below_caller = false;
            continue;
          }
          if (place.kind == LocationKind::Native && place.function != candidate) deeper.insert(place.function);
        }
      }
    }
    std::vector<std::string_view> found;
    for (const auto& [function, seen] : callers) {
      if (seen.size() >= kWrapperMinCallers && deeper.count(function) == 0) found.push_back(function);
    }
    if (found.empty()) return;
    std::sort(found.begin(), found.end());
    for (std::string_view function : found) wrappers_.emplace_back(function);
    for (size_t id = 0; id < kinds_.size(); ++id) {
      const Location& place = model.symbols.location(LocationId(static_cast<uint32_t>(id)));
      if (place.kind == LocationKind::Native && std::binary_search(found.begin(), found.end(), place.function)) {
        kinds_[id] = Kind::Allocates;
      }
    }
  }
}

}  // namespace leakspy::analyze
