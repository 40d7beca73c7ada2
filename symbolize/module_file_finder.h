#pragma once
// The files of a module, opened: the module's own file and its separate
// debug files (by build-id). A module's path is text from the target's
// message, so it may name any file: /etc/shadow, a FIFO, a device, a symlink
// into the host. The rules (docs/design.md, "Trust boundary"):
//
// - The module's file is opened with the target's rights when
//   `open_as_target` is set (a helper in the target's view), and only so:
//   what the target could not read, leakspy does not read for it. A target
//   leakspy started itself (`run`) has leakspy's rights: its files are
//   opened by leakspy, inside its root (as below), build-id or not.
// - Without it, leakspy opens the file itself, resolved inside the target's
//   root (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: an absolute
//   symlink there stays there), and only for a module with a build-id: the
//   file is used only if its build-id is the module's (ModuleDebugInfo
//   checks it before reading anything else), so the target cannot point
//   leakspy's rights at a file whose contents it does not already know. A
//   module without a build-id is not opened at all.
// - A module with a build-id that neither way finds (the target's view has
//   a private /tmp over it) is tried by the same path in leakspy's own view,
//   with the same build-id check.
// - Debug files: DIR/.build-id/xx/rest.debug (a path made of the build-id's
//   hex digits, not of target text) for each debug directory, inside the
//   target's root first (as its module files), then in leakspy's own root;
//   used only if their build-id is the module's. Then the file the module's
//   .gnu_debuglink names (a plain file name, or nothing), where GDB looks:
//   beside the module, in .debug/ there, under each debug directory; opened
//   as the module's files are, for a module with a build-id only, and used
//   only if its build-id is the module's.
// - None of those, for a stripped module with a build-id, and DEBUGINFOD_URLS
//   set: the debuginfod servers' file for the build-id (debuginfod_client.h),
//   used only if its build-id is the module's.
// - Every file is opened with open_regular_file (common/regular_file.h):
//   never a FIFO or a device, and each is opened once: what is checked is
//   what is read (no stat by path, then open by path).
// Links are followed, inside the root: a module's path is the name the
// loader opened, often a soname link (libstdc++.so.6 -> libstdc++.so.6.0.30),
// and debug directories are links on some distributions.
// Thread-safe when open_as_target is; allocates.

#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "symbolize/symbol_types.h"

namespace leakspy::symbolize {

struct OpenedFile {
  UniqueFd fd;
  std::string name;  // for messages: the path as the target sees it, or leakspy's for its own debug files
};

struct ModuleFiles {
  std::vector<OpenedFile> module_files;  // in the order to try
  std::vector<OpenedFile> debug_files;   // in the order to try
  // Why a file was not opened, one line each: "PATH: reason" (a missing
  // debug file is not worth a line).
  std::vector<std::string> refused;
};

ModuleFiles open_module_files(const ModuleFile& module, const SymbolizeOptions& options);

// Lower-case hex of raw build-id bytes.
std::string build_id_hex(const std::string& raw);

}  // namespace leakspy::symbolize
