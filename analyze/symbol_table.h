#pragma once
// What each frame of a capture is, for reports: a native frame's inline chain
// from the capture's Symbol records, a Python frame from its PythonCode
// record, and module + offset for a native frame nothing resolved (a capture
// without symbols, a stripped library). Every distinct place becomes one
// Location, shared by all frames that resolve to it, with one label.
// Not thread-safe; allocates.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "capture/records.h"
#include "common/strong_id.h"

namespace leakspy::analyze {

struct LocationIdTag {};
using LocationId = StrongId<LocationIdTag>;

enum class LocationKind : uint8_t {
  Native,      // a function from the symbol table (maybe without a source line)
  Python,      // a Python function and line
  Unresolved,  // a native address: module + offset at best
  NoStack,     // the event had no stack (the agent's tables were full)
};

struct Location {
  LocationKind kind = LocationKind::Unresolved;
  std::string function;  // demangled; "" when unknown
  std::string file;      // "" when unknown
  uint32_t line = 0;     // 0 when unknown
  std::string module;    // path of the native module; "" when none
  uint64_t offset = 0;   // Unresolved: the address relative to the module's load bias (or absolute without a module)
};

// "function (file:line)", "function (libfoo.so)", "libfoo.so+0x1a2b", "0x7f12...".
std::string location_label(const Location& location);

class SymbolTable {
 public:
  static constexpr LocationId kNoStack{0};

  SymbolTable();

  void add_string(StringId id, std::string_view text);
  // Modules and symbols belong to a recorded process (capture::ProcessRecord):
  // the same address means different code in two of them.
  void add_module(const capture::ModuleRecord& module, uint32_t process = 0);
  void add_symbol(const capture::SymbolRecord& symbol, uint32_t process = 0);
  void add_python_code(const capture::PythonCodeRecord& code);
  // A String record's text; "" for an id never defined.
  const std::string& text(StringId id) const;

  // The locations of a frame of the trace tree of `process`, innermost first;
  // never empty. Resolved once per distinct frame and cached; the span is
  // valid until the next call.
  std::span<const LocationId> frame_locations(uint64_t frame, uint32_t process = 0);

  // The id of `location`, added when new: for places that come from
  // another capture (capture_diff.h, flame_diff.h).
  LocationId add_location(Location location) { return intern(std::move(location)); }

  const Location& location(LocationId id) const { return locations_[id.value()]; }
  const std::string& label(LocationId id) const { return labels_[id.value()]; }
  size_t location_count() const { return locations_.size(); }
  size_t symbol_count() const { return symbols_.size(); }

 private:
  struct ModuleRange {
    uint64_t start = 0;
    uint64_t end = 0;
    uint32_t module = 0;
  };
  struct Chain {
    uint32_t begin = 0;
    uint32_t count = 0;
  };
  struct ModuleInfo {
    std::string path;
    uint64_t load_bias = 0;
  };

  LocationId intern(Location location);
  void resolve(uint32_t process, uint64_t frame, std::vector<LocationId>* out);
  uint32_t module_containing(uint32_t process, uint64_t address);

  std::vector<std::string> strings_;  // by string id; 0 is ""
  std::unordered_map<uint32_t, ModuleInfo> modules_;
  std::vector<std::pair<uint32_t, capture::ModuleRecord>> module_records_;  // with their process
  std::vector<ModuleRange> ranges_;  // sorted; built on first need
  bool ranges_built_ = false;
  std::unordered_map<uint64_t, capture::SymbolRecord> symbols_;  // by process and address
  std::unordered_map<uint32_t, capture::PythonCodeRecord> python_codes_;

  std::vector<Location> locations_;
  std::vector<std::string> labels_;
  std::unordered_map<std::string, LocationId> location_ids_;  // by identity key
  std::unordered_map<uint64_t, Chain> chains_;                // by frame (and process, for native ones)
  std::vector<LocationId> chain_locations_;
};

}  // namespace leakspy::analyze
