#pragma once
// Functions that allocate on their caller's behalf: the malloc and mmap
// families, C++ operator new and the standard allocator wrappers, Python's
// allocator API. A call site is the innermost frame outside them, so that a
// report names the line that asked for the memory, not operator new.
// Thread-safe.

#include <string_view>

namespace leakspy::analyze {

bool is_allocation_function(std::string_view function);

}  // namespace leakspy::analyze
