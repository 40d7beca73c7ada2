#include "agent/loaded_modules.h"

#include <link.h>

#include <cstddef>
#include <cstdio>
#include <cstring>

namespace leakspy::agent {

namespace {

int read_counters(dl_phdr_info* info, size_t size, void* data) {
  auto* counters = static_cast<LoadCounters*>(data);
  if (size >= offsetof(dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
    counters->adds = info->dlpi_adds;
    counters->subs = info->dlpi_subs;
  }
  return 1;  // the counters are the same in every entry; one is enough
}

struct NameQuery {
  const char* prefix;
  char path[256];
};

int find_module_path(dl_phdr_info* info, size_t, void* data) {
  auto* query = static_cast<NameQuery*>(data);
  if (info->dlpi_name == nullptr || !has_library_name(info->dlpi_name, query->prefix)) return 0;
  std::snprintf(query->path, sizeof(query->path), "%s", info->dlpi_name);
  return 1;
}

}  // namespace

LoadCounters read_load_counters() {
  LoadCounters counters;
  dl_iterate_phdr(read_counters, &counters);
  return counters;
}

bool has_library_name(const char* path, const char* name) {
  const char* slash = std::strrchr(path, '/');
  const char* base = slash == nullptr ? path : slash + 1;
  return std::strncmp(base, name, std::strlen(name)) == 0;
}

bool mapped_module_path(const char* prefix, char* path, size_t size) {
  NameQuery query{prefix, {}};
  dl_iterate_phdr(find_module_path, &query);
  std::snprintf(path, size, "%s", query.path);
  return query.path[0] != '\0';
}

}  // namespace leakspy::agent
