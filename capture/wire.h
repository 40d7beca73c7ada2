#pragma once
// The protocol between the agent (in the target) and the recorder (in leakspy),
// over a unix stream socket: the one place that defines it - how the agent is
// started and finds the recorder, every message, and the limits the agent keeps
// to. Plain structs, no allocation: the agent includes it. The recorder reads
// messages only through capture/wire_decoder.h, which checks every field
// against this file before anything else sees it: the target is untrusted.
//
// Every message is a MessageHeader followed by `length` payload bytes. Fields
// named `reserved` are zero.
//
// Ordering. Each thread of the target writes its events into its own ring, so
// events from different threads arrive in batches, not in time order. Order
// comes from epochs: the agent's writer thread bumps a global epoch counter at
// the start of each drain cycle, and every thread marks the epoch it read into
// its ring (an EpochMark entry) when the value changes. If a free on one thread
// happens before an allocation on another (the allocator's own locks order them),
// the free's epoch is <= the allocation's: both threads read one atomic counter,
// and reads of one atomic object are coherent with happens-before. So sorting by
// epoch is always right between epochs; within one epoch the recorder interleaves
// threads so that no address is allocated twice (recorder/epoch_merger.h).
// A Seal message says that every event of the epochs up to its value has been
// sent. The writer knows when that is true because each thread raises an
// in-flight flag around "read the epoch, publish the event", and the writer
// looks at the flags after bumping the epoch and issuing membarrier(2)
// (agent/drain_cycle.cpp): a thread caught in flight holds its ring's seal back.

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace leakspy::wire {

// How the agent finds the recorder. `leakspy run` puts the address in this
// environment variable; an attach passes it to leakspy_agent_start.
inline constexpr char kSocketVariable[] = "LEAKSPY_SOCKET";
// The pid whose programs are recorded (`leakspy run` sets it in the child it
// starts). Both variables stay in that process's environment, so that the
// program an exec replaces it with loads the agent again and is recorded
// too; a program started by another process (a child's exec) finds another
// pid here, removes the agent from its environment and stays unrecorded.
inline constexpr char kRecordedPidVariable[] = "LEAKSPY_PID";

// The address text: "@name" is an abstract unix socket (no file: reachable
// from any mount namespace, gone with its last descriptor, so nothing is
// left behind), anything else a path. The recorder checks the peer's pid
// (SO_PEERCRED) on every connection, since anyone in the network namespace
// can connect to an abstract name. Fills `address`; false if it is too long.
inline bool agent_socket_address(const char* text, sockaddr_un* address, socklen_t* length) {
  std::memset(address, 0, sizeof(*address));
  address->sun_family = AF_UNIX;
  size_t size = std::strlen(text);
  if (size == 0 || size >= sizeof(address->sun_path)) return false;
  std::memcpy(address->sun_path, text, size);
  if (text[0] == '@') {
    address->sun_path[0] = '\0';
    *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + size);
  } else {
    *length = static_cast<socklen_t>(sizeof(*address));
  }
  return true;
}

// How an attach starts the agent: leakspy loads it into the target and calls
// this exported function with the address text (attach/injector.cpp). It
// returns a StartResult; the preload start (`leakspy run`) has the same results.
inline constexpr char kAgentStartFunction[] = "leakspy_agent_start";
// The agent's file (agent/CMakeLists.txt's OUTPUT_NAME), and the part of its
// name that tells it among a process's modules and in LD_PRELOAD.
inline constexpr char kAgentFileName[] = "libleakspy_agent.so";
inline constexpr char kAgentFileStem[] = "libleakspy_agent";
enum class StartResult : int {
  Started = 0,
  AlreadyRecording = 1,  // a session is running
  InitFailed = 2,        // memory or symbols missing: the agent stays inert
  ConnectFailed = 3,     // the recorder's socket did not answer
};

inline constexpr uint32_t kWireVersion = 1;
inline constexpr uint32_t kMaxMessageBytes = 16u << 20;

// What the agent sends at most; the decoder refuses more.
inline constexpr uint32_t kMaxModulePathBytes = 4096;  // PATH_MAX
inline constexpr uint32_t kMaxBuildIdBytes = 256;
inline constexpr uint32_t kMaxModuleSegments = 64;     // PT_LOAD segments of one module
inline constexpr uint32_t kMaxHeapNameBytes = 31;
inline constexpr uint32_t kMaxNoteBytes = 248;
inline constexpr uint32_t kMaxPythonFilenameBytes = 240;
inline constexpr uint32_t kMaxPythonNameBytes = 120;
inline constexpr uint32_t kFirstDeclaredHeap = 2;      // 0 malloc and 1 mmap are the recorder's own

enum class MessageType : uint32_t {
  // agent -> recorder
  Hello = 1,         // Hello
  Events = 2,        // EventsHeader, then RawEvent[count]
  Nodes = 3,         // NodesHeader, then WireNode[count]
  Thread = 4,        // WireThread: a thread's first event, or its new name
  ThreadEnd = 5,     // WireThreadEnd
  Module = 6,        // WireModule, path bytes, build-id bytes, WireSegment[segment_count]
  ModuleUnload = 7,  // WireModuleUnload
  Epoch = 8,         // WireEpoch: an epoch began at this time
  Seal = 9,          // WireSeal
  Drops = 10,        // WireDrops
  Goodbye = 11,      // WireGoodbye: the agent stopped; nothing follows
  Heap = 12,         // WireHeap, then the name: a heap the agent started using
  PythonCode = 13,   // WirePythonCode, then filename and name bytes
  Note = 14,         // WireNote, then the text
  AllocatorStats = 15,  // WireAllocatorStats: the allocator's own accounting, sampled now
  PythonTypes = 16,     // WirePythonTypes, then the census text
  KeptBy = 17,          // WireKeptBy, then the answer to a KeptByQuery (text)
  // recorder -> agent
  Stop = 100,        // no payload: flush, unhook, say goodbye
  Configure = 101,   // WireConfigure: how to record; applies from when it arrives
  KeptByQuery = 102, // WireKeptByQuery, then WireKeptBySample[count]: what keeps these Python objects alive
};

struct MessageHeader {
  uint32_t type;
  uint32_t length;  // payload bytes after this header
};
static_assert(sizeof(MessageHeader) == 8);

inline constexpr uint32_t kHelloAttached = 1u << 0;  // started in a running process
// A child process that is not recorded says so and hangs up: so that the
// recording can say what it missed. The hello is all it sends.
inline constexpr uint32_t kHelloNotRecorded = 1u << 1;
inline constexpr uint32_t kHelloForked = 1u << 2;  // with kHelloNotRecorded: a fork that did not exec
// `leakspy run --subprocesses` sets kRecordedPidVariable to this: every
// program of the process tree is recorded.
inline constexpr char kEveryPid[] = "all";

struct Hello {
  uint32_t wire_version;
  uint32_t pid;
  uint64_t monotonic_ns;  // CLOCK_MONOTONIC when the agent started
  uint32_t flags;         // kHelloAttached, kHelloNotRecorded, kHelloForked
  uint32_t ring_capacity; // events per thread ring
};
static_assert(sizeof(Hello) == 24);

// One ring entry. kind is a capture::EventKind value, kEpochMark or
// kExitMark. An epoch mark carries only its epoch (above 0, below UINT64_MAX,
// rising within a thread); its other fields hold whatever the ring slot held
// before. An exit mark says that the process begins to exit at this place of
// its thread's events (capture::RecordType::Exit): its size is the
// capture::ExitCause, its other fields are 0; the agent sends one at most. An event's heap
// is below capture::kMaxHeaps; its stack is a node id (0: the empty stack).
struct RawEvent {
  uint64_t address;  // for kEpochMark: the epoch
  uint64_t size;
  uint32_t stack;    // trace tree node
  uint8_t kind;
  uint8_t heap;
  uint16_t reserved;
};
static_assert(sizeof(RawEvent) == 24);
inline constexpr uint8_t kExitMark = 14;
inline constexpr uint8_t kEpochMark = 15;

// Thread indices start at 1 and are never reused in a session; 0 stands for
// "no thread" (drops of events that had no ring), UINT32_MAX is never one.
struct EventsHeader {
  uint32_t thread_index;
  uint32_t count;
};
static_assert(sizeof(EventsHeader) == 8);

struct NodesHeader {
  uint32_t count;
  uint32_t reserved;
};
static_assert(sizeof(NodesHeader) == 8);

// A trace tree edge. Ids are handed out in order, so a parent's id is below
// its child's; 0 is the root (the empty stack) and never sent, UINT32_MAX
// never used.
struct WireNode {
  uint64_t frame;
  uint32_t id;
  uint32_t parent;
};
static_assert(sizeof(WireNode) == 16);

struct WireThread {
  uint32_t index;
  uint32_t tid;
  char name[16];  // NUL-terminated comm
};
static_assert(sizeof(WireThread) == 24);

struct WireThreadEnd {
  uint32_t index;
  uint32_t reserved;
};
static_assert(sizeof(WireThreadEnd) == 8);

struct WireModule {
  uint32_t id;  // from 1; 0 means "no module" in the capture
  uint32_t path_length;
  uint32_t build_id_length;
  uint32_t segment_count;
  uint64_t load_bias;
};
static_assert(sizeof(WireModule) == 24);

struct WireSegment {
  uint64_t vaddr;
  uint64_t memsz;
  uint32_t flags;  // p_flags; the capture keeps PF_R, PF_W and PF_X
  uint32_t reserved;
};
static_assert(sizeof(WireSegment) == 24);

struct WireModuleUnload {
  uint32_t id;
  uint32_t reserved;
};
static_assert(sizeof(WireModuleUnload) == 8);

struct WireEpoch {
  uint64_t epoch;
  uint64_t monotonic_ns;
};
static_assert(sizeof(WireEpoch) == 16);

struct WireSeal {
  uint64_t epoch;  // every event of epochs <= this has been sent
};
static_assert(sizeof(WireSeal) == 8);

struct WireDrops {
  uint32_t thread_index;
  uint32_t reserved;
  uint64_t total;  // dropped by this thread since the agent started
};
static_assert(sizeof(WireDrops) == 16);

struct WireHeap {
  uint32_t id;  // from kFirstDeclaredHeap, below capture::kMaxHeaps; once each
  uint32_t name_length;
  uint64_t flags;  // capture::kHeapFlagRanges
};
static_assert(sizeof(WireHeap) == 16);

struct WirePythonCode {
  uint32_t id;  // from 1, below 2^31 (a Python frame holds it in 31 bits)
  uint32_t first_line;
  uint16_t filename_length;
  uint16_t name_length;
  uint32_t reserved;
};
static_assert(sizeof(WirePythonCode) == 16);

struct WireNote {
  uint32_t severity;  // capture::NoteSeverity
  uint32_t length;
};
static_assert(sizeof(WireNote) == 8);

// glibc's accounting (mallinfo2's fields), as capture::AllocatorRecord keeps it.
struct WireAllocatorStats {
  uint32_t kind;  // capture::AllocatorKind
  uint32_t reserved;
  uint64_t heap_bytes;
  uint64_t in_use_bytes;
  uint64_t free_bytes;
  uint64_t mmapped_bytes;
  uint64_t releasable_bytes;
};
static_assert(sizeof(WireAllocatorStats) == 48);

// A census of Python's live objects by type: lines "COUNT NAME" joined by
// '\n', most numerous first: COUNT in decimal digits, NAME the type's module
// and qualified name, 1 to kMaxPythonTypeNameBytes bytes, no control
// characters, each name once.
inline constexpr uint32_t kMaxPythonTypesBytes = 32 * 1024;
inline constexpr uint32_t kMaxPythonTypeNameBytes = 240;
struct WirePythonTypes {
  uint32_t length;     // text bytes that follow, at most kMaxPythonTypesBytes
  uint32_t census_us;  // how long the census held the GIL
};
static_assert(sizeof(WirePythonTypes) == 8);

// Who keeps a Python object alive: the recorder names live blocks of the
// python heap (a sample of the fastest-growing stacks) as the recording ends,
// and the agent answers, with the GIL held and within a bounded time, one
// line per sample it found a chain for: "TAG\tHOLDER\tITEMS\tCHAIN", TAG the
// sample's, HOLDER the address (hex) of the object below the chain's root
// (0: none), ITEMS that of its item array when it is a list (0: none),
// CHAIN the path from a root ("history (module global in __main__) -> list
// -> Tensor"), printable, at most kMaxKeptByChainBytes. An agent without
// Python answers with no lines.
inline constexpr uint32_t kMaxKeptBySamples = 64;
inline constexpr uint32_t kMaxKeptByBytes = 32 * 1024;
inline constexpr uint32_t kMaxKeptByChainBytes = 400;
struct WireKeptByQuery {
  uint32_t count;  // samples that follow, at most kMaxKeptBySamples
  uint32_t reserved;
};
static_assert(sizeof(WireKeptByQuery) == 8);
struct WireKeptBySample {
  uint64_t address;  // a live block of the python heap
  uint64_t size;
  uint32_t tag;      // below count: names the sample in the answer
  uint32_t reserved;
};
static_assert(sizeof(WireKeptBySample) == 24);
struct WireKeptBy {
  uint32_t length;  // text bytes that follow, at most kMaxKeptByBytes
  uint32_t reserved;
};
static_assert(sizeof(WireKeptBy) == 8);

inline constexpr uint32_t kConfigureNativeFrames = 1u << 0;  // Python: keep every native frame
inline constexpr uint32_t kConfigureFollowForks = 1u << 1;   // record forks of the process too
inline constexpr uint32_t kConfigureTypeCensus = 1u << 2;    // Python: count types whatever it costs (--types)

struct WireConfigure {
  uint32_t flags;  // kConfigureNativeFrames, kConfigureFollowForks, kConfigureTypeCensus
  uint32_t reserved;
};
static_assert(sizeof(WireConfigure) == 8);

enum class GoodbyeReason : uint32_t {
  StopRequested = 1,  // the recorder sent Stop
  ProcessExit = 2,    // the target is exiting normally
  Failure = 3,        // the agent hit an internal failure and turned tracking off
};

struct WireGoodbye {
  uint32_t reason;  // GoodbyeReason
  uint32_t reserved;
  uint64_t stacks_lost;  // allocations recorded with an empty stack (tables full)
};
static_assert(sizeof(WireGoodbye) == 16);

}  // namespace leakspy::wire
