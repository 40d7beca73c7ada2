#pragma once
// Reads the protection of the mapping holding an address from
// /proc/self/maps, without allocating (a fixed buffer, streamed).
// Slow (a file read per call): for the hook-installation path only.

#include <cstdint>

namespace leakspy::agent {

enum class Protection { Unknown, ReadOnly, Writable };

Protection protection_of(uintptr_t address);

}  // namespace leakspy::agent
