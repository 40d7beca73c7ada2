#include "tests/unit/symbolize/self_module.h"

#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace leakspy::symbolize::test {

namespace probe {

__attribute__((noinline)) uintptr_t return_address() {
  return reinterpret_cast<uintptr_t>(__builtin_return_address(0));
}

// The tests expect these exact lines: keep the layout.
// clang-format off
constexpr uint32_t kInlinedLine = __LINE__ + 2;
__attribute__((always_inline)) inline uintptr_t inlined_probe() {
  return return_address();
}
// clang-format on

constexpr uint32_t kOuterLine = __LINE__ + 2;
__attribute__((noinline)) uintptr_t outer_probe() {
  uintptr_t address = inlined_probe();
  __asm__ volatile("" : "+r"(address));  // keeps the call out of tail position
  return address;
}

}  // namespace probe

const uint32_t kInlinedProbeLine = probe::kInlinedLine;
const uint32_t kOuterProbeLine = probe::kOuterLine;

uintptr_t outer_probe() { return probe::outer_probe(); }

namespace {

std::string build_id_of(const dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type != PT_NOTE) continue;
    const auto* note = reinterpret_cast<const char*>(info->dlpi_addr + phdr.p_vaddr);
    const char* end = note + phdr.p_memsz;
    while (note + sizeof(ElfW(Nhdr)) <= end) {
      const auto* header = reinterpret_cast<const ElfW(Nhdr)*>(note);
      const char* name = note + sizeof(ElfW(Nhdr));
      const char* desc = name + ((header->n_namesz + 3) & ~3u);
      if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        return std::string(desc, header->n_descsz);
      }
      note = desc + ((header->n_descsz + 3) & ~3u);
    }
  }
  return {};
}

}  // namespace

ModuleFile self_module() {
  ModuleFile module;
  char path[4096] = {};
  ssize_t length = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  module.path = std::string(path, length > 0 ? static_cast<size_t>(length) : 0);
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* out = static_cast<ModuleFile*>(data);
        if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0') return 0;  // the main program has no name
        out->load_bias = info->dlpi_addr;
        out->build_id = build_id_of(info);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
          if (phdr.p_type == PT_LOAD) {
            out->segments.push_back({phdr.p_vaddr, phdr.p_memsz, static_cast<uint8_t>(phdr.p_flags & 7)});
          }
        }
        return 1;
      },
      &module);
  return module;
}

}  // namespace leakspy::symbolize::test
