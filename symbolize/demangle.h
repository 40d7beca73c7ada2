#pragma once
// C++ names as people read them. Thread-safe; allocates.

#include <string>

namespace leakspy::symbolize {

// The demangled form of an Itanium-ABI name ("_ZN3foo3barEv" -> "foo::bar()");
// any other name (C functions, names that fail to demangle) unchanged.
std::string demangle(const char* name);

}  // namespace leakspy::symbolize
