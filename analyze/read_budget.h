#pragma once
// How much memory reading one capture may take: its chunk buffers and what
// it decodes into (string, module, symbol and node tables, the live set
// replayed from its events, time slices). A capture is untrusted input,
// and zstd turns a few KB into a 64 MiB chunk, so a record stream can
// describe far more than its file holds (issue 14, finding 6). The limit grows with the file's compressed
// size, from a floor that every real capture of a few MB stays under;
// LEAKSPY_READ_MEMORY raises it for a genuine capture that compresses
// extremely (millions of identical leaked blocks at a constant stride).
// Thread-safe: the reading thread charges tables while the replaying one
// reports the live set.

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

namespace leakspy::analyze {

class ReadBudget {
 public:
  static constexpr uint64_t kFloorBytes = 192ull << 20;
  static constexpr uint64_t kFloorFileBytes = 1ull << 20;
  static constexpr uint64_t kBytesPerFileByte = 1024;
  static constexpr const char* kOverrideVariable = "LEAKSPY_READ_MEMORY";
  // A std::map node's bytes beside its value (libstdc++: three pointers and
  // a colour), for charging map entries.
  static constexpr uint64_t kMapNodeBytes = 4 * sizeof(void*);

  // kFloorBytes for a file of up to kFloorFileBytes, then kBytesPerFileByte
  // more per byte beyond: no file under 1 MiB takes a report past about
  // 200 MB. Real captures compress to 0.2-1 byte per event and take up to
  // about 200 bytes per file byte (a Python service's 1.1 MB capture with
  // 1.8 M blocks live: 206 MB); a bomb takes hundreds of thousands (2 KB
  // of zstd, 6 M live blocks: 816 MB).
  static uint64_t default_limit(uint64_t file_bytes);

  // `limit_bytes` 0: unlimited.
  ReadBudget(std::string path, uint64_t limit_bytes) : path_(std::move(path)), limit_(limit_bytes) {}

  // Adds decoded table bytes. Throws Error(CaptureUnreadable) past the limit.
  void charge_tables(uint64_t bytes) {
    tables_.fetch_add(bytes, std::memory_order_relaxed);
    check();
  }
  // The live set's memory now (it shrinks as well as grows). Throws past the limit.
  void set_live(uint64_t bytes) {
    live_.store(bytes, std::memory_order_relaxed);
    check();
  }
  // The reader's chunk buffers now. Throws past the limit.
  void set_buffers(uint64_t bytes) {
    buffers_.store(bytes, std::memory_order_relaxed);
    check();
  }
  uint64_t used() const {
    return tables_.load(std::memory_order_relaxed) + live_.load(std::memory_order_relaxed) +
           buffers_.load(std::memory_order_relaxed);
  }
  uint64_t limit() const { return limit_; }

 private:
  void check() const {
    if (limit_ != 0 && used() > limit_) exceeded();
  }
  [[noreturn]] void exceeded() const;

  std::string path_;
  uint64_t limit_;
  std::atomic<uint64_t> tables_{0};
  std::atomic<uint64_t> live_{0};
  std::atomic<uint64_t> buffers_{0};
};

}  // namespace leakspy::analyze
