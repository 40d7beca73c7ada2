#pragma once
// The symbols and debug information of one ELF file, read with libdwfl:
// functions from DWARF (inline chains included), else from .symtab or
// .dynsym; source lines from the DWARF line table; separate debug files found
// by build-id. One libdwfl session per file, so that a file's tables are read
// once however many addresses are looked up in it.
// Not thread-safe. Never throws for a bad file: it resolves nothing instead.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "symbolize/module_file_finder.h"
#include "symbolize/symbol_types.h"

struct Dwfl;
struct Dwfl_Module;

namespace leakspy::symbolize {

class ModuleDebugInfo {
 public:
  // Uses the first of `files.module_files` that is an ELF file with the
  // module's build-id (any ELF file for a module without one: such a file
  // was opened with the target's rights), or else, in its place, the first
  // separate debug file with the module's build-id (it has the symbols and
  // DWARF, which is all that resolving needs). A file's build-id is checked
  // before anything else of it is read. Without any, the result resolves
  // nothing, and why_unusable() says why.
  static std::unique_ptr<ModuleDebugInfo> open(const ModuleFile& module, ModuleFiles files);
  ~ModuleDebugInfo();
  ModuleDebugInfo(const ModuleDebugInfo&) = delete;
  ModuleDebugInfo& operator=(const ModuleDebugInfo&) = delete;

  bool usable() const { return module_ != nullptr; }
  const std::string& file() const { return file_; }
  // Every file refused, "PATH: reason" joined by "; " (refusals of files
  // that were not needed included).
  const std::string& why_unusable() const { return refusals_; }

  // The source frames at `file_address` (an address in the ELF file's own
  // virtual address space: runtime address minus load bias), innermost first.
  std::vector<SourceFrame> resolve(uint64_t file_address) const;
  // The same for many addresses at once, much faster than one by one: each
  // compilation unit's DIE tree is walked once for all its addresses.
  std::vector<std::vector<SourceFrame>> resolve_many(const std::vector<uint64_t>& file_addresses) const;

 private:
  ModuleDebugInfo() = default;
  bool report(OpenedFile& file);
  void refuse(const std::string& line);

  Dwfl* dwfl_ = nullptr;
  Dwfl_Module* module_ = nullptr;
  std::string file_;
  std::string refusals_;
  // The separate debug file, handed to libdwfl's find_debuginfo callback
  // (module user data); fd -1 when there is none.
  OpenedFile debug_file_;
};

}  // namespace leakspy::symbolize
