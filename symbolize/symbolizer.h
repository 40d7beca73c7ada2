#pragma once
// Resolves native frames to source frames, reading each ELF file once: the
// debug information is cached by build-id (by path for files without one), so
// a library mapped by many modules, or under several paths, is read once.
// Not thread-safe; allocates; never throws for a missing or odd file.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "symbolize/module_debug_info.h"
#include "symbolize/symbol_types.h"

namespace leakspy::symbolize {

class Symbolizer {
 public:
  explicit Symbolizer(SymbolizeOptions options = {});
  ~Symbolizer();

  // The source frames of `return_address`, a native frame of a stack in
  // `module` (looked up at return_address - 1: the call instruction).
  // Innermost first; empty when unresolved.
  std::vector<SourceFrame> resolve(const ModuleFile& module, uint64_t return_address);
  // The same for many frames of one module at once (much faster for many).
  std::vector<std::vector<SourceFrame>> resolve_many(const ModuleFile& module,
                                                     const std::vector<uint64_t>& return_addresses);

  // Why `module` resolves nothing: its refused files and the reasons ("" when
  // it resolves).
  std::string why_unresolved(const ModuleFile& module);

  // Files read so far (one per distinct build-id): for tests of the cache.
  size_t files_opened() const { return files_opened_; }

 private:
  ModuleDebugInfo& debug_info(const ModuleFile& module);

  SymbolizeOptions options_;
  std::unordered_map<std::string, std::unique_ptr<ModuleDebugInfo>> cache_;
  size_t files_opened_ = 0;
};

}  // namespace leakspy::symbolize
