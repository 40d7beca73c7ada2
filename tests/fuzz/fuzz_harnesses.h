#pragma once
// The fuzz harnesses: one entry function per decoder of untrusted bytes
// (design.md, "Hostile input is the normal case"). Each libFuzzer target in
// this folder is a wrapper around one of them, and the regression test
// (regression_replay_test.cpp) feeds them every file under regressions/, in
// the ordinary build, so a crash found once stays fixed. docs/fuzzing.md
// says how to run them.
//
// Each returns 0 for every input: a decoder's refusal (Error) is the
// expected answer to damaged bytes; anything else (a sanitizer report, an
// exception other than Error, an abort) is a bug.

#include <cstddef>
#include <cstdint>
#include <span>

namespace leakspy::fuzz {

// Raw capture records (one chunk, as it is once decompressed), wrapped by the
// harness into a valid capture file and read by read_capture_model, so that
// every consumer of records sees them: compression and framing are bypassed.
int fuzz_record_stream(const uint8_t* data, size_t size);

// A whole capture file, as read_capture_model reads it from a path.
int fuzz_capture_file(const uint8_t* data, size_t size);

// The agent's messages as the recorder reads them from the socket: header,
// payload, header, payload... through wire::check_header and WireDecoder.
int fuzz_wire_messages(const uint8_t* data, size_t size);

// .eh_frame_hdr and .eh_frame as a module maps them: a little-endian int32,
// the pc's offset from the image's start, then the image, which begins with
// .eh_frame_hdr. The parser is given the image as its bounds and must not
// read a byte outside it.
int fuzz_eh_frame(const uint8_t* data, size_t size);

// One batch of PyTorch tensor events (agent/python/torch_batch.h).
int fuzz_torch_batch(const uint8_t* data, size_t size);

struct FuzzTarget {
  const char* name;  // the folder under regressions/ and the corpus: fuzz_<name> is the binary
  int (*entry)(const uint8_t*, size_t);
};

// Every harness, by name.
std::span<const FuzzTarget> fuzz_targets();

}  // namespace leakspy::fuzz
