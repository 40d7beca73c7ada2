#pragma once
// Memory for the agent's own structures, straight from mmap: the agent never
// allocates through the functions it hooks. Thread-safe (mmap is).

#include <cstddef>

namespace leakspy::agent {

// Anonymous private read-write pages; nullptr on failure. Pages are only
// backed (and counted in RSS) once touched.
void* map_pages(size_t bytes);

}  // namespace leakspy::agent
