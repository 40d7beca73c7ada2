#pragma once
// Tells the recorder which modules are mapped: path, load bias, build id and
// segments, so that native return addresses can be symbolized after the fact.
// Used by the writer thread only. Never allocates.

#include <link.h>

#include <cstdint>

#include "agent/loaded_modules.h"
#include "agent/transport.h"

namespace leakspy::agent {

class ModuleReporter {
 public:
  // Forgets what was sent: a new session reports every module again.
  void reset();
  // Sends Module / ModuleUnload messages for what changed since the last
  // call; `counters`: the loader's, read this cycle. Cheap when they did not move.
  bool report_changes(Transport& transport, const LoadCounters& counters);

 private:
  struct KnownModule {
    uintptr_t bias;
    uintptr_t phdr;
    uint64_t name_hash;
    uint32_t id;
    bool seen;
  };
  static constexpr uint32_t kMaxModules = 8192;
  static constexpr size_t kStagingBytes = 4u << 20;

  friend int visit_module(::dl_phdr_info*, size_t, void*);
  bool on_module(const ::dl_phdr_info* info);

  KnownModule* known_ = nullptr;
  uint32_t known_count_ = 0;
  uint32_t next_id_ = 1;
  uint64_t last_adds_ = ~0ull;
  uint64_t last_subs_ = ~0ull;
  uint8_t* staging_ = nullptr;  // Module messages gathered during one scan
  size_t staged_bytes_ = 0;
  bool staging_full_ = false;
};

}  // namespace leakspy::agent
