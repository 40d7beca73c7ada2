#pragma once
// What goes into and comes out of symbolization: modules as the target had
// them mapped, and the source frames of an address.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "capture/records.h"
#include "common/unique_fd.h"

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

// Opens `path` (a path the target named, as it sees it) as the target would:
// in its view and with its rights (attach::TargetFileOpener). Returns an
// invalid descriptor, with the reason in *why, when it cannot.
using OpenAsTarget = std::function<UniqueFd(const std::string& path, std::string* why)>;

// Where the target's files are, and with whose rights they are opened
// (symbolize/module_file_finder.h has the rules).
struct SymbolizeOptions {
  // The target's root directory, held open (O_PATH is enough): its paths are
  // resolved inside it (openat2 RESOLVE_IN_ROOT), so a container's files are
  // found and its absolute symlinks stay inside. -1: leakspy's own root.
  int root_fd = -1;
  // When set, the target's own files (modules, debug files inside its root)
  // are opened only this way. Unset, leakspy opens them itself, inside
  // root_fd, and only for modules with a build-id.
  OpenAsTarget open_as_target;
  // The target is leakspy's own child, started with leakspy's rights (`run`):
  // opening its files inside root_fd with those rights is opening them with
  // its own, modules without a build-id too.
  bool target_has_leakspys_rights = false;
  // Where separate debug files live: DIR/.build-id/xx/rest.debug, searched
  // inside the target's root first, then in leakspy's own.
  std::vector<std::string> debug_directories = {"/usr/lib/debug"};
};

}  // namespace leakspy::symbolize
