#include "attach/elf_symbols.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "common/error.h"
#include "common/regular_file.h"
#include "common/unique_fd.h"

namespace leakspy::attach {

namespace {

struct ElfCloser {
  void operator()(Elf* elf) const { elf_end(elf); }
};

}  // namespace

ElfSymbols::ElfSymbols(const std::string& path) {
  elf_version(EV_CURRENT);
  // A mapped file's path may now name a FIFO or a device the target put in
  // its place: an open for reading would wait forever, or act.
  std::string why;
  UniqueFd fd = open_regular_file(path, RegularFileOpen{}, &why);
  if (!fd) throw Error(ErrorKind::UnsupportedTarget, "cannot open " + path + ": " + why);
  std::unique_ptr<Elf, ElfCloser> elf(elf_begin(fd.get(), ELF_C_READ, nullptr));
  GElf_Ehdr header;
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF || gelf_getehdr(elf.get(), &header) == nullptr) {
    throw Error(ErrorKind::UnsupportedTarget, path + " is not an ELF file");
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_machine != EM_X86_64) {
    throw Error(ErrorKind::UnsupportedTarget, path + " is not a 64-bit x86-64 object; leakspy records those only");
  }
  for (Elf_Scn* section = elf_nextscn(elf.get(), nullptr); section != nullptr;
       section = elf_nextscn(elf.get(), section)) {
    GElf_Shdr section_header;
    if (gelf_getshdr(section, &section_header) == nullptr) continue;
    if (section_header.sh_type != SHT_DYNSYM && section_header.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(section, nullptr);
    if (data == nullptr || section_header.sh_entsize == 0) continue;
    size_t count = section_header.sh_size / section_header.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym symbol;
      if (gelf_getsym(data, static_cast<int>(i), &symbol) == nullptr) continue;
      if (GELF_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_shndx == SHN_UNDEF || symbol.st_value == 0) continue;
      const char* name = elf_strptr(elf.get(), section_header.sh_link, symbol.st_name);
      if (name == nullptr || name[0] == '\0') continue;
      functions_.push_back(Function{symbol.st_value, symbol.st_size, name});
    }
  }
  std::sort(functions_.begin(), functions_.end(),
            [](const Function& a, const Function& b) { return a.value < b.value; });
}

std::optional<ElfSymbol> ElfSymbols::find(const std::string& name) const {
  for (const Function& function : functions_) {
    if (function.name == name) return ElfSymbol{function.value, function.size};
  }
  return std::nullopt;
}

std::string ElfSymbols::function_at(uint64_t link_address) const {
  auto after = std::upper_bound(functions_.begin(), functions_.end(), link_address,
                                [](uint64_t address, const Function& function) { return address < function.value; });
  // Symbols may nest or overlap (aliases): look back a little for one that covers the address.
  for (int back = 0; back < 8 && after != functions_.begin(); ++back) {
    --after;
    if (link_address < after->value + std::max<uint64_t>(after->size, 1)) return after->name;
  }
  return "";
}

}  // namespace leakspy::attach
