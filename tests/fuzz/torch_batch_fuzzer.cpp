// libFuzzer's entry for fuzz_torch_batch (tests/fuzz/fuzz_harnesses.h).
#include "tests/fuzz/fuzz_harnesses.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return leakspy::fuzz::fuzz_torch_batch(data, size); }
