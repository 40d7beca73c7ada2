#pragma once
// The capture format: every constant and record type, in one place.
// docs/capture-format.md is the prose version of this file; change both together.
//
// File layout
//   offset 0   magic "LSPYCAP\n"                               8 bytes
//   offset 8   format version, u32 little endian               4 bytes
//   offset 12  header length H, u32 little endian              4 bytes
//   offset 16  header payload (see CaptureHeader), H bytes
//   then       frames, each:
//                kind            u32 LE  ('CHNK' for a chunk, 'LEND' for the end mark)
//                compressed size u32 LE
//                raw size        u32 LE
//                payload         one zstd frame with content checksum
//   a capture that was finished cleanly ends with the 'LEND' frame (sizes 0),
//   written after the chunk holding the TRAILER record.
//
// Records inside a chunk start with one type byte. Integers are LEB128 varints,
// signed deltas are zigzag varints. The delta state (DeltaState) resets at the
// start of every chunk, so a chunk decodes on its own given the tables (strings,
// nodes, heaps, modules) of the chunks before it.

#include <cstddef>
#include <cstdint>

namespace leakspy::capture {

inline constexpr char kMagic[8] = {'L', 'S', 'P', 'Y', 'C', 'A', 'P', '\n'};
// 2: the Exit, Process, ProcessEnd and Scope records. 3: a chunk's frame says
// the id of its first string (a damaged chunk can be skipped). Readers accept
// every version from 1.
inline constexpr uint32_t kFormatVersion = 4;  // the one place the version lives
inline constexpr uint32_t kChunkFrame = 0x4B4E4843;  // "CHNK"
inline constexpr uint32_t kEndFrame = 0x444E454C;    // "LEND"
inline constexpr size_t kFileHeaderSize = 16;         // magic, version, header length
// kind, compressed size, raw size, and from version 3 the chunk's string base
// (the id its first String record defines).
inline constexpr size_t kFrameHeaderSize = 16;
inline constexpr size_t kFrameHeaderSizeBeforeV3 = 12;
inline constexpr uint32_t kZstdFrameMagic = 0xFD2FB528;  // how a chunk's payload begins
inline constexpr uint32_t kMaxChunkRawSize = 64u << 20;  // readers refuse larger chunks

// Header flags.
inline constexpr uint64_t kFlagAttachedMidRun = 1u << 0;  // allocations before the start are unknown

// Non-event record types (type byte < 0x80).
enum class RecordType : uint8_t {
  String = 0x01,        // len, bytes                    -> next string id (ids start at 1; 0 is "")
  Module = 0x02,        // id, path, build-id, load bias, segments
  ModuleUnload = 0x03,  // id
  Heap = 0x04,          // id, name string id, flags (kHeapFlagRanges)
  Thread = 0x05,        // index, tid, name string id (declares or renames a thread)
  ThreadEnd = 0x06,     // index
  Node = 0x07,          // trace tree edge: id (delta), parent, frame
  Time = 0x08,          // delta in time units since the previous Time of this chunk
  Switch = 0x09,        // thread index: the events that follow belong to it
  Counters = 0x0A,      // rss bytes, n, n x (heap id, live bytes)
  Dropped = 0x0B,       // thread index, events the agent dropped
  Trailer = 0x0C,       // totals; see Trailer
  Symbol = 0x0D,        // address, module id, n, n x (function string id, file string id, line); see SymbolRecord
  PythonCode = 0x0E,    // id, filename string id, name string id, first line
  Note = 0x0F,          // severity, text: something the user should know about the recording
  Exit = 0x10,          // cause (ExitCause): the program begins to exit here; what follows is teardown
  Process = 0x11,       // index, pid, parent index + 1, origin, executable string id, n, n x argument string id
  ProcessEnd = 0x12,    // index, how (ProcessEndKind), status (zigzag)
  Scope = 0x13,         // process index: the scoped records that follow belong to it (0 at a chunk's start)
  Allocator = 0x14,     // kind (AllocatorKind), n, n x value: the allocator's own accounting; see AllocatorRecord
  PythonTypes = 0x15,   // n, n x (type name string id, live objects): a census of Python's objects by type
  KeptBy = 0x16,        // stack, chain string id, holder stack, items stack: what keeps a stack's objects alive
};

// Whose accounting an Allocator record holds.
enum class AllocatorKind : uint8_t {
  GlibcMallinfo2 = 1,  // glibc's mallinfo2 (glibc 2.33 and later)
  GlibcMallinfo = 2,   // glibc's mallinfo: each value wraps at 4 GiB
};

// How a recorded process (one program image) came to be recorded.
enum class ProcessOrigin : uint8_t {
  Started = 0,  // the process leakspy started (run) or attached to (record)
  Exec = 1,     // the program that replaced its parent's by exec: the same pid
  Child = 2,    // a child process of its parent (fork, spawn)
};

// How a recorded process ended, as far as the recorder saw it.
enum class ProcessEndKind : uint8_t {
  Exec = 0,          // its program was replaced by exec (the next image goes on)
  Exited = 1,        // status is its exit code
  Signaled = 2,      // status is the signal number
  StillRunning = 3,  // the recording stopped and the process lives on
  Lost = 4,          // its stream ended and its fate is unknown
};

// What began the program's exit (the Exit record). Frees after it are the
// teardown of a program that ends, not releases: reports measure the
// program's life up to it.
enum class ExitCause : uint8_t {
  Exit = 0,                // exit() was called, or main returned
  PythonFinalization = 1,  // the interpreter began to finalize (Py_FinalizeEx)
};

// Event records (type byte >= 0x80):
//
//   bit    7   6 5 4   3 2 1 0
//        +---+-------+---------+
//        | 1 | kind  |  heap   |     heap 15 = escape: the heap id follows as a varint
//        +---+-------+---------+
//
//   Alloc       stack (zigzag delta to previous stack), size, address (zigzag delta)
//   Free        address (zigzag delta to previous address)
//   FreeRange   address (zigzag delta), size        (munmap: a range, possibly partial)
//   ReallocOut  address (zigzag delta)              (the old block of a realloc leaves)
//   ReallocIn   stack (zigzag delta), size, address (zigzag delta)  (the new block arrives)
//
// A realloc is two records because its halves happen at two moments: the old
// block is released before the real realloc runs and the new one exists only
// after it returns; another thread may reuse the old address in between.
enum class EventKind : uint8_t {
  Alloc = 0,
  Free = 1,
  FreeRange = 2,
  ReallocOut = 3,
  ReallocIn = 4,
};
inline constexpr uint8_t kEventBit = 0x80;
inline constexpr uint8_t kHeapEscape = 0x0F;

constexpr uint8_t event_type_byte(EventKind kind, uint32_t heap) {
  return static_cast<uint8_t>(kEventBit | (static_cast<uint8_t>(kind) << 4) |
                              (heap < kHeapEscape ? heap : kHeapEscape));
}
constexpr bool event_has_stack(EventKind kind) {
  return kind == EventKind::Alloc || kind == EventKind::ReallocIn;
}
constexpr bool event_has_size(EventKind kind) {
  return kind == EventKind::Alloc || kind == EventKind::ReallocIn || kind == EventKind::FreeRange;
}
constexpr bool event_releases(EventKind kind) {
  return kind == EventKind::Free || kind == EventKind::FreeRange || kind == EventKind::ReallocOut;
}

// Well-known heaps. Further heaps (python, cuda:N) are declared by Heap records.
inline constexpr uint32_t kHeapMalloc = 0;  // malloc family
inline constexpr uint32_t kHeapMmap = 1;    // mmap, munmap, mremap
inline constexpr uint32_t kMaxHeaps = 128;  // heap ids are below this

// Heap flags. A range heap releases address ranges (FreeRange), possibly part
// of a block, and an allocation replaces whatever it overlaps (mmap,
// CUDA virtual memory mappings). Other heaps release blocks by address.
inline constexpr uint64_t kHeapFlagRanges = 1u << 0;

// Trace tree frames: native return addresses as they are; Python frames set
// the top bit and carry a PythonCode id (bits 32..62) and a line (bits 0..31).
inline constexpr uint64_t kFrameKindMask = 1ull << 63;
constexpr bool is_python_frame(uint64_t frame) { return (frame & kFrameKindMask) != 0; }
constexpr uint32_t python_code_id(uint64_t frame) { return static_cast<uint32_t>((frame >> 32) & 0x7fffffff); }
constexpr uint32_t python_line(uint64_t frame) { return static_cast<uint32_t>(frame); }

enum class NoteSeverity : uint8_t { Info = 0, Warning = 1 };

// Delta state shared by RecordEncoder and RecordDecoder; reset per chunk.
struct DeltaState {
  uint64_t address = 0;
  uint32_t stack = 0;
  uint32_t node = 0;
  uint64_t time = 0;  // in time units
};

}  // namespace leakspy::capture
