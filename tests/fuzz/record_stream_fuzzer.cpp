// libFuzzer's entry for fuzz_record_stream (tests/fuzz/fuzz_harnesses.h).
#include "tests/fuzz/fuzz_harnesses.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return leakspy::fuzz::fuzz_record_stream(data, size); }
