#pragma once
// Interns Python code objects: each one seen in a frame gets an id and its
// name, file and first line are copied once (the writer sends them as
// PythonCode messages). Lines are resolved here from the code object's line
// table and cached per (code, instruction). Lock-free; never allocates after
// init(). Only reads code objects that are alive: those of the calling
// thread's own frames.

#include <atomic>
#include <cstdint>
#include <string_view>

#include "agent/concurrent_map.h"
#include "agent/python/python_layout.h"
#include "capture/wire.h"

namespace leakspy::agent::python {

struct CodeRecord {
  std::atomic<uint32_t> ready;
  uint32_t first_line;
  uint16_t filename_length;
  uint16_t name_length;
  char filename[wire::kMaxPythonFilenameBytes];
  char name[wire::kMaxPythonNameBytes];
};

class CodeTable {
 public:
  static constexpr uint32_t kMaxCodes = 1u << 16;

  [[nodiscard]] bool init();
  // The id of `code` (a PyCodeObject*), interning it on first sight; 0 when
  // the table is full.
  uint32_t intern(const PythonLayout& layout, const void* code);
  // The id of a function known only by its file and name (the frames of
  // PyTorch's memory history), interning it on first sight with first line 0;
  // 0 when the table is full.
  uint32_t intern_named(std::string_view filename, std::string_view name);
  // The line of the instruction at `offset` (see line_for_offset for units).
  uint32_t line(const PythonLayout& layout, uint32_t id, const void* code, uint32_t offset);

  // Writer side: ids [1, count()) have been handed out.
  uint32_t count() const { return next_id_.load(std::memory_order_acquire); }
  const CodeRecord* record(uint32_t id) const;
  // In a forked child: a record a thread of the parent was filling at the
  // fork is never finished (that thread is not in the child), and would hold
  // back every later one; it is finished as an unknown function.
  // Async-signal-safe.
  void settle_after_fork();

 private:
  // Claims an id for `key`, fills its record with `fill(record)` and
  // publishes it; the id that won when two threads raced.
  template <typename Fill>
  uint32_t add(uint64_t key, Fill&& fill);

  ConcurrentMap codes_;  // identity hash -> id
  ConcurrentMap lines_;  // id << 32 | offset -> line
  CodeRecord* records_ = nullptr;
  std::atomic<uint32_t> next_id_{1};
};

extern CodeTable code_table;

}  // namespace leakspy::agent::python
