#include "symbolize/module_file_finder.h"

#include <fcntl.h>
#include <linux/openat2.h>

#include <gelf.h>
#include <libelf.h>

#include <cerrno>
#include <cstring>

#include "common/regular_file.h"
#include "symbolize/debuginfod_client.h"

namespace leakspy::symbolize {

namespace {

// A path the target named, as it sees it, opened as the rules say.
UniqueFd open_target_file(const std::string& path, const SymbolizeOptions& options, std::string* why) {
  if (options.open_as_target) return options.open_as_target(path, why);
  RegularFileOpen how;
  if (options.root_fd >= 0) {
    how.directory = options.root_fd;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  } else {
    how.resolve = RESOLVE_NO_MAGICLINKS;  // leakspy's own root: an absolute path as it is
  }
  return open_regular_file(path, how, why);
}

// Whether `why` (open_regular_file's, or the helper's in the target's view)
// says that there is no such file, rather than that it may not be opened.
bool absent(const std::string& why) { return why == std::strerror(ENOENT) || why == std::strerror(ENOTDIR); }

// A debug file of leakspy's own: a configured directory and hex digits.
UniqueFd open_own_file(const std::string& path, std::string* why) {
  RegularFileOpen how;
  how.resolve = RESOLVE_NO_MAGICLINKS;
  return open_regular_file(path, how, why);
}

// The file name a module's .gnu_debuglink section gives ("" when none, or
// when it is not a plain file name: it is text of a file the target chose).
// The section of `elf` named `name`; nullptr when none.
Elf_Scn* section_named(Elf* elf, const char* name) {
  size_t names_index = 0;
  if (elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &names_index) != 0) return nullptr;
  for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr; section = elf_nextscn(elf, section)) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr) continue;
    const char* section_name = elf_strptr(elf, names_index, header.sh_name);
    if (section_name != nullptr && std::strcmp(section_name, name) == 0) return section;
  }
  return nullptr;
}

std::string debuglink_name(int fd) {
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (elf == nullptr) return "";
  std::string name;
  if (Elf_Scn* section = section_named(elf, ".gnu_debuglink")) {
    Elf_Data* data = elf_getdata(section, nullptr);
    if (data != nullptr && data->d_buf != nullptr && data->d_size > 0) {
      const char* text = static_cast<const char*>(data->d_buf);
      name.assign(text, strnlen(text, data->d_size));
    }
  }
  elf_end(elf);
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) return "";
  return name;
}

// Whether the file holds DWARF of its own (not stripped).
bool has_debug_info(int fd) {
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (elf == nullptr) return false;
  bool found = section_named(elf, ".debug_info") != nullptr || section_named(elf, ".zdebug_info") != nullptr;
  elf_end(elf);
  return found;
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

ModuleFiles open_module_files(const ModuleFile& module, const SymbolizeOptions& options) {
  ModuleFiles files;
  // Only absolute paths name files: the vdso ("linux-vdso.so.1") and other
  // pseudo-modules would otherwise be looked up relative to leakspy's cwd.
  if (!module.path.empty() && module.path[0] == '/') {
    std::string why;
    if (!options.open_as_target && !options.target_has_leakspys_rights && module.build_id.empty()) {
      files.refused.push_back(module.path +
                              ": not opened: the module has no build-id, and leakspy opens such a file only with "
                              "the target's own rights");
    } else if (UniqueFd fd = open_target_file(module.path, options, &why)) {
      files.module_files.push_back({std::move(fd), module.path});
    } else if (UniqueFd own = absent(why) && !module.build_id.empty() ? open_own_file(module.path, &why) : UniqueFd()) {
      // The target's view need not show what leakspy's does (a private
      // /tmp over the program's folder): a path absent there, of a module
      // with a build-id, is tried in leakspy's own view, and used only if
      // the build-id is the module's (as for debug files). A file the
      // target may not read is not absent: leakspy does not read it for it.
      files.module_files.push_back({std::move(own), module.path});
    } else {
      files.refused.push_back(module.path + ": " + why);
    }
  }
  if (module.build_id.size() >= 2) {
    std::string hex = build_id_hex(module.build_id);
    std::string relative = "/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug";
    for (const std::string& directory : options.debug_directories) {
      std::string path = directory + relative;
      std::string why;
      if (UniqueFd fd = open_target_file(path, options, &why)) files.debug_files.push_back({std::move(fd), path});
      // Inside a root that is leakspy's own, this is the same file again:
      // harmless, the first that matches is used.
      if (UniqueFd fd = open_own_file(path, &why)) files.debug_files.push_back({std::move(fd), path});
    }
  }
  // The module's .gnu_debuglink, where GDB looks: beside it, in .debug/
  // beside it, and under each debug directory. Only for a module with a
  // build-id, which the debug file must have too (ModuleDebugInfo checks).
  if (!files.module_files.empty() && !module.build_id.empty()) {
    std::string name = debuglink_name(files.module_files.front().fd.get());
    std::string folder = module.path.substr(0, module.path.rfind('/'));
    if (!name.empty()) {
      std::vector<std::string> paths = {folder + "/" + name, folder + "/.debug/" + name};
      for (const std::string& directory : options.debug_directories) paths.push_back(directory + folder + "/" + name);
      for (const std::string& path : paths) {
        std::string why;
        if (UniqueFd fd = open_target_file(path, options, &why)) files.debug_files.push_back({std::move(fd), path});
      }
    }
  }
  // Nothing here, and the module is stripped (or unreadable): a debuginfod
  // server may have its debug file (DEBUGINFOD_URLS).
  if (files.debug_files.empty() && !module.build_id.empty() && debuginfod_enabled() &&
      (files.module_files.empty() || !has_debug_info(files.module_files.front().fd.get()))) {
    std::string path, why;
    if (UniqueFd fd = fetch_debug_file(module.build_id, &path, &why)) {
      files.debug_files.push_back({std::move(fd), path});
    } else {
      files.refused.push_back(module.path + ": no debug file from debuginfod: " + why);
    }
  }
  return files;
}

}  // namespace leakspy::symbolize
