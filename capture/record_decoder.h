#pragma once
// Decodes the raw bytes of chunks back into records and hands each one to a
// visitor. Templated on the visitor so that the per-event call inlines: reports
// read tens of millions of events per second through this loop.
//
// A visitor derives from RecordVisitor and hides the callbacks it cares about.
// Not thread-safe; one decoder reads the chunks of one capture in order.

#include <cstdint>
#include <string>
#include <string_view>

#include "capture/format.h"
#include "capture/records.h"
#include "capture/varint.h"
#include "common/error.h"

namespace leakspy::capture {

// The most a single record may hold. No real record comes near them (an ELF
// has a handful of loadable segments, an address a few inlined frames), and a
// count the chunk's bytes would allow still decodes into far more memory than
// it takes on disk: a few KB of zstd make 64 MiB of raw records.
inline constexpr uint64_t kMaxModuleSegments = 4096;
inline constexpr uint64_t kMaxSymbolFrames = 4096;
inline constexpr uint64_t kMaxCountersHeaps = kMaxHeaps;
inline constexpr uint64_t kMaxProcessArguments = 1u << 16;
inline constexpr uint64_t kMaxAllocatorValues = 64;
inline constexpr uint64_t kMaxPythonTypes = 4096;

struct RecordVisitor {
  void on_string(StringId, std::string_view) {}
  void on_module(const ModuleRecord&) {}
  void on_module_unload(ModuleId) {}
  void on_heap(const HeapRecord&) {}
  void on_thread(const ThreadRecord&) {}
  void on_thread_end(ThreadIndex) {}
  void on_node(const NodeRecord&) {}
  void on_time(uint64_t /*units_since_start*/) {}
  void on_switch(ThreadIndex) {}
  void on_event(const EventRecord&) {}
  void on_counters(const CountersRecord&) {}
  void on_allocator(const AllocatorRecord&) {}
  void on_python_types(const PythonTypesRecord&) {}
  void on_kept_by(const KeptByRecord&) {}
  void on_dropped(const DroppedRecord&) {}
  void on_trailer(const Trailer&) {}
  void on_python_code(const PythonCodeRecord&) {}
  void on_note(const NoteRecord&) {}
  void on_exit(const ExitRecord&) {}
  void on_process(const ProcessRecord&) {}
  void on_process_end(const ProcessEndRecord&) {}
  void on_scope(uint32_t /*process*/) {}
  void on_symbol(const SymbolRecord&) {}
};

template <typename Visitor>
class RecordDecoder {
 public:
  explicit RecordDecoder(Visitor& visitor) : visitor_(visitor) {}

  // Decodes one chunk. Throws Error(CaptureUnreadable) naming the chunk and the
  // offset of the first malformed record; the visitor has seen every record before it.
  // `string_base`: the id of the chunk's first String record (format 3 on);
  // 0 before format 3, where ids run on from the chunk before.
  void decode_chunk(const uint8_t* data, size_t size, uint64_t chunk_index, uint32_t string_base = 0) {
    chunk_index_ = chunk_index;
    if (string_base != 0) next_string_id_ = string_base;
    begin_ = data;
    in_ = data;
    end_ = data + size;
    delta_ = DeltaState{};
    visitor_.on_scope(0);  // a chunk starts in process 0's scope
    while (in_ < end_) {
      record_start_ = in_;
      uint8_t type = *in_++;
      if (type & kEventBit) {
        decode_event(type);
      } else {
        decode_record(static_cast<RecordType>(type));
      }
    }
  }

 private:
  uint64_t get() {
    uint64_t value;
    if (!get_varint(&in_, end_, &value)) fail("a record ends early");
    return value;
  }
  uint32_t get32() {
    uint64_t value = get();
    if (value > UINT32_MAX) fail("a 32-bit field is out of range");
    return static_cast<uint32_t>(value);
  }
  uint64_t get_delta_from(uint64_t previous) {
    uint64_t value;
    if (!get_delta(&in_, end_, previous, &value)) fail("a record ends early");
    return value;
  }
  std::string_view get_bytes() {
    uint64_t length = get();
    if (length > static_cast<uint64_t>(end_ - in_)) fail("a string runs past the chunk");
    std::string_view bytes(reinterpret_cast<const char*>(in_), length);
    in_ += length;
    return bytes;
  }

  void decode_event(uint8_t type) {
    EventRecord event;
    uint8_t kind = (type >> 4) & 0x7;
    if (kind > static_cast<uint8_t>(EventKind::ReallocIn)) fail("unknown event kind");
    event.kind = static_cast<EventKind>(kind);
    uint32_t heap = type & 0x0F;
    event.heap = HeapId(heap == kHeapEscape ? get32() : heap);
    if (event_has_stack(event.kind)) {
      delta_.stack = static_cast<uint32_t>(get_delta_from(delta_.stack));
      event.stack = StackId(delta_.stack);
    }
    if (event.kind != EventKind::FreeRange && event_has_size(event.kind)) event.size = get();
    delta_.address = get_delta_from(delta_.address);
    event.address = delta_.address;
    if (event.kind == EventKind::FreeRange) event.size = get();
    visitor_.on_event(event);
  }

  void decode_record(RecordType type) {
    switch (type) {
      case RecordType::String:
        visitor_.on_string(StringId(next_string_id_++), get_bytes());
        return;
      case RecordType::Module: {
        ModuleRecord module;
        module.id = ModuleId(get32());
        module.path = StringId(get32());
        module.build_id = std::string(get_bytes());
        module.load_bias = get();
        uint64_t segments = get();
        if (segments > kMaxModuleSegments || segments > static_cast<uint64_t>(end_ - in_)) {
          fail("a module record claims " + std::to_string(segments) + " segments");
        }
        module.segments.resize(segments);
        for (Segment& segment : module.segments) {
          segment.vaddr = get();
          segment.memsz = get();
          segment.flags = static_cast<uint8_t>(get());
        }
        visitor_.on_module(module);
        return;
      }
      case RecordType::ModuleUnload:
        visitor_.on_module_unload(ModuleId(get32()));
        return;
      case RecordType::Heap: {
        HeapRecord heap;
        heap.id = HeapId(get32());
        heap.name = StringId(get32());
        heap.flags = get();
        if (heap.id.value() >= kMaxHeaps) fail("a heap id is out of range");
        visitor_.on_heap(heap);
        return;
      }
      case RecordType::Thread: {
        ThreadRecord thread;
        thread.index = ThreadIndex(get32());
        thread.tid = get32();
        thread.name = StringId(get32());
        visitor_.on_thread(thread);
        return;
      }
      case RecordType::ThreadEnd:
        visitor_.on_thread_end(ThreadIndex(get32()));
        return;
      case RecordType::Node: {
        NodeRecord node;
        uint64_t id = get_delta_from(delta_.node + 1ull);
        if (id > UINT32_MAX || id == 0) fail("a node id is out of range");
        delta_.node = static_cast<uint32_t>(id);
        node.id = StackId(delta_.node);
        node.parent = StackId(get32());
        node.frame = get();
        visitor_.on_node(node);
        return;
      }
      case RecordType::Time:
        delta_.time = get_delta_from(delta_.time);
        visitor_.on_time(delta_.time);
        return;
      case RecordType::Switch:
        visitor_.on_switch(ThreadIndex(get32()));
        return;
      case RecordType::Counters: {
        CountersRecord counters;
        counters.rss_bytes = get();
        uint64_t heaps = get();
        if (heaps > kMaxCountersHeaps || heaps > static_cast<uint64_t>(end_ - in_)) {
          fail("a counters record claims " + std::to_string(heaps) + " heaps");
        }
        counters.live_bytes.reserve(heaps);
        for (uint64_t i = 0; i < heaps; ++i) {
          HeapId heap(get32());
          counters.live_bytes.emplace_back(heap, get());
        }
        visitor_.on_counters(counters);
        return;
      }
      case RecordType::Dropped: {
        DroppedRecord dropped;
        dropped.thread = ThreadIndex(get32());
        dropped.count = get();
        visitor_.on_dropped(dropped);
        return;
      }
      case RecordType::Trailer: {
        Trailer trailer;
        trailer.end_time = get();
        for (uint64_t& count : trailer.events_by_kind) count = get();
        trailer.dropped_events = get();
        trailer.late_events = get();
        trailer.unknown_frees = get();
        trailer.implicit_frees = get();
        trailer.stacks_lost = get();
        trailer.forced_orders = get();
        uint64_t end = get();
        if (end > static_cast<uint64_t>(TargetEnd::Lost)) fail("unknown target end");
        trailer.target_end = static_cast<TargetEnd>(end);
        trailer.exit_status = static_cast<int32_t>(zigzag_decode(get()));
        visitor_.on_trailer(trailer);
        return;
      }
      case RecordType::PythonCode: {
        PythonCodeRecord code;
        code.id = get32();
        code.filename = StringId(get32());
        code.name = StringId(get32());
        code.first_line = get32();
        visitor_.on_python_code(code);
        return;
      }
      case RecordType::Note: {
        NoteRecord note;
        uint64_t severity = get();
        if (severity > static_cast<uint64_t>(NoteSeverity::Warning)) fail("unknown note severity");
        note.severity = static_cast<NoteSeverity>(severity);
        note.text = std::string(get_bytes());
        visitor_.on_note(note);
        return;
      }
      case RecordType::Exit: {
        uint64_t cause = get();
        if (cause > static_cast<uint64_t>(ExitCause::PythonFinalization)) fail("unknown exit cause");
        visitor_.on_exit({static_cast<ExitCause>(cause)});
        return;
      }
      case RecordType::Process: {
        ProcessRecord process;
        process.index = get32();
        process.pid = get32();
        process.parent = get32();
        uint64_t origin = get();
        if (origin > static_cast<uint64_t>(ProcessOrigin::Child)) fail("unknown process origin");
        process.origin = static_cast<ProcessOrigin>(origin);
        process.executable = StringId(get32());
        uint64_t arguments = get();
        if (arguments > kMaxProcessArguments || arguments > static_cast<uint64_t>(end_ - in_)) {
          fail("a process record claims " + std::to_string(arguments) + " arguments");
        }
        process.command_line.resize(arguments);
        for (StringId& argument : process.command_line) argument = StringId(get32());
        visitor_.on_process(process);
        return;
      }
      case RecordType::ProcessEnd: {
        ProcessEndRecord end;
        end.index = get32();
        uint64_t how = get();
        if (how > static_cast<uint64_t>(ProcessEndKind::Lost)) fail("unknown process end");
        end.how = static_cast<ProcessEndKind>(how);
        int64_t status = zigzag_decode(get());
        if (status < INT32_MIN || status > INT32_MAX) fail("a process status is out of range");
        end.status = static_cast<int32_t>(status);
        visitor_.on_process_end(end);
        return;
      }
      case RecordType::Scope:
        visitor_.on_scope(get32());
        return;
      case RecordType::KeptBy: {
        KeptByRecord kept;
        kept.stack = StackId(get32());
        kept.chain = StringId(get32());
        kept.holder_stack = StackId(get32());
        kept.items_stack = StackId(get32());
        visitor_.on_kept_by(kept);
        return;
      }
      case RecordType::PythonTypes: {
        PythonTypesRecord census;
        uint64_t types = get();
        if (types > kMaxPythonTypes || types > static_cast<uint64_t>(end_ - in_)) {
          fail("a python types record claims " + std::to_string(types) + " types");
        }
        census.types.reserve(types);
        for (uint64_t i = 0; i < types; ++i) {
          StringId name(get32());
          census.types.emplace_back(name, get());
        }
        visitor_.on_python_types(census);
        return;
      }
      case RecordType::Allocator: {
        AllocatorRecord allocator;
        uint64_t kind = get();
        if (kind < static_cast<uint64_t>(AllocatorKind::GlibcMallinfo2) ||
            kind > static_cast<uint64_t>(AllocatorKind::GlibcMallinfo)) {
          fail("unknown allocator kind " + std::to_string(kind));
        }
        allocator.kind = static_cast<AllocatorKind>(kind);
        uint64_t values = get();
        if (values < kAllocatorRecordValues || values > kMaxAllocatorValues) {
          fail("an allocator record claims " + std::to_string(values) + " values");
        }
        uint64_t* fields[kAllocatorRecordValues] = {&allocator.heap_bytes, &allocator.in_use_bytes,
                                                    &allocator.free_bytes, &allocator.mmapped_bytes,
                                                    &allocator.releasable_bytes};
        for (uint64_t i = 0; i < values; ++i) {
          uint64_t value = get();
          if (i < kAllocatorRecordValues) *fields[i] = value;  // a later version's values are skipped
        }
        visitor_.on_allocator(allocator);
        return;
      }
      case RecordType::Symbol: {
        SymbolRecord symbol;
        symbol.address = get();
        symbol.module = ModuleId(get32());
        uint64_t frames = get();
        if (frames > kMaxSymbolFrames || frames > static_cast<uint64_t>(end_ - in_)) {
          fail("a symbol record claims " + std::to_string(frames) + " frames");
        }
        symbol.frames.resize(frames);
        for (SymbolFrame& frame : symbol.frames) {
          frame.function = StringId(get32());
          frame.file = StringId(get32());
          frame.line = get32();
        }
        visitor_.on_symbol(symbol);
        return;
      }
    }
    fail("unknown record type " + std::to_string(static_cast<unsigned>(type)));
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(ErrorKind::CaptureUnreadable,
                "corrupt capture: chunk " + std::to_string(chunk_index_) + ", record at byte " +
                    std::to_string(record_start_ - begin_) + ": " + what);
  }

  Visitor& visitor_;
  uint32_t next_string_id_ = 1;
  uint64_t chunk_index_ = 0;
  const uint8_t* begin_ = nullptr;
  const uint8_t* in_ = nullptr;
  const uint8_t* end_ = nullptr;
  const uint8_t* record_start_ = nullptr;
  DeltaState delta_;
};

}  // namespace leakspy::capture
