#include "attach/process_maps.h"

#include <unistd.h>

#include <cstdio>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "attach/ptrace_diagnosis.h"
#include "common/error.h"

namespace leakspy::attach {

std::vector<Mapping> read_maps(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/maps");
  // Reading another's maps needs the rights ptrace needs: a refusal is
  // diagnosed the same way (which user, yama, capabilities, ...).
  if (!file && (errno == EACCES || errno == EPERM)) explain_ptrace_failure(pid, errno);
  if (!file) throw Error(ErrorKind::NoSuchProcess, "cannot read /proc/" + std::to_string(pid) + "/maps");
  std::vector<Mapping> maps;
  std::string line;
  while (std::getline(file, line)) {
    Mapping mapping;
    unsigned long long start = 0, end = 0, offset = 0;
    char permissions[8] = {};
    int path_start = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %*s %*s %n", &start, &end, permissions, &offset, &path_start) < 4) {
      continue;
    }
    mapping.start = start;
    mapping.end = end;
    mapping.permissions = permissions;
    mapping.offset = offset;
    if (path_start > 0 && static_cast<size_t>(path_start) < line.size()) mapping.path = line.substr(path_start);
    maps.push_back(std::move(mapping));
  }
  return maps;
}

namespace {

std::optional<MappedFile> first_mapping_of(const std::vector<Mapping>& maps, const std::string& path) {
  // The bias is where file offset 0 is mapped: shared objects and PIEs have
  // their first PT_LOAD at vaddr 0. (leakspy does not inject into non-PIE
  // programs' own images; libraries are always PIC.)
  for (const Mapping& mapping : maps) {
    if (mapping.path == path && mapping.offset == 0) return MappedFile{path, mapping.start, mapping.end};
  }
  return std::nullopt;
}

}  // namespace

std::optional<MappedFile> find_mapped_file(const std::vector<Mapping>& maps, const std::string& name) {
  for (const Mapping& mapping : maps) {
    if (mapping.path.empty() || mapping.path[0] != '/') continue;
    std::string file = mapping.path.substr(mapping.path.rfind('/') + 1);
    if (file == name || file.rfind(name, 0) == 0) return first_mapping_of(maps, mapping.path);
  }
  return std::nullopt;
}

std::optional<MappedFile> find_mapped_path(const std::vector<Mapping>& maps, const std::string& path) {
  return first_mapping_of(maps, path);
}

const Mapping* mapping_at(const std::vector<Mapping>& maps, uintptr_t address) {
  for (const Mapping& mapping : maps) {
    if (address >= mapping.start && address < mapping.end) return &mapping;
  }
  return nullptr;
}

std::string openable_path(pid_t pid, const MappedFile& file) {
  char range[64];
  std::snprintf(range, sizeof(range), "%lx-%lx", static_cast<unsigned long>(file.bias),
                static_cast<unsigned long>(file.end));
  std::string process = "/proc/" + std::to_string(pid);
  for (const std::string& candidate : {process + "/map_files/" + range, process + "/root" + file.path}) {
    if (::access(candidate.c_str(), R_OK) == 0) return candidate;
  }
  return file.path;
}

}  // namespace leakspy::attach
