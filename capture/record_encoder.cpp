#include "capture/record_encoder.h"

#include <cstring>

#include "capture/varint.h"
#include "common/error.h"

namespace leakspy::capture {

RecordEncoder::RecordEncoder() { buffer_.resize(1 << 16); }

void RecordEncoder::reset_chunk() {
  used_ = 0;
  delta_ = DeltaState{};
}

// buffer_ is kept larger than used_ and grown geometrically, so that the hot
// event path writes through a raw pointer without per-byte bounds checks.
uint8_t* RecordEncoder::reserve(size_t max_bytes) {
  if (used_ + max_bytes > buffer_.size()) buffer_.resize((used_ + max_bytes) * 2);
  return buffer_.data() + used_;
}

void RecordEncoder::commit(uint8_t* end) { used_ = static_cast<size_t>(end - buffer_.data()); }

void RecordEncoder::put_type(RecordType type) {
  uint8_t* out = reserve(1);
  *out++ = static_cast<uint8_t>(type);
  commit(out);
}

void RecordEncoder::put(uint64_t value) { commit(put_varint(reserve(kMaxVarintBytes), value)); }

void RecordEncoder::put_bytes(std::string_view bytes) {
  put(bytes.size());
  uint8_t* out = reserve(bytes.size());
  if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
  commit(out + bytes.size());
}

void RecordEncoder::string(std::string_view text) {
  put_type(RecordType::String);
  put_bytes(text);
  ++strings_written_;
}

void RecordEncoder::module(const ModuleRecord& module) {
  put_type(RecordType::Module);
  put(module.id.value());
  put(module.path.value());
  put_bytes(module.build_id);
  put(module.load_bias);
  put(module.segments.size());
  for (const Segment& segment : module.segments) {
    put(segment.vaddr);
    put(segment.memsz);
    put(segment.flags);
  }
}

void RecordEncoder::module_unload(ModuleId id) {
  put_type(RecordType::ModuleUnload);
  put(id.value());
}

void RecordEncoder::heap(const HeapRecord& heap) {
  put_type(RecordType::Heap);
  put(heap.id.value());
  put(heap.name.value());
  put(heap.flags);
}

void RecordEncoder::thread(const ThreadRecord& thread) {
  put_type(RecordType::Thread);
  put(thread.index.value());
  put(thread.tid);
  put(thread.name.value());
}

void RecordEncoder::thread_end(ThreadIndex index) {
  put_type(RecordType::ThreadEnd);
  put(index.value());
}

void RecordEncoder::node(const NodeRecord& node) {
  uint8_t* out = reserve(1 + 3 * kMaxVarintBytes);
  *out++ = static_cast<uint8_t>(RecordType::Node);
  out = put_delta(out, node.id.value(), delta_.node + 1);  // ids mostly ascend by one
  out = put_varint(out, node.parent.value());
  out = put_varint(out, node.frame);
  delta_.node = node.id.value();
  commit(out);
}

void RecordEncoder::time(uint64_t units_since_start) {
  uint8_t* out = reserve(1 + kMaxVarintBytes);
  *out++ = static_cast<uint8_t>(RecordType::Time);
  out = put_delta(out, units_since_start, delta_.time);
  delta_.time = units_since_start;
  commit(out);
}

void RecordEncoder::switch_thread(ThreadIndex index) {
  put_type(RecordType::Switch);
  put(index.value());
}

void RecordEncoder::event(const EventRecord& event) {
  uint8_t* out = reserve(2 + 4 * kMaxVarintBytes);
  uint32_t heap = event.heap.value();
  *out++ = event_type_byte(event.kind, heap);
  if (heap >= kHeapEscape) out = put_varint(out, heap);
  if (event_has_stack(event.kind)) {
    out = put_delta(out, event.stack.value(), delta_.stack);
    delta_.stack = event.stack.value();
  }
  if (event.kind != EventKind::FreeRange && event_has_size(event.kind)) out = put_varint(out, event.size);
  out = put_delta(out, event.address, delta_.address);
  delta_.address = event.address;
  if (event.kind == EventKind::FreeRange) out = put_varint(out, event.size);
  commit(out);
}

void RecordEncoder::counters(const CountersRecord& counters) {
  put_type(RecordType::Counters);
  put(counters.rss_bytes);
  put(counters.live_bytes.size());
  for (const auto& [heap, bytes] : counters.live_bytes) {
    put(heap.value());
    put(bytes);
  }
}

void RecordEncoder::allocator(const AllocatorRecord& allocator) {
  put_type(RecordType::Allocator);
  put(static_cast<uint64_t>(allocator.kind));
  put(kAllocatorRecordValues);
  for (uint64_t value : {allocator.heap_bytes, allocator.in_use_bytes, allocator.free_bytes, allocator.mmapped_bytes,
                         allocator.releasable_bytes}) {
    put(value);
  }
}

void RecordEncoder::python_types(const PythonTypesRecord& census) {
  put_type(RecordType::PythonTypes);
  put(census.types.size());
  for (const auto& [name, count] : census.types) {
    put(name.value());
    put(count);
  }
}

void RecordEncoder::kept_by(const KeptByRecord& kept) {
  put_type(RecordType::KeptBy);
  put(kept.stack.value());
  put(kept.chain.value());
  put(kept.holder_stack.value());
  put(kept.items_stack.value());
}

void RecordEncoder::dropped(const DroppedRecord& dropped) {
  put_type(RecordType::Dropped);
  put(dropped.thread.value());
  put(dropped.count);
}

void RecordEncoder::python_code(const PythonCodeRecord& code) {
  put_type(RecordType::PythonCode);
  put(code.id);
  put(code.filename.value());
  put(code.name.value());
  put(code.first_line);
}

void RecordEncoder::note(const NoteRecord& note) {
  put_type(RecordType::Note);
  put(static_cast<uint64_t>(note.severity));
  put_bytes(note.text);
}

void RecordEncoder::exit(const ExitRecord& exit) {
  put_type(RecordType::Exit);
  put(static_cast<uint64_t>(exit.cause));
}

void RecordEncoder::process(const ProcessRecord& process) {
  put_type(RecordType::Process);
  put(process.index);
  put(process.pid);
  put(process.parent);
  put(static_cast<uint64_t>(process.origin));
  put(process.executable.value());
  put(process.command_line.size());
  for (StringId argument : process.command_line) put(argument.value());
}

void RecordEncoder::process_end(const ProcessEndRecord& end) {
  put_type(RecordType::ProcessEnd);
  put(end.index);
  put(static_cast<uint64_t>(end.how));
  put(zigzag_encode(end.status));
}

void RecordEncoder::scope(uint32_t process) {
  put_type(RecordType::Scope);
  put(process);
}

void RecordEncoder::symbol(const SymbolRecord& symbol) {
  put_type(RecordType::Symbol);
  put(symbol.address);
  put(symbol.module.value());
  put(symbol.frames.size());
  for (const SymbolFrame& frame : symbol.frames) {
    put(frame.function.value());
    put(frame.file.value());
    put(frame.line);
  }
}

void RecordEncoder::trailer(const Trailer& trailer) {
  put_type(RecordType::Trailer);
  put(trailer.end_time);
  for (uint64_t count : trailer.events_by_kind) put(count);
  put(trailer.dropped_events);
  put(trailer.late_events);
  put(trailer.unknown_frees);
  put(trailer.implicit_frees);
  put(trailer.stacks_lost);
  put(trailer.forced_orders);
  put(static_cast<uint64_t>(trailer.target_end));
  put(zigzag_encode(trailer.exit_status));
}

namespace {

class HeaderWriter {
 public:
  void put(uint64_t value) {
    uint8_t tmp[kMaxVarintBytes];
    bytes_.insert(bytes_.end(), tmp, put_varint(tmp, value));
  }
  void put_string(const std::string& text) {
    put(text.size());
    bytes_.insert(bytes_.end(), text.begin(), text.end());
  }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

class HeaderReader {
 public:
  HeaderReader(const uint8_t* data, size_t size) : in_(data), end_(data + size) {}
  uint64_t get() {
    uint64_t value;
    if (!get_varint(&in_, end_, &value)) fail();
    return value;
  }
  std::string get_string() {
    uint64_t length = get();
    if (length > static_cast<uint64_t>(end_ - in_)) fail();
    std::string text(reinterpret_cast<const char*>(in_), length);
    in_ += length;
    return text;
  }
  [[noreturn]] static void fail() {
    throw Error(ErrorKind::CaptureUnreadable, "corrupt capture: the file header is malformed");
  }

 private:
  const uint8_t* in_;
  const uint8_t* end_;
};

}  // namespace

std::vector<uint8_t> encode_header(const CaptureHeader& header) {
  HeaderWriter writer;
  writer.put(header.pid);
  writer.put(header.start_unix_ns);
  writer.put(header.start_monotonic_ns);
  writer.put(header.time_unit_ns);
  writer.put(header.flags);
  writer.put(header.command_line.size());
  for (const std::string& arg : header.command_line) writer.put_string(arg);
  writer.put_string(header.executable);
  writer.put_string(header.hostname);
  writer.put_string(header.leakspy_version);
  writer.put(header.page_size);
  return writer.take();
}

CaptureHeader decode_header(const uint8_t* data, size_t size, uint32_t version) {
  HeaderReader reader(data, size);
  CaptureHeader header;
  header.version = version;
  header.pid = static_cast<uint32_t>(reader.get());
  header.start_unix_ns = reader.get();
  header.start_monotonic_ns = reader.get();
  header.time_unit_ns = reader.get();
  if (header.time_unit_ns == 0) HeaderReader::fail();
  header.flags = reader.get();
  uint64_t args = reader.get();
  if (args > size) HeaderReader::fail();
  for (uint64_t i = 0; i < args; ++i) header.command_line.push_back(reader.get_string());
  header.executable = reader.get_string();
  header.hostname = reader.get_string();
  header.leakspy_version = reader.get_string();
  header.page_size = static_cast<uint32_t>(reader.get());
  return header;
}

}  // namespace leakspy::capture
