#pragma once
// Hostile captures for the read-budget tests (issue 14, finding 6): files of
// a few KB whose zstd chunks decode into millions of records, each record
// valid on its own. Every writer returns the file's size in bytes.

#include <cstdint>
#include <string>

namespace leakspy::test {

// `blocks` allocations of 16 bytes at a constant stride, none freed.
uint64_t write_allocation_bomb(const std::string& path, uint64_t blocks);
// `strings` empty String records.
uint64_t write_string_bomb(const std::string& path, uint64_t strings);
// `nodes` Node records, each a child of the previous one.
uint64_t write_node_bomb(const std::string& path, uint64_t nodes);

}  // namespace leakspy::test
