#include "agent/got_patcher.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "agent/agent_memory.h"
#include "agent/hook_list.h"

namespace leakspy::agent {

namespace {

constexpr uint32_t kMaxModules = 8192;
constexpr uint32_t kMaxSlots = 1u << 16;

struct PatchedSlot {
  uintptr_t address;
  uintptr_t original;
  uint32_t function;  // HookedFunction
};

// A module is recognised by its dynamic section's address and a fingerprint
// of its dynamic tables, so that a different library later mapped at the same
// address is not mistaken for one already patched.
struct PatchedModule {
  uintptr_t dynamic;
  uint64_t fingerprint;
  uint32_t first_slot;
  uint32_t slot_count;
  bool seen;  // scratch flag for forget_unloaded_modules
};

struct PatchTables {
  PatchedModule* modules;
  PatchedSlot* slots;
  uint32_t module_count;
  uint32_t slot_count;
};

constinit pthread_mutex_t patch_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
constinit PatchTables tables = {};
constinit uintptr_t agent_load_bias = 0;
constinit bool tables_full = false;

class PatchLock {
 public:
  PatchLock() { pthread_mutex_lock(&patch_mutex); }
  ~PatchLock() { pthread_mutex_unlock(&patch_mutex); }
};

bool ensure_tables() {
  if (tables.modules != nullptr) return true;
  tables.modules = static_cast<PatchedModule*>(map_pages(sizeof(PatchedModule) * kMaxModules));
  tables.slots = static_cast<PatchedSlot*>(map_pages(sizeof(PatchedSlot) * kMaxSlots));
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&install_got_hooks), &info) != 0) {
    agent_load_bias = reinterpret_cast<uintptr_t>(info.dli_fbase);
  }
  return tables.modules != nullptr && tables.slots != nullptr;
}

// What a module's dynamic section says about its relocations.
struct DynamicInfo {
  const ElfW(Sym)* symtab = nullptr;
  const char* strtab = nullptr;
  size_t strsz = 0;
  const ElfW(Rela)* jmprel = nullptr;
  size_t jmprel_size = 0;
  const ElfW(Rela)* rela = nullptr;
  size_t rela_size = 0;
  bool plt_is_rela = true;

  uint64_t fingerprint() const {
    return reinterpret_cast<uintptr_t>(strtab) ^ (strsz << 20) ^ (jmprel_size << 40) ^ (rela_size << 8) ^
           reinterpret_cast<uintptr_t>(symtab) << 3;
  }
};

// glibc rewrites most d_ptr values of a loaded module to absolute addresses;
// other loaders (and the vdso) may leave them relative to the load bias.
uintptr_t absolute(uintptr_t pointer, uintptr_t bias) { return pointer < bias ? pointer + bias : pointer; }

bool read_dynamic(const ElfW(Dyn)* dynamic, uintptr_t bias, DynamicInfo* out) {
  for (const ElfW(Dyn)* entry = dynamic; entry->d_tag != DT_NULL; ++entry) {
    switch (entry->d_tag) {
      case DT_SYMTAB: out->symtab = reinterpret_cast<const ElfW(Sym)*>(absolute(entry->d_un.d_ptr, bias)); break;
      case DT_STRTAB: out->strtab = reinterpret_cast<const char*>(absolute(entry->d_un.d_ptr, bias)); break;
      case DT_STRSZ: out->strsz = entry->d_un.d_val; break;
      case DT_JMPREL: out->jmprel = reinterpret_cast<const ElfW(Rela)*>(absolute(entry->d_un.d_ptr, bias)); break;
      case DT_PLTRELSZ: out->jmprel_size = entry->d_un.d_val; break;
      case DT_PLTREL: out->plt_is_rela = entry->d_un.d_val == DT_RELA; break;
      case DT_RELA: out->rela = reinterpret_cast<const ElfW(Rela)*>(absolute(entry->d_un.d_ptr, bias)); break;
      case DT_RELASZ: out->rela_size = entry->d_un.d_val; break;
      default: break;
    }
  }
  return out->symtab != nullptr && out->strtab != nullptr && out->plt_is_rela;
}

int hooked_function_index(const char* name) {
  // Cheap filter first: most imported names are not ours.
  if (name[0] != 'm' && name[0] != 'c' && name[0] != 'r' && name[0] != 'f' && name[0] != 'p' && name[0] != 'a' &&
      name[0] != 'v' && name[0] != 'd') {
    return -1;
  }
  for (int i = 0; i < kHookedFunctionCount; ++i) {
    if (std::strcmp(name, kHookTable[i].name) == 0) return i;
  }
  return -1;
}

struct RelroRange {
  uintptr_t begin = 0;
  uintptr_t end = 0;
};

// Writes `value` to a GOT slot, lifting RELRO's read-only protection for the
// moment of the write when the slot lies in it.
void write_slot(uintptr_t address, uintptr_t value, const RelroRange& relro) {
  bool protected_page = address >= relro.begin && address < relro.end;
  uintptr_t page = address & ~static_cast<uintptr_t>(getpagesize() - 1);
  if (protected_page) mprotect(reinterpret_cast<void*>(page), getpagesize(), PROT_READ | PROT_WRITE);
  __atomic_store_n(reinterpret_cast<uintptr_t*>(address), value, __ATOMIC_RELEASE);
  if (protected_page) mprotect(reinterpret_cast<void*>(page), getpagesize(), PROT_READ);
}

struct ModuleView {
  uintptr_t bias;
  const ElfW(Dyn)* dynamic;
  RelroRange relro;
};

bool view_module(const dl_phdr_info* info, ModuleView* view) {
  view->bias = info->dlpi_addr;
  view->dynamic = nullptr;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type == PT_DYNAMIC) view->dynamic = reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + phdr.p_vaddr);
    if (phdr.p_type == PT_GNU_RELRO) {
      view->relro.begin = info->dlpi_addr + phdr.p_vaddr;
      view->relro.end = view->relro.begin + phdr.p_memsz;
    }
  }
  if (view->dynamic == nullptr) return false;
  if (info->dlpi_name != nullptr && std::strncmp(info->dlpi_name, "linux-vdso", 10) == 0) return false;
  return info->dlpi_addr != agent_load_bias;  // never the agent itself
}

PatchedModule* find_module(uintptr_t dynamic, uint64_t fingerprint) {
  for (uint32_t i = 0; i < tables.module_count; ++i) {
    PatchedModule& module = tables.modules[i];
    if (module.dynamic == dynamic && module.fingerprint == fingerprint) return &module;
  }
  return nullptr;
}

void patch_relocations(const ElfW(Rela)* relocations, size_t bytes, const DynamicInfo& dyn, const ModuleView& view) {
  if (relocations == nullptr) return;
  size_t count = bytes / sizeof(ElfW(Rela));
  for (size_t i = 0; i < count; ++i) {
    const ElfW(Rela)& rela = relocations[i];
    uint32_t type = ELF64_R_TYPE(rela.r_info);
    if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) continue;
    uint32_t symbol = ELF64_R_SYM(rela.r_info);
    if (symbol == 0) continue;
    uint32_t name_offset = dyn.symtab[symbol].st_name;
    if (dyn.strsz != 0 && name_offset >= dyn.strsz) continue;
    int function = hooked_function_index(dyn.strtab + name_offset);
    if (function < 0) continue;
    if (tables.slot_count == kMaxSlots) {
      tables_full = true;
      return;
    }
    uintptr_t address = view.bias + rela.r_offset;
    uintptr_t wrapper = reinterpret_cast<uintptr_t>(kHookTable[function].wrapper);
    uintptr_t original = __atomic_load_n(reinterpret_cast<uintptr_t*>(address), __ATOMIC_ACQUIRE);
    if (original == wrapper) continue;
    tables.slots[tables.slot_count++] = {address, original, static_cast<uint32_t>(function)};
    write_slot(address, wrapper, view.relro);
  }
}

int patch_module(dl_phdr_info* info, size_t, void*) {
  ModuleView view;
  if (!view_module(info, &view)) return 0;
  DynamicInfo dyn;
  if (!read_dynamic(view.dynamic, view.bias, &dyn)) return 0;
  uintptr_t dynamic = reinterpret_cast<uintptr_t>(view.dynamic);
  if (find_module(dynamic, dyn.fingerprint()) != nullptr) return 0;
  if (tables.module_count == kMaxModules) {
    tables_full = true;
    return 0;
  }
  PatchedModule& module = tables.modules[tables.module_count++];
  module = {dynamic, dyn.fingerprint(), tables.slot_count, 0, false};
  patch_relocations(dyn.jmprel, dyn.jmprel_size, dyn, view);
  patch_relocations(dyn.rela, dyn.rela_size, dyn, view);
  module.slot_count = tables.slot_count - module.first_slot;
  return 0;
}

int restore_module(dl_phdr_info* info, size_t, void*) {
  ModuleView view;
  if (!view_module(info, &view)) return 0;
  DynamicInfo dyn;
  if (!read_dynamic(view.dynamic, view.bias, &dyn)) return 0;
  PatchedModule* module = find_module(reinterpret_cast<uintptr_t>(view.dynamic), dyn.fingerprint());
  if (module == nullptr) return 0;
  for (uint32_t i = module->first_slot; i < module->first_slot + module->slot_count; ++i) {
    const PatchedSlot& slot = tables.slots[i];
    uintptr_t wrapper = reinterpret_cast<uintptr_t>(kHookTable[slot.function].wrapper);
    if (__atomic_load_n(reinterpret_cast<uintptr_t*>(slot.address), __ATOMIC_ACQUIRE) == wrapper) {
      write_slot(slot.address, slot.original, view.relro);
    }
  }
  return 0;
}

int mark_present(dl_phdr_info* info, size_t, void*) {
  ModuleView view;
  if (!view_module(info, &view)) return 0;
  DynamicInfo dyn;
  if (!read_dynamic(view.dynamic, view.bias, &dyn)) return 0;
  if (PatchedModule* module = find_module(reinterpret_cast<uintptr_t>(view.dynamic), dyn.fingerprint())) {
    module->seen = true;
  }
  return 0;
}

// Drops the modules whose `seen` flag is clear and compacts both tables.
void compact_tables() {
  uint32_t modules = 0;
  uint32_t slots = 0;
  for (uint32_t i = 0; i < tables.module_count; ++i) {
    PatchedModule module = tables.modules[i];
    if (!module.seen) continue;
    std::memmove(&tables.slots[slots], &tables.slots[module.first_slot], module.slot_count * sizeof(PatchedSlot));
    module.first_slot = slots;
    slots += module.slot_count;
    tables.modules[modules++] = module;
  }
  tables.module_count = modules;
  tables.slot_count = slots;
}

}  // namespace

bool install_got_hooks() {
  PatchLock lock;
  if (!ensure_tables()) return false;
  dl_iterate_phdr(patch_module, nullptr);
  return !tables_full;
}

void remove_got_hooks() {
  PatchLock lock;
  if (tables.modules == nullptr) return;
  dl_iterate_phdr(restore_module, nullptr);
  tables.module_count = 0;
  tables.slot_count = 0;
  tables_full = false;
}

void forget_unloaded_modules() {
  PatchLock lock;
  if (tables.modules == nullptr) return;
  for (uint32_t i = 0; i < tables.module_count; ++i) tables.modules[i].seen = false;
  dl_iterate_phdr(mark_present, nullptr);
  compact_tables();
}

PatchStats got_patch_stats() {
  PatchLock lock;
  PatchStats stats;
  for (uint32_t i = 0; i < tables.module_count; ++i) {
    if (tables.modules[i].slot_count > 0) ++stats.modules;
  }
  stats.slots = tables.slot_count;
  return stats;
}

}  // namespace leakspy::agent
