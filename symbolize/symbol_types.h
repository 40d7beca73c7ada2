#pragma once
// What goes into and comes out of symbolization: modules as the target had
// them mapped, and the source frames of an address.

#include <cstdint>
#include <string>
#include <vector>

#include "capture/records.h"

namespace leakspy::symbolize {

// A module (executable or shared object) as it was mapped in the target.
struct ModuleFile {
  uint32_t id = 0;
  std::string path;      // as the target saw it (inside its own root)
  std::string build_id;  // raw bytes of NT_GNU_BUILD_ID; empty if none
  uint64_t load_bias = 0;
  std::vector<capture::Segment> segments;  // vaddr relative to the load bias
};

// One function at an address: the real one or one inlined into it.
struct SourceFrame {
  std::string function;  // demangled; empty when unknown
  std::string file;      // empty when unknown
  uint32_t line = 0;     // 0 when unknown
  bool operator==(const SourceFrame&) const = default;
};

// A native frame (a return address) and what it resolved to.
struct FrameSymbol {
  uint64_t address = 0;
  uint32_t module_id = 0;           // 0: in no known module
  std::vector<SourceFrame> frames;  // innermost (inlined) first; empty when unresolved
};

struct SymbolizeOptions {
  // Prefix for every path opened: "/proc/PID/root" while the target lives, so
  // that a target in a container is symbolized with its own files; "" opens
  // paths as they are.
  std::string root;
  // Where separate debug files live (each searched under `root` first, then
  // as is): DIR/.build-id/xx/rest.debug.
  std::vector<std::string> debug_directories = {"/usr/lib/debug"};
};

}  // namespace leakspy::symbolize
