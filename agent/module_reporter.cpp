#include "agent/module_reporter.h"

#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <climits>

#include <cstring>

#include "agent/agent_memory.h"

namespace leakspy::agent {

namespace {

uint64_t hash_name(const char* name) {
  uint64_t hash = 1469598103934665603ull;
  for (const char* p = name; p != nullptr && *p != '\0'; ++p) hash = (hash ^ static_cast<uint8_t>(*p)) * 1099511628211ull;
  return hash;
}

// Finds NT_GNU_BUILD_ID in the module's PT_NOTE segments, in memory.
uint32_t find_build_id(const dl_phdr_info* info, const uint8_t** out) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type != PT_NOTE) continue;
    auto* note = reinterpret_cast<const uint8_t*>(info->dlpi_addr + phdr.p_vaddr);
    const uint8_t* end = note + phdr.p_memsz;
    while (note + sizeof(ElfW(Nhdr)) <= end) {
      auto* header = reinterpret_cast<const ElfW(Nhdr)*>(note);
      const uint8_t* name = note + sizeof(ElfW(Nhdr));
      const uint8_t* desc = name + ((header->n_namesz + 3) & ~3u);
      const uint8_t* next = desc + ((header->n_descsz + 3) & ~3u);
      if (next > end) break;
      if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        *out = desc;
        return header->n_descsz;
      }
      note = next;
    }
  }
  return 0;
}

}  // namespace

int visit_module(dl_phdr_info* info, size_t, void* data) {
  return static_cast<ModuleReporter*>(data)->on_module(info) ? 0 : 1;
}

void ModuleReporter::reset() {
  known_count_ = 0;
  last_adds_ = ~0ull;
  last_subs_ = ~0ull;
}

bool ModuleReporter::on_module(const dl_phdr_info* info) {
  uint64_t name_hash = hash_name(info->dlpi_name);
  auto phdr = reinterpret_cast<uintptr_t>(info->dlpi_phdr);
  for (uint32_t i = 0; i < known_count_; ++i) {
    KnownModule& known = known_[i];
    if (known.bias == info->dlpi_addr && known.phdr == phdr && known.name_hash == name_hash) {
      known.seen = true;
      return true;
    }
  }
  if (known_count_ == kMaxModules) return true;
  KnownModule& known = known_[known_count_++];
  known = {info->dlpi_addr, phdr, name_hash, next_id_++, true};

  // Staged, not sent: this runs under glibc's module-list lock, and a send may
  // block on a slow recorder while every unwinding thread waits for that lock.
  static_assert(wire::kMaxModulePathBytes == PATH_MAX);
  constexpr size_t kMaxMessage = sizeof(wire::WireModule) + wire::kMaxModulePathBytes + wire::kMaxBuildIdBytes +
                                 wire::kMaxModuleSegments * sizeof(wire::WireSegment);
  if (staged_bytes_ + sizeof(wire::MessageHeader) + kMaxMessage > kStagingBytes) {
    --known_count_;
    staging_full_ = true;
    return true;
  }
  auto* staged = reinterpret_cast<wire::MessageHeader*>(staging_ + staged_bytes_);
  uint8_t* message = reinterpret_cast<uint8_t*>(staged + 1);
  auto* header = reinterpret_cast<wire::WireModule*>(message);
  char* path = reinterpret_cast<char*>(message + sizeof(wire::WireModule));
  uint32_t path_length = 0;
  if (info->dlpi_name == nullptr || info->dlpi_name[0] == '\0') {
    ssize_t n = readlink("/proc/self/exe", path, PATH_MAX);  // the main program has no name here
    path_length = n > 0 ? static_cast<uint32_t>(n) : 0;
  } else {
    path_length = static_cast<uint32_t>(strnlen(info->dlpi_name, PATH_MAX));
    std::memcpy(path, info->dlpi_name, path_length);
  }
  const uint8_t* build_id = nullptr;
  uint32_t build_id_length = find_build_id(info, &build_id);
  if (build_id_length > wire::kMaxBuildIdBytes) build_id_length = 0;
  uint8_t* cursor = reinterpret_cast<uint8_t*>(path) + path_length;
  if (build_id_length > 0) std::memcpy(cursor, build_id, build_id_length);
  cursor += build_id_length;
  uint32_t segments = 0;
  for (int i = 0; i < info->dlpi_phnum && segments < wire::kMaxModuleSegments; ++i) {
    const ElfW(Phdr)& phdr_entry = info->dlpi_phdr[i];
    if (phdr_entry.p_type != PT_LOAD) continue;
    wire::WireSegment segment{phdr_entry.p_vaddr, phdr_entry.p_memsz, phdr_entry.p_flags, 0};
    std::memcpy(cursor, &segment, sizeof(segment));
    cursor += sizeof(segment);
    ++segments;
  }
  *header = {known.id, path_length, build_id_length, segments, info->dlpi_addr};
  auto length = static_cast<uint32_t>(cursor - message);
  *staged = {static_cast<uint32_t>(wire::MessageType::Module), length};
  staged_bytes_ += (sizeof(wire::MessageHeader) + length + 7) & ~size_t{7};
  return true;
}

bool ModuleReporter::report_changes(Transport& transport, const LoadCounters& counters) {
  if (known_ == nullptr) {
    known_ = static_cast<KnownModule*>(map_pages(sizeof(KnownModule) * kMaxModules));
    staging_ = static_cast<uint8_t*>(map_pages(kStagingBytes));
    if (known_ == nullptr || staging_ == nullptr) return false;
  }
  if (counters.adds == last_adds_ && counters.subs == last_subs_) return true;

  for (uint32_t i = 0; i < known_count_; ++i) known_[i].seen = false;
  staged_bytes_ = 0;
  staging_full_ = false;
  dl_iterate_phdr(visit_module, this);
  if (!staging_full_) {  // otherwise look again next time for the rest
    last_adds_ = counters.adds;
    last_subs_ = counters.subs;
  }

  bool ok = true;
  for (size_t offset = 0; ok && offset < staged_bytes_;) {
    auto* staged = reinterpret_cast<const wire::MessageHeader*>(staging_ + offset);
    ok = transport.add_copy(static_cast<wire::MessageType>(staged->type), staged + 1, staged->length);
    offset += (sizeof(wire::MessageHeader) + staged->length + 7) & ~size_t{7};
  }
  uint32_t kept = 0;
  for (uint32_t i = 0; i < known_count_; ++i) {
    if (!known_[i].seen) {
      wire::WireModuleUnload unload{known_[i].id, 0};
      ok = ok && transport.add_copy(wire::MessageType::ModuleUnload, &unload, sizeof(unload));
      continue;
    }
    known_[kept++] = known_[i];
  }
  known_count_ = kept;
  return ok;
}

}  // namespace leakspy::agent
