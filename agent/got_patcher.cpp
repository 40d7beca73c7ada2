#include "agent/got_patcher.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "agent/agent_memory.h"
#include "agent/hook_list.h"
#include "agent/mapping_protection.h"

namespace leakspy::agent {

namespace {

constexpr uint32_t kMaxModules = 8192;
constexpr uint32_t kMaxSlots = 1u << 16;

// A module is recognised by its dynamic section's address and a fingerprint
// of its dynamic tables, so that a different library later mapped at the same
// address is not mistaken for one already patched.
struct PatchedModule {
  uintptr_t dynamic;
  uint64_t fingerprint;
  bool complete;  // every hookable entry is patched; no need to look again
  bool seen;      // scratch flag for forget_unloaded_modules
};

struct PatchedSlot {
  uintptr_t address;
  uintptr_t original;
  uint32_t function;  // HookedFunction
  uint32_t module;    // index into the module table
};

struct PatchTables {
  PatchedModule* modules;
  PatchedSlot* slots;
  uint32_t* scratch;  // one entry per module, for compaction and counting (off the target's stack)
  uint32_t module_count;
  uint32_t slot_count;
};

constinit pthread_mutex_t patch_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
constinit PatchTables tables = {};
constinit uintptr_t agent_load_bias = 0;
constinit bool tables_full = false;
constinit bool pass_incomplete = false;  // set by patch_module during one install pass

class PatchLock {
 public:
  PatchLock() { pthread_mutex_lock(&patch_mutex); }
  ~PatchLock() { pthread_mutex_unlock(&patch_mutex); }
};

bool ensure_tables() {
  if (tables.modules != nullptr) return true;
  tables.modules = static_cast<PatchedModule*>(map_pages(sizeof(PatchedModule) * kMaxModules));
  tables.slots = static_cast<PatchedSlot*>(map_pages(sizeof(PatchedSlot) * kMaxSlots));
  tables.scratch = static_cast<uint32_t*>(map_pages(sizeof(uint32_t) * kMaxModules));
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&install_got_hooks), &info) != 0) {
    agent_load_bias = reinterpret_cast<uintptr_t>(info.dli_fbase);
  }
  return tables.modules != nullptr && tables.slots != nullptr && tables.scratch != nullptr;
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

// The first letters of the hooked names, taken from the list itself.
constexpr std::array<bool, 256> kHookedFirstLetters = [] {
  std::array<bool, 256> letters{};
#define LEAKSPY_FIRST_LETTER(name, ret, params) letters[static_cast<unsigned char>(#name[0])] = true;
  LEAKSPY_HOOKED_FUNCTIONS(LEAKSPY_FIRST_LETTER)
#undef LEAKSPY_FIRST_LETTER
  return letters;
}();

// The hook of an imported name, or -1. A function whose real definition was
// not found (real_functions.cpp) is never hooked: its wrapper has nothing to call.
int hooked_function_index(const char* name) {
  // Cheap filter first: most imported names are not ours.
  if (!kHookedFirstLetters[static_cast<unsigned char>(name[0])]) return -1;
  for (int i = 0; i < kHookedFunctionCount; ++i) {
    if (std::strcmp(name, kHookTable[i].name) == 0) return real_function(i) != nullptr ? i : -1;
  }
  return -1;
}

struct RelroRange {
  uintptr_t begin = 0;
  uintptr_t end = 0;
  bool present() const { return end > begin; }
};

// Writes `value` to a GOT slot, lifting RELRO's read-only protection for the
// moment of the write when the slot lies in it. Only called for modules whose
// RELRO is in force, so PROT_READ is the protection to put back.
void write_slot(uintptr_t address, uintptr_t value, const RelroRange& relro) {
  bool protected_page = address >= relro.begin && address < relro.end;
  uintptr_t page = address & ~static_cast<uintptr_t>(getpagesize() - 1);
  if (protected_page) mprotect(reinterpret_cast<void*>(page), getpagesize(), PROT_READ | PROT_WRITE);
  __atomic_store_n(reinterpret_cast<uintptr_t*>(address), value, __ATOMIC_RELEASE);
  if (protected_page) mprotect(reinterpret_cast<void*>(page), getpagesize(), PROT_READ);
}

struct ModuleView {
  uintptr_t bias;
  uintptr_t span;  // the highest link-time address of its segments
  const ElfW(Dyn)* dynamic;
  RelroRange relro;
  DynamicInfo info;
};

bool view_module(const dl_phdr_info* info, ModuleView* view) {
  view->bias = info->dlpi_addr;
  view->span = 0;
  view->dynamic = nullptr;
  view->relro = {};
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type == PT_LOAD && phdr.p_vaddr + phdr.p_memsz > view->span) view->span = phdr.p_vaddr + phdr.p_memsz;
    if (phdr.p_type == PT_DYNAMIC) view->dynamic = reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + phdr.p_vaddr);
    if (phdr.p_type == PT_GNU_RELRO) {
      view->relro.begin = info->dlpi_addr + phdr.p_vaddr;
      view->relro.end = view->relro.begin + phdr.p_memsz;
    }
  }
  if (view->dynamic == nullptr) return false;
  if (info->dlpi_name != nullptr && std::strncmp(info->dlpi_name, "linux-vdso", 10) == 0) return false;
  if (info->dlpi_addr == agent_load_bias) return false;  // never the agent itself
  return read_dynamic(view->dynamic, view->bias, &view->info);
}

int32_t find_module(const ModuleView& view) {
  auto dynamic = reinterpret_cast<uintptr_t>(view.dynamic);
  uint64_t fingerprint = view.info.fingerprint();
  for (uint32_t i = 0; i < tables.module_count; ++i) {
    if (tables.modules[i].dynamic == dynamic && tables.modules[i].fingerprint == fingerprint) {
      return static_cast<int32_t>(i);
    }
  }
  return -1;
}

// Has the loader finished with this module? It applies RELRO protection right
// after relocating a module; until then a GOT entry may still be rewritten by
// the loader, and its page must stay writable (another thread may be inside
// dlopen right now). Modules without RELRO are judged per entry instead.
bool loader_is_done(const ModuleView& view) {
  return !view.relro.present() || protection_of(view.relro.begin) == Protection::ReadOnly;
}

// Does this GOT value look relocated? Before relocation an entry holds 0 or a
// link-time address of the module itself (its PLT stub), which is below the
// module's link-time span; relocated, it points into some loaded module. A
// module loaded at 0 (a non-PIE program) cannot tell, but it was relocated
// before main ran.
bool looks_relocated(uintptr_t value, const ModuleView& view) {
  if (value < 4096) return false;
  return view.bias < view.span || value >= view.span;
}

// Patches the entries of one relocation table; returns false if some entry
// could not be patched yet (not relocated, or the tables are full). With
// `relocated` the loader is known to be done: an entry that does not look
// like an address is a weak reference to something absent, left alone.
bool patch_relocations(const ElfW(Rela)* relocations, size_t bytes, const ModuleView& view, uint32_t module,
                       bool relocated) {
  if (relocations == nullptr) return true;
  const DynamicInfo& dyn = view.info;
  bool complete = true;
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
    uintptr_t address = view.bias + rela.r_offset;
    uintptr_t wrapper = reinterpret_cast<uintptr_t>(kHookTable[function].wrapper);
    uintptr_t original = __atomic_load_n(reinterpret_cast<uintptr_t*>(address), __ATOMIC_ACQUIRE);
    if (original == wrapper) continue;
    if (!looks_relocated(original, view)) {
      if (!relocated) complete = false;
      continue;
    }
    if (tables.slot_count == kMaxSlots) {
      tables_full = true;
      return false;
    }
    tables.slots[tables.slot_count++] = {address, original, static_cast<uint32_t>(function), module};
    write_slot(address, wrapper, view.relro);
  }
  return complete;
}

// Puts wrappers back into entries the lazy-binding resolver overwrote while
// we patched (it may have been resolving that very entry on another thread).
void repair_module(uint32_t module, const ModuleView& view) {
  for (uint32_t i = 0; i < tables.slot_count; ++i) {
    PatchedSlot& slot = tables.slots[i];
    if (slot.module != module) continue;
    uintptr_t wrapper = reinterpret_cast<uintptr_t>(kHookTable[slot.function].wrapper);
    uintptr_t now = __atomic_load_n(reinterpret_cast<uintptr_t*>(slot.address), __ATOMIC_ACQUIRE);
    if (now == wrapper || !looks_relocated(now, view)) continue;
    slot.original = now;
    write_slot(slot.address, wrapper, view.relro);
  }
}

int patch_module(dl_phdr_info* info, size_t, void*) {
  ModuleView view;
  if (!view_module(info, &view)) return 0;
  int32_t found = find_module(view);
  if (found >= 0 && tables.modules[found].complete) {
    repair_module(static_cast<uint32_t>(found), view);
    return 0;
  }
  if (!loader_is_done(view)) {  // being loaded by another thread: next time
    pass_incomplete = true;
    return 0;
  }
  if (found < 0) {
    if (tables.module_count == kMaxModules) {
      tables_full = true;
      return 0;
    }
    found = static_cast<int32_t>(tables.module_count++);
    tables.modules[found] = {reinterpret_cast<uintptr_t>(view.dynamic), view.info.fingerprint(), false, false};
  }
  auto module = static_cast<uint32_t>(found);
  bool relocated = view.relro.present();  // loader_is_done() said its RELRO is in force
  bool plt = patch_relocations(view.info.jmprel, view.info.jmprel_size, view, module, relocated);
  bool data = patch_relocations(view.info.rela, view.info.rela_size, view, module, relocated);
  tables.modules[module].complete = plt && data;
  if (!tables.modules[module].complete) pass_incomplete = true;
  return 0;
}

int restore_module(dl_phdr_info* info, size_t, void*) {
  ModuleView view;
  if (!view_module(info, &view)) return 0;
  int32_t module = find_module(view);
  if (module < 0) return 0;
  for (uint32_t i = 0; i < tables.slot_count; ++i) {
    const PatchedSlot& slot = tables.slots[i];
    if (slot.module != static_cast<uint32_t>(module)) continue;
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
  int32_t module = find_module(view);
  if (module >= 0) tables.modules[module].seen = true;
  return 0;
}

// Drops the modules whose `seen` flag is clear, and their slots.
void compact_tables() {
  constexpr uint32_t kGone = UINT32_MAX;
  uint32_t* new_index = tables.scratch;
  uint32_t modules = 0;
  for (uint32_t i = 0; i < tables.module_count; ++i) {
    new_index[i] = tables.modules[i].seen ? modules : kGone;
    if (tables.modules[i].seen) tables.modules[modules++] = tables.modules[i];
  }
  uint32_t slots = 0;
  for (uint32_t i = 0; i < tables.slot_count; ++i) {
    PatchedSlot slot = tables.slots[i];
    if (new_index[slot.module] == kGone) continue;
    slot.module = new_index[slot.module];
    tables.slots[slots++] = slot;
  }
  tables.module_count = modules;
  tables.slot_count = slots;
}

}  // namespace

InstallResult install_got_hooks() {
  PatchLock lock;
  if (!ensure_tables()) return InstallResult::Failed;
  pass_incomplete = false;
  dl_iterate_phdr(patch_module, nullptr);
  if (tables_full) return InstallResult::Failed;
  return pass_incomplete ? InstallResult::Incomplete : InstallResult::Complete;
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
  if (tables.scratch == nullptr) return stats;
  std::memset(tables.scratch, 0, sizeof(uint32_t) * tables.module_count);
  for (uint32_t i = 0; i < tables.slot_count; ++i) {
    if (tables.scratch[tables.slots[i].module]++ == 0) ++stats.modules;
  }
  stats.slots = tables.slot_count;
  return stats;
}

}  // namespace leakspy::agent
