#include "agent/heap_registry.h"

#include <atomic>
#include <cstring>

#include "capture/format.h"
#include "capture/wire.h"

namespace leakspy::agent {

namespace {

struct DeclaredHeap {
  char name[wire::kMaxHeapNameBytes + 1];  // NUL-terminated
  uint64_t flags;
};

constexpr uint32_t kFirstDeclaredHeap = wire::kFirstDeclaredHeap;

constinit DeclaredHeap heaps[capture::kMaxHeaps] = {};
// Heaps [kFirstDeclaredHeap, declared) exist; published with release after
// the entry is filled, read with acquire by the writer.
constinit std::atomic<uint32_t> declared{kFirstDeclaredHeap};
constinit std::atomic_flag declaring = ATOMIC_FLAG_INIT;
constinit uint32_t reported = kFirstDeclaredHeap;  // writer thread only

}  // namespace

uint8_t declare_heap(const char* name, uint64_t flags) {
  while (declaring.test_and_set(std::memory_order_acquire)) {
  }
  uint32_t count = declared.load(std::memory_order_relaxed);
  uint8_t id = kNoHeap;
  for (uint32_t i = kFirstDeclaredHeap; i < count; ++i) {
    if (std::strncmp(heaps[i].name, name, sizeof(heaps[i].name)) == 0) id = static_cast<uint8_t>(i);
  }
  if (id == kNoHeap && count < capture::kMaxHeaps) {
    std::strncpy(heaps[count].name, name, sizeof(heaps[count].name) - 1);
    heaps[count].flags = flags;
    id = static_cast<uint8_t>(count);
    // Pairs with the acquire load in report_new_heaps.
    declared.store(count + 1, std::memory_order_release);
  }
  declaring.clear(std::memory_order_release);
  return id;
}

bool report_new_heaps(Transport& transport) {
  uint32_t count = declared.load(std::memory_order_acquire);
  for (; reported < count; ++reported) {
    const DeclaredHeap& heap = heaps[reported];
    uint8_t message[sizeof(wire::WireHeap) + sizeof(heap.name)];
    auto length = static_cast<uint32_t>(strnlen(heap.name, sizeof(heap.name)));
    wire::WireHeap header{reported, length, heap.flags};
    std::memcpy(message, &header, sizeof(header));
    std::memcpy(message + sizeof(header), heap.name, length);
    if (!transport.add_copy(wire::MessageType::Heap, message, static_cast<uint32_t>(sizeof(header) + length))) {
      return false;
    }
  }
  return true;
}

void forget_reported_heaps() { reported = kFirstDeclaredHeap; }

}  // namespace leakspy::agent
