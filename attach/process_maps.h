#pragma once
// /proc/PID/maps of another process, and what leakspy needs from it: where a
// library is mapped and its load bias. Offline side; allocates; throws Error.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace leakspy::attach {

struct Mapping {
  uintptr_t start = 0;
  uintptr_t end = 0;
  std::string permissions;  // "r-xp"
  uint64_t offset = 0;      // into the file
  std::string path;         // "" for anonymous memory
};

std::vector<Mapping> read_maps(pid_t pid);

struct MappedFile {
  std::string path;    // as /proc/PID/maps names it, seen from leakspy's root
  uintptr_t bias = 0;  // where its address 0 is: the mapping at file offset 0, minus nothing for PIC objects
  uintptr_t end = 0;   // the end of that first mapping
};

// The first file whose path ends in `/name` or whose file name starts with
// `name` (e.g. "libc.so.6", "libc-"), or nothing.
std::optional<MappedFile> find_mapped_file(const std::vector<Mapping>& maps, const std::string& name);
// The file mapped at exactly this path, or nothing.
std::optional<MappedFile> find_mapped_path(const std::vector<Mapping>& maps, const std::string& path);

// The mapping holding `address`, or nullptr.
const Mapping* mapping_at(const std::vector<Mapping>& maps, uintptr_t address);

// A path that opens exactly the file the target mapped, wherever it lives
// (a container's mount namespace, a chroot): /proc/PID/map_files/START-END
// when it can be opened, else the path under /proc/PID/root, else the path.
std::string openable_path(pid_t pid, const MappedFile& file);

}  // namespace leakspy::attach
