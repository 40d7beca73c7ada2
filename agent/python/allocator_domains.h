#pragma once
// Python's own allocators, traced: the RAW, MEM and OBJ domains are wrapped
// with PyMem_SetAllocator, so objects from pymalloc become events on heap
// "python". The original allocator runs inside the reentrancy guard, so the
// arenas pymalloc maps and the raw mallocs behind MEM/OBJ blocks are not
// counted a second time (and never mistaken for leaks).
//
// Wrapping and unwrapping need the GIL: they run on a short-lived agent
// thread that takes it with PyGILState_Ensure, so no other agent thread ever
// waits for the GIL. The wrappers stay callable forever (the agent is never
// unloaded); once tracking stops they only forward.

#include <cstdint>

namespace leakspy::agent::python {

// Starts the thread that wraps the domains. `heap`: the "python" heap id.
void start_wrapping_allocators(uint8_t heap);
// Starts the thread that restores the saved allocators and waits for it at
// most `timeout_ns` (a target that holds the GIL for long keeps the wrappers,
// which then only forward).
void unwrap_allocators(uint64_t timeout_ns);

}  // namespace leakspy::agent::python
