// libFuzzer's entry for fuzz_eh_frame (tests/fuzz/fuzz_harnesses.h).
#include "tests/fuzz/fuzz_harnesses.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return leakspy::fuzz::fuzz_eh_frame(data, size); }
