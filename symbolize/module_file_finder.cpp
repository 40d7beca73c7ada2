#include "symbolize/module_file_finder.h"

#include <sys/stat.h>

namespace leakspy::symbolize {

namespace {

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void add_if_file(std::vector<std::string>& out, const std::string& path) {
  for (const std::string& known : out) {
    if (known == path) return;
  }
  if (is_regular_file(path)) out.push_back(path);
}

}  // namespace

std::string build_id_hex(const std::string& raw) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(raw.size() * 2);
  for (char c : raw) {
    auto byte = static_cast<unsigned char>(c);
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0xF];
  }
  return hex;
}

ModuleFileCandidates find_module_files(const ModuleFile& module, const SymbolizeOptions& options) {
  ModuleFileCandidates candidates;
  // Only absolute paths name files: the vdso ("linux-vdso.so.1") and other
  // pseudo-modules would otherwise be looked up relative to leakspy's cwd.
  if (!module.path.empty() && module.path[0] == '/') {
    if (!options.root.empty()) add_if_file(candidates.module_files, options.root + module.path);
    // The plain path too: the root may be unreachable (another user's
    // container). The build-id check after opening rejects a different file.
    if (options.root.empty() || !module.build_id.empty()) add_if_file(candidates.module_files, module.path);
  }
  if (module.build_id.size() >= 2) {
    std::string hex = build_id_hex(module.build_id);
    std::string relative = "/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug";
    std::vector<std::string> debug_files;
    for (const std::string& directory : options.debug_directories) {
      if (!options.root.empty()) add_if_file(debug_files, options.root + directory + relative);
      add_if_file(debug_files, directory + relative);
    }
    if (!debug_files.empty()) candidates.debug_file = debug_files.front();
  }
  return candidates;
}

}  // namespace leakspy::symbolize
