#pragma once
// The native frames of a recording, each with the module that held it when it
// was first seen, collected as the trace tree arrives and symbolized once at
// the end (a module may be unloaded, and another loaded at its addresses,
// before then). A frame seen before any module held it takes the first
// module loaded over it: the agent sends a cycle's stack nodes before the
// modules loaded in that cycle (a library dlopen'ed and used at once). Python frames (capture::kFrameKindMask) are not native and
// are ignored. Not thread-safe; allocates.

#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "symbolize/symbol_types.h"

namespace leakspy::symbolize {

class NativeFrameSet {
 public:
  void module_loaded(ModuleFile module);
  void module_unloaded(uint32_t id);
  // A frame of a Node record: a return address, or a frame of another kind.
  void frame_seen(uint64_t frame);

  size_t size() const { return frames_.size(); }
  // Every native frame seen, by ascending address, resolved with `options`.
  std::vector<FrameSymbol> symbolize(const SymbolizeOptions& options) const;

 private:
  struct Range {
    uint64_t end = 0;
    uint32_t module = 0;
  };
  uint32_t module_at(uint64_t address) const;

  std::map<uint64_t, Range> loaded_;               // start of a mapped segment -> its end and module
  std::map<uint32_t, ModuleFile> modules_;         // every module ever loaded, by id
  std::unordered_map<uint64_t, uint32_t> frames_;  // frame -> module id (0: none)
  std::set<uint64_t> homeless_;                    // frames whose module is 0, until one is loaded over them
};

}  // namespace leakspy::symbolize
