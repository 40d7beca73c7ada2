#pragma once
// Function symbols of an ELF file (.dynsym and .symtab), read with libelf.
// Only a regular file is opened (common/regular_file.h), never a FIFO or a
// device. Offline side; allocates; throws Error(UnsupportedTarget) for a file
// that is not a 64-bit x86-64 ELF object.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace leakspy::attach {

struct ElfSymbol {
  uint64_t value = 0;  // link-time address; add the load bias
  uint64_t size = 0;
};

class ElfSymbols {
 public:
  explicit ElfSymbols(const std::string& path);

  // The defined function called `name` (any version), or nothing.
  std::optional<ElfSymbol> find(const std::string& name) const;
  // The function whose [value, value + size) holds `link_address`, or "".
  std::string function_at(uint64_t link_address) const;

 private:
  struct Function {
    uint64_t value;
    uint64_t size;
    std::string name;
  };
  std::vector<Function> functions_;  // by address
};

}  // namespace leakspy::attach
