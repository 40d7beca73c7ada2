#include <array>

#include "tests/fuzz/fuzz_harnesses.h"

namespace leakspy::fuzz {

std::span<const FuzzTarget> fuzz_targets() {
  static constexpr std::array<FuzzTarget, 5> kTargets{{
      {"record_stream", fuzz_record_stream},
      {"capture_file", fuzz_capture_file},
      {"wire_messages", fuzz_wire_messages},
      {"eh_frame", fuzz_eh_frame},
      {"torch_batch", fuzz_torch_batch},
  }};
  return kTargets;
}

}  // namespace leakspy::fuzz
