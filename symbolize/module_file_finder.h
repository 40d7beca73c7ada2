#pragma once
// Where the files of a module are: the module itself (through the target's
// root while it lives, then by its plain path) and its separate debug file
// (by build-id). Only existing regular files are named: a path that is a
// FIFO or a device in a hostile container must never be opened.
// Thread-safe; allocates.

#include <string>
#include <vector>

#include "symbolize/symbol_types.h"

namespace leakspy::symbolize {

struct ModuleFileCandidates {
  std::vector<std::string> module_files;  // in the order to try
  std::string debug_file;                 // DIR/.build-id/xx/rest.debug, or "" if none exists
};

ModuleFileCandidates find_module_files(const ModuleFile& module, const SymbolizeOptions& options);

// Lower-case hex of raw build-id bytes.
std::string build_id_hex(const std::string& raw);

}  // namespace leakspy::symbolize
