#include "symbolize/module_debug_info.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

#include "symbolize/demangle.h"

namespace leakspy::symbolize {

namespace {

// libdwfl asks for a module's separate debug file here: ours (found by
// build-id and checked), or none. libdwfl's own search is not used: it opens
// by path, as leakspy's user, files named by the module's .gnu_debuglink
// (text of a file the target chose) next to it.
int find_debuginfo(Dwfl_Module*, void** user_data, const char*, Dwarf_Addr, const char*, const char*, GElf_Word,
                   char** debuginfo_file_name) {
  const auto* debug_file = static_cast<const OpenedFile*>(*user_data);
  if (debug_file == nullptr || !debug_file->fd) return -1;
  int fd = ::fcntl(debug_file->fd.get(), F_DUPFD_CLOEXEC, 0);  // libdwfl closes what it is given
  if (fd >= 0) *debuginfo_file_name = ::strdup(debug_file->name.c_str());
  return fd;
}

// The NT_GNU_BUILD_ID of an ELF file ("" when none), read from its notes
// only; false when it is not an ELF file.
bool read_build_id(int fd, std::string* build_id) {
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (elf == nullptr) return false;
  bool is_elf = elf_kind(elf) == ELF_K_ELF;
  const void* bits = nullptr;
  ssize_t length = is_elf ? dwelf_elf_gnu_build_id(elf, &bits) : -1;
  build_id->assign(length > 0 ? static_cast<const char*>(bits) : "", length > 0 ? static_cast<size_t>(length) : 0);
  elf_end(elf);
  return is_elf;
}

// Why `file` must not stand for a module with `expected` build-id; "" when it may.
std::string mismatch(const OpenedFile& file, const std::string& expected) {
  std::string found;
  if (!read_build_id(file.fd.get(), &found)) return "not an ELF file";
  if (expected.empty() || found == expected) return "";
  // A file rebuilt or replaced since the target loaded it: its symbols
  // would be wrong, which is worse than none. Or a file the target named to
  // make leakspy read it.
  return "its build-id " + (found.empty() ? std::string("is missing") : build_id_hex(found)) +
         ", the module's is " + build_id_hex(expected);
}

const Dwfl_Callbacks kCallbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,  // libdwfl's default search path
};

const char* string_attribute(Dwarf_Die* die, unsigned int name) {
  Dwarf_Attribute attribute;
  // _integrate follows DW_AT_abstract_origin and DW_AT_specification: an
  // inlined instance and an out-of-line member function keep their names there.
  return dwarf_formstring(dwarf_attr_integrate(die, name, &attribute));
}

std::string function_name(Dwarf_Die* die) {
  const char* linkage = string_attribute(die, DW_AT_linkage_name);
  if (linkage == nullptr) linkage = string_attribute(die, DW_AT_MIPS_linkage_name);
  if (linkage != nullptr) return demangle(linkage);  // qualified, with parameters
  const char* name = string_attribute(die, DW_AT_name);
  return name != nullptr ? name : "";
}

// Where an inlined call was made: DW_AT_call_file / DW_AT_call_line.
void call_site(Dwarf_Die* inlined, Dwarf_Die* cu, std::string* file, uint32_t* line) {
  file->clear();
  *line = 0;
  Dwarf_Attribute attribute;
  Dwarf_Word value = 0;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attribute), &value) == 0) {
    Dwarf_Files* files = nullptr;
    size_t count = 0;
    if (dwarf_getsrcfiles(cu, &files, &count) == 0 && value < count) {
      const char* name = dwarf_filesrc(files, value, nullptr, nullptr);
      if (name != nullptr) *file = name;
    }
  }
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attribute), &value) == 0) {
    *line = static_cast<uint32_t>(value);
  }
}

// The source frames of a chain of function DIEs (outermost first, as a
// walk of the DIE tree meets them) at `address` (CU-relative, bias removed):
// innermost first, each at its line; the innermost at the address's own line,
// each outer one at the line of the inlined call it contains.
std::vector<SourceFrame> frames_of_chain(Dwarf_Die* cu, Dwarf_Addr address, std::vector<Dwarf_Die>& chain) {
  std::vector<SourceFrame> frames;
  std::string file;
  uint32_t line = 0;
  if (Dwarf_Line* row = dwarf_getsrc_die(cu, address)) {
    if (const char* source = dwarf_linesrc(row, nullptr, nullptr)) file = source;
    int number = 0;
    if (dwarf_lineno(row, &number) == 0 && number > 0) line = static_cast<uint32_t>(number);
  }
  for (auto die = chain.rbegin(); die != chain.rend(); ++die) {
    frames.push_back({function_name(&*die), file, line});
    if (dwarf_tag(&*die) != DW_TAG_inlined_subroutine) break;  // the real function: the chain ends
    call_site(&*die, cu, &file, &line);                        // the caller's line, for the next frame out
  }
  // Code with a line but no function DIE (assembly, some startup code).
  if (frames.empty() && !file.empty()) frames.push_back({"", file, line});
  return frames;
}

// Finds, for many addresses of one CU at once, the chain of function DIEs
// (subprogram, then the inlined subroutines inside it) that contains each.
// libdw's dwarf_getscopes() walks the CU's whole DIE tree for every address,
// which takes seconds on large CUs (an interpreter's eval loop); this walks
// it once, skipping every subtree whose PC ranges hold none of the addresses.
class ChainFinder {
 public:
  // `addresses` sorted ascending; results[i] is the chain of addresses[i],
  // outermost first (empty when no function contains it).
  ChainFinder(const std::vector<Dwarf_Addr>& addresses, std::vector<std::vector<Dwarf_Die>>* results)
      : addresses_(addresses), results_(*results) {}

  void walk(Dwarf_Die* parent, const std::vector<size_t>& candidates) {
    Dwarf_Die child;
    if (dwarf_child(parent, &child) != 0) return;
    do {
      int tag = dwarf_tag(&child);
      bool function = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine;
      bool scope = function || tag == DW_TAG_lexical_block || tag == DW_TAG_namespace || tag == DW_TAG_module;
      if (!scope) continue;  // types, variables, parameters: no code inside
      if (!dwarf_hasattr(&child, DW_AT_low_pc) && !dwarf_hasattr(&child, DW_AT_ranges)) {
        // Namespaces hold functions; a function without code is a declaration
        // or an abstract (inline) definition: nothing concrete inside.
        if (!function) walk(&child, candidates);
        continue;
      }
      std::vector<size_t> inside = contained(&child, candidates);
      if (inside.empty()) continue;
      if (function) {
        stack_.push_back(child);
        for (size_t index : inside) results_[index] = stack_;  // deeper functions overwrite this later
      }
      walk(&child, inside);
      if (function) stack_.pop_back();
    } while (dwarf_siblingof(&child, &child) == 0);
  }

 private:
  // The candidates whose address lies in the DIE's PC ranges.
  std::vector<size_t> contained(Dwarf_Die* die, const std::vector<size_t>& candidates) {
    std::vector<size_t> inside;
    Dwarf_Addr base = 0, start = 0, end = 0;
    for (ptrdiff_t offset = 0; (offset = dwarf_ranges(die, offset, &base, &start, &end)) > 0;) {
      auto first = std::lower_bound(candidates.begin(), candidates.end(), start,
                                    [&](size_t index, Dwarf_Addr value) { return addresses_[index] < value; });
      for (auto it = first; it != candidates.end() && addresses_[*it] < end; ++it) inside.push_back(*it);
    }
    std::sort(inside.begin(), inside.end());
    inside.erase(std::unique(inside.begin(), inside.end()), inside.end());
    return inside;
  }

  const std::vector<Dwarf_Addr>& addresses_;
  std::vector<std::vector<Dwarf_Die>>& results_;
  std::vector<Dwarf_Die> stack_;
};

}  // namespace

std::unique_ptr<ModuleDebugInfo> ModuleDebugInfo::open(const ModuleFile& module, ModuleFiles files) {
  std::unique_ptr<ModuleDebugInfo> info(new ModuleDebugInfo());
  for (const std::string& line : files.refused) info->refuse(line);
  // Debug files count only with the module's build-id, never without one.
  for (OpenedFile& debug : files.debug_files) {
    std::string why = mismatch(debug, module.build_id);
    if (why.empty() && !module.build_id.empty()) {
      info->debug_file_ = std::move(debug);
      break;
    }
    info->refuse(debug.name + ": " + (why.empty() ? "the module has no build-id" : why));
  }
  for (OpenedFile& file : files.module_files) {
    std::string why = mismatch(file, module.build_id);
    if (!why.empty()) {
      info->refuse(file.name + ": " + why);
      continue;
    }
    if (info->report(file)) return info;
  }
  // The module's own file is gone or different: its debug file has the same
  // symbols and DWARF (not the code, which we do not need).
  if (info->debug_file_.fd) {
    OpenedFile debug = std::move(info->debug_file_);
    info->report(debug);
  }
  return info;
}

ModuleDebugInfo::~ModuleDebugInfo() {
  if (dwfl_ != nullptr) dwfl_end(dwfl_);
}

void ModuleDebugInfo::refuse(const std::string& line) {
  if (!refusals_.empty()) refusals_ += "; ";
  refusals_ += line;
}

bool ModuleDebugInfo::report(OpenedFile& file) {
  if (dwfl_ != nullptr) dwfl_end(dwfl_);
  module_ = nullptr;
  dwfl_ = dwfl_begin(&kCallbacks);
  if (dwfl_ == nullptr) return false;
  dwfl_report_begin(dwfl_);
  // Bias 0: libdwfl addresses are the file's own (p_vaddr) addresses, for
  // ET_EXEC and ET_DYN alike; callers subtract the runtime load bias. With a
  // descriptor given, libdwfl opens nothing by name, and owns the descriptor
  // once the module is reported (dwfl_end closes it).
  Dwfl_Module* module = dwfl_report_elf(dwfl_, file.name.c_str(), file.name.c_str(), file.fd.get(), 0, true);
  dwfl_report_end(dwfl_, nullptr, nullptr);
  if (module == nullptr) {
    refuse(file.name + ": " + dwfl_errmsg(-1));
    return false;
  }
  file.fd.release();
  void** user_data = nullptr;
  dwfl_module_info(module, &user_data, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (user_data != nullptr) *user_data = &debug_file_;
  module_ = module;
  file_ = file.name;
  return true;
}

std::vector<SourceFrame> ModuleDebugInfo::resolve(uint64_t file_address) const {
  return resolve_many({file_address}).front();
}

std::vector<std::vector<SourceFrame>> ModuleDebugInfo::resolve_many(const std::vector<uint64_t>& file_addresses) const {
  std::vector<std::vector<SourceFrame>> frames(file_addresses.size());
  if (module_ == nullptr) return frames;
  // The addresses of each compilation unit, resolved together.
  struct UnitAddresses {
    Dwarf_Die cu;
    Dwarf_Addr bias = 0;
    std::vector<std::pair<Dwarf_Addr, size_t>> addresses;  // (CU-relative address, index in file_addresses)
  };
  std::map<Dwarf_Off, UnitAddresses> units;
  for (size_t i = 0; i < file_addresses.size(); ++i) {
    Dwarf_Addr bias = 0;
    Dwarf_Die* cu = dwfl_module_addrdie(module_, file_addresses[i], &bias);
    if (cu == nullptr) continue;
    UnitAddresses& unit = units[dwarf_dieoffset(cu)];
    unit.cu = *cu;
    unit.bias = bias;
    unit.addresses.emplace_back(file_addresses[i] - bias, i);
  }
  for (auto& [offset, unit] : units) {
    std::sort(unit.addresses.begin(), unit.addresses.end());
    std::vector<Dwarf_Addr> sorted;
    std::vector<size_t> all;
    for (const auto& [address, index] : unit.addresses) {
      all.push_back(sorted.size());
      sorted.push_back(address);
    }
    std::vector<std::vector<Dwarf_Die>> chains(sorted.size());
    ChainFinder(sorted, &chains).walk(&unit.cu, all);
    for (size_t k = 0; k < sorted.size(); ++k) {
      frames[unit.addresses[k].second] = frames_of_chain(&unit.cu, sorted[k], chains[k]);
    }
  }
  // No DWARF function (no debug information, or none for this code): the
  // ELF symbol table names the function.
  for (size_t i = 0; i < file_addresses.size(); ++i) {
    std::vector<SourceFrame>& resolved = frames[i];
    if (!resolved.empty() && !resolved.back().function.empty()) continue;
    GElf_Off offset = 0;
    GElf_Sym symbol{};
    GElf_Word section = 0;
    Elf* elf = nullptr;
    Dwarf_Addr symbol_bias = 0;
    const char* name = dwfl_module_addrinfo(module_, file_addresses[i], &offset, &symbol, &section, &elf, &symbol_bias);
    if (name != nullptr && *name != '\0') {
      if (resolved.empty()) resolved.push_back({});
      resolved.back().function = demangle(name);
    }
  }
  return frames;
}

}  // namespace leakspy::symbolize
