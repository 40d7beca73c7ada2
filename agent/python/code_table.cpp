#include "agent/python/code_table.h"

#include <algorithm>
#include <cstring>

#include "agent/agent_memory.h"
#include "agent/python/line_table.h"
#include "agent/python/python_objects.h"

namespace leakspy::agent::python {

constinit CodeTable code_table;

namespace {

uint64_t mix(uint64_t value) {
  value ^= value >> 33;
  value *= 0xff51afd7ed558ccdull;
  value ^= value >> 33;
  return value;
}

}  // namespace

bool CodeTable::init() {
  if (records_ != nullptr) return true;
  records_ = static_cast<CodeRecord*>(map_pages(sizeof(CodeRecord) * kMaxCodes));
  return records_ != nullptr && codes_.init(16) && lines_.init(20);
}

uint32_t CodeTable::intern(const PythonLayout& layout, const void* code) {
  // The address alone is not an identity: a freed code object's memory is
  // reused for others. The address with the name, file and first line is.
  const void* filename = read_field<const void*>(code, layout.code_filename);
  const void* name = read_field<const void*>(code, layout.code_name);
  auto first_line = read_field<int32_t>(code, layout.code_firstlineno);
  uint64_t key = mix(reinterpret_cast<uintptr_t>(code) ^ mix(reinterpret_cast<uintptr_t>(filename)) ^
                     mix(reinterpret_cast<uintptr_t>(name) + static_cast<uint32_t>(first_line)));
  if (key == 0) key = 1;
  return add(key, [&](CodeRecord& record) {
    record.first_line = first_line > 0 ? static_cast<uint32_t>(first_line) : 0;
    record.filename_length =
        static_cast<uint16_t>(read_string(layout, filename, record.filename, sizeof(record.filename)));
    record.name_length = static_cast<uint16_t>(read_string(layout, name, record.name, sizeof(record.name)));
  });
}

uint32_t CodeTable::intern_named(std::string_view filename, std::string_view name) {
  // FNV-1a over both strings, apart from the keys of code objects by a tag.
  uint64_t hash = 0xcbf29ce484222325ull;
  auto absorb = [&](std::string_view text) {
    for (char c : text) hash = (hash ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
    hash = (hash ^ 0xff) * 0x100000001b3ull;
  };
  absorb(filename);
  absorb(name);
  uint64_t key = mix(hash ^ 0x746f726368000000ull);  // "torch"
  if (key == 0) key = 1;
  return add(key, [&](CodeRecord& record) {
    record.first_line = 0;
    record.filename_length = static_cast<uint16_t>(std::min(filename.size(), sizeof(record.filename)));
    std::memcpy(record.filename, filename.data(), record.filename_length);
    record.name_length = static_cast<uint16_t>(std::min(name.size(), sizeof(record.name)));
    std::memcpy(record.name, name.data(), record.name_length);
  });
}

template <typename Fill>
uint32_t CodeTable::add(uint64_t key, Fill&& fill) {
  uint64_t found;
  if (codes_.find(key, &found)) return static_cast<uint32_t>(found);
  uint32_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  if (id >= kMaxCodes) return 0;
  CodeRecord& record = records_[id];
  fill(record);
  // Pairs with the acquire load in record(): the writer sends it only once filled.
  record.ready.store(1, std::memory_order_release);
  codes_.insert(key, id);
  // Another thread may have interned it at the same moment: use the winner's
  // id (this one stays an unused duplicate).
  if (codes_.find(key, &found)) return static_cast<uint32_t>(found);
  return id;
}

uint32_t CodeTable::line(const PythonLayout& layout, uint32_t id, const void* code, uint32_t offset) {
  uint64_t key = (static_cast<uint64_t>(id) << 32) | offset;
  uint64_t home = static_cast<uint64_t>(id) * 16 + offset % 16;  // a code object's lines together
  uint64_t line;
  if (lines_.find(key, &line, home)) return static_cast<uint32_t>(line);
  size_t size = 0;
  const uint8_t* table = bytes_data(layout, read_field<const void*>(code, layout.code_line_table), &size);
  auto first_line = read_field<int32_t>(code, layout.code_firstlineno);
  line = line_for_offset(layout.line_table, table, size, first_line > 0 ? static_cast<uint32_t>(first_line) : 0,
                         offset);
  lines_.insert(key, line, home);
  return static_cast<uint32_t>(line);
}

const CodeRecord* CodeTable::record(uint32_t id) const {
  if (id == 0 || id >= kMaxCodes || records_ == nullptr) return nullptr;
  const CodeRecord& record = records_[id];
  return record.ready.load(std::memory_order_acquire) ? &record : nullptr;
}

void CodeTable::settle_after_fork() {
  if (records_ == nullptr) return;
  uint32_t count = next_id_.load(std::memory_order_relaxed);
  if (count > kMaxCodes) count = kMaxCodes;
  constexpr char kUnknown[] = "<unknown: interned as the process forked>";
  for (uint32_t id = 1; id < count; ++id) {
    CodeRecord& record = records_[id];
    if (record.ready.load(std::memory_order_relaxed) != 0) continue;
    record.first_line = 0;
    record.filename_length = 0;
    record.name_length = sizeof(kUnknown) - 1;
    std::memcpy(record.name, kUnknown, sizeof(kUnknown) - 1);
    record.ready.store(1, std::memory_order_release);
  }
}

}  // namespace leakspy::agent::python
