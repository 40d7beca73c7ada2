#pragma once
// The agent's native unwinder: CFI rules from .eh_frame, cached per return
// address, and an incremental walk that reuses the thread's previous stack.
//
// Consecutive allocations on a thread share most of their stack. Each thread
// keeps its last unwind: per frame the state (pc, rsp, rbp) the step started
// from, the stack slots it read, what it read there, and the trace-tree node
// of that frame with all its callers. A new unwind walks out from the hook's
// caller until it reaches a frame whose state equals a cached frame's. The
// step from a frame is a function of its state and the words it reads, so if
// every cached frame from there outward still finds the same words in the
// same slots, the rest of the stack is the same and its node is known: only
// the new inner frames are interned. A deep loop allocating from one place
// costs one rule lookup and a few compares per event, not a full unwind.
//
// Reads are confined to the thread's stack between the hook's caller and the
// top of the stack: memory that is in use, hence mapped. Frames the rules cannot
// describe make the caller fall back to libunwind.
// Thread-safe (per-thread caches, lock-free rule cache). Never allocates
// through the hooks; the first call on a thread asks pthread for its stack
// bounds (which may allocate, inside the reentrancy guard).

#include <cstdint>

#include "agent/stack_capture.h"

namespace leakspy::agent {

// The frame that called a hook, taken at the hook's entry. The hooks are
// built with frame pointers, so their own frame record holds the caller's
// rbp and return address.
struct CallerFrame {
  uintptr_t return_address;
  uintptr_t rsp;  // the caller's stack pointer after the call returns
  uintptr_t rbp;
};

#define LEAKSPY_CALLER_FRAME()                                                                  \
  ::leakspy::agent::CallerFrame {                                                               \
    reinterpret_cast<uintptr_t>(__builtin_return_address(0)),                                   \
        reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) + 16,                           \
        *static_cast<const uintptr_t*>(__builtin_frame_address(0))                              \
  }

struct CachedFrame {
  uintptr_t pc;
  uintptr_t rsp;
  uintptr_t rbp;
  uintptr_t ra_slot;   // where the caller's pc was read (0: nothing read)
  uintptr_t ra_value;
  uintptr_t rbp_slot;  // where the caller's rbp was read (0: unchanged)
  uintptr_t rbp_value;
  uintptr_t cfa_slot;  // where the CFA was read (0: computed from a register)
  uintptr_t cfa_value;
  uint32_t node;       // this frame and all its callers
};

struct UnwindCache {
  uint32_t depth;  // frames[0] is the outermost
  bool interned;   // whether frames[].node are valid (unwind_only leaves them 0)
  uintptr_t stop_begin;  // the walk that filled the cache stopped at a frame in [stop_begin, stop_end)
  uintptr_t stop_end;
  uintptr_t stack_high;  // 0: not known yet; 1: unknown, always fall back
  CachedFrame frames[kMaxStackFrames];
  CachedFrame fresh[kMaxStackFrames];  // scratch for one walk: kept off the target's stack
  // The slots every cached frame read, flattened outermost first, so that
  // re-checking a stack is one tight loop over two arrays: the reads of
  // frames [0, i] are checks [0, check_end[i]).
  uint32_t check_end[kMaxStackFrames];
  uintptr_t check_slot[3 * kMaxStackFrames];
  uintptr_t check_value[3 * kMaxStackFrames];
};

// Maps the rule cache. Not thread-safe; call once.
[[nodiscard]] bool init_fast_unwinder();
// Forgets cached rules (code was unloaded: its addresses may be reused).
void invalidate_unwind_rules();

// Unwinds from the caller's state and interns the stack. Returns false when
// a frame cannot be described by a rule: the caller must use libunwind
// instead. Scalars, not a CallerFrame: a struct built with 8-byte stores and
// read back with a 16-byte load stalls store forwarding on every call.
bool unwind_and_intern(uintptr_t return_address, uintptr_t rsp, uintptr_t rbp, UnwindCache& cache, uint32_t* node);
// The same walk without interning: the frames are left in cache.frames
// (outermost first, cache.depth of them), for the Python merge. The walk
// ends at the first frame whose call lies in [stop_begin, stop_end) (the
// interpreter's eval loop), that frame included; 0, 0 walks everything.
bool unwind_only(uintptr_t return_address, uintptr_t rsp, uintptr_t rbp, UnwindCache& cache, uintptr_t stop_begin,
                 uintptr_t stop_end);

}  // namespace leakspy::agent
