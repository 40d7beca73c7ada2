#pragma once
// Debug files from debuginfod servers, for modules whose debug files are not
// on this machine: when DEBUGINFOD_URLS is set (as for GDB), a module's
// build-id is asked of those servers through libdebuginfod (loaded when first
// needed: without it, or without the variable, nothing is asked). The file
// comes into libdebuginfod's cache ($DEBUGINFOD_CACHE_PATH, else
// ~/.cache/debuginfod_client); DEBUGINFOD_TIMEOUT bounds each download.
// What a server sends is used only if its build-id is the module's, as for
// any debug file (ModuleDebugInfo checks). Thread-safe; allocates.

#include <string>

#include "common/unique_fd.h"

namespace leakspy::symbolize {

// Whether DEBUGINFOD_URLS names a server.
bool debuginfod_enabled();

// The debug file of the module with raw build-id `build_id`, opened; empty
// with `why` set when no server has it (or none can be asked). `path` is
// the cached file's.
UniqueFd fetch_debug_file(const std::string& build_id, std::string* path, std::string* why);

}  // namespace leakspy::symbolize
