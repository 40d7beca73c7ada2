#include "agent/loaded_modules.h"

#include <link.h>

#include <cstdio>
#include <cstring>

namespace leakspy::agent {

namespace {

int count_modules(dl_phdr_info* info, size_t, void* data) {
  *static_cast<uint64_t*>(data) = info->dlpi_adds;
  return 1;
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

uint64_t loaded_module_count() {
  uint64_t adds = 0;
  dl_iterate_phdr(count_modules, &adds);
  return adds;
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
