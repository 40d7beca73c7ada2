#pragma once
// Which function a call instruction called, read from the caller's code:
// given the return address a frame returns to, decode the call just before
// it (`call rel32`, or `call *disp32(%rip)` in -fno-plt code) and follow a
// PLT stub (`jmp *disp32(%rip)`, with or without endbr64/bnd) through its
// GOT slot. This names the function a program called in a library even when
// that function tail-called into unnamed internals and left no frame of its
// own. Offline side; reads remote memory only.

#include <cstdint>
#include <optional>

#include "attach/remote_memory.h"

namespace leakspy::attach {

// The address the call before `return_address` transferred control to,
// through the PLT when it went there; nothing when the bytes there are no
// call leakspy can decode, or a GOT slot is not bound yet.
std::optional<uintptr_t> called_function(const RemoteMemory& memory, uintptr_t return_address);

}  // namespace leakspy::attach
