#include "bench/reports/synthetic_capture.h"

#include <array>
#include <map>
#include <random>
#include <unordered_map>
#include <vector>

#include "capture/capture_writer.h"

namespace leakspy::bench {

namespace {

using capture::EventKind;

constexpr uint64_t kTextBase = 0x555500000000;
constexpr uint64_t kFunctionSpan = 0x400;
constexpr uint32_t kCallSitesPerFunction = 16;

uint64_t return_address(uint32_t function, uint32_t call_site) {
  return kTextBase + function * kFunctionSpan + 0x10 * call_site + 5;
}

// A size-class allocator's addresses: freed blocks are reused last in, first out.
class AddressModel {
 public:
  uint64_t allocate(uint64_t size) {
    std::vector<uint64_t>& free_list = free_[size_class(size)];
    if (!free_list.empty()) {
      uint64_t address = free_list.back();
      free_list.pop_back();
      return address;
    }
    uint64_t address = next_;
    next_ += (size + 15) & ~15ull;
    return address;
  }
  void release(uint64_t address, uint64_t size) { free_[size_class(size)].push_back(address); }

 private:
  static int size_class(uint64_t size) { return 64 - __builtin_clzll(size | 1); }
  std::map<int, std::vector<uint64_t>> free_;
  uint64_t next_ = 0x5555a0000000;
};

struct Block {
  uint64_t address;
  uint64_t size;
};

}  // namespace

void write_synthetic_capture(const std::string& path, const SyntheticCaptureOptions& options) {
  std::mt19937_64 random(options.seed);
  capture::CaptureHeader header;
  header.pid = 31337;
  header.command_line = {"/srv/bin/synthetic-service", "--workers", std::to_string(options.threads)};
  header.executable = "/srv/bin/synthetic-service";
  header.hostname = "bench";
  header.leakspy_version = "bench";
  capture::CaptureWriter writer(path, header);
  capture::RecordEncoder& records = writer.records();

  uint32_t next_string = 1;
  auto text = [&](const std::string& value) {
    records.string(value);
    return StringId(next_string++);
  };
  records.heap({HeapId(0), text("malloc"), 0});
  records.heap({HeapId(1), text("mmap"), capture::kHeapFlagRanges});
  records.module({ModuleId(1),
                  text("/srv/bin/synthetic-service"),
                  "",
                  kTextBase,
                  {{0, static_cast<uint64_t>(options.functions) * kFunctionSpan, 5}}});
  for (uint32_t thread = 1; thread <= options.threads; ++thread) {
    records.thread({ThreadIndex(thread), 1000 + thread, text("worker-" + std::to_string(thread))});
  }

  // The trace tree: random paths from main, interned edge by edge.
  std::map<std::pair<uint32_t, uint64_t>, uint32_t> edges;
  std::vector<uint32_t> stacks;
  uint32_t next_node = 1;
  for (uint32_t i = 0; i < options.stacks; ++i) {
    uint32_t depth = 5 + static_cast<uint32_t>(random() % 26);
    uint32_t node = 0;
    for (uint32_t level = 0; level < depth; ++level) {
      // Shallow levels come from few functions (shared prefixes), deep ones from many.
      uint32_t function =
          level == 0 ? 0 : 1 + static_cast<uint32_t>(random() % std::min(options.functions - 1, 4 + level * 20));
      uint64_t frame = return_address(function, static_cast<uint32_t>(random() % 4));
      auto [it, inserted] = edges.try_emplace({node, frame}, next_node);
      if (inserted) {
        records.node({StackId(next_node), StackId(node), frame});
        ++next_node;
      }
      node = it->second;
    }
    stacks.push_back(node);
  }
  writer.flush();

  // Events. Most stacks are rare; a few are hot (a Zipf-like choice).
  std::vector<Block> short_lived;  // freed in allocation order, a window behind
  std::vector<std::pair<Block, uint32_t>> long_lived;
  std::vector<Block> mappings;
  AddressModel addresses;
  uint64_t events = 0, time = 0;
  uint64_t by_kind[5] = {};
  uint64_t mapping_address = 0x7f0000000000;
  uint32_t thread = 1;
  size_t short_head = 0;
  // Threads repeat what they just did (request handling loops): most
  // allocations come from one of the thread's last few stacks, the others
  // from a skewed choice over all stacks (a few hot, most rare).
  std::vector<std::array<uint32_t, 8>> recent(options.threads + 1);
  for (auto& stacks_of_thread : recent) stacks_of_thread.fill(stacks[0]);
  auto pick_stack = [&] {
    std::array<uint32_t, 8>& mine = recent[thread];
    if (random() % 100 < 70) return mine[random() % mine.size()];
    double u = std::uniform_real_distribution<double>(0, 1)(random);
    uint32_t stack = stacks[static_cast<size_t>(u * u * u * static_cast<double>(stacks.size()))];
    mine[random() % mine.size()] = stack;
    return stack;
  };
  // A call site mostly asks for one size (its struct, its buffer).
  auto size_of = [&](uint32_t stack) {
    if (random() % 100 < 80) return uint64_t{16} + (stack * 2654435761u) % 2048;
    return uint64_t{16} << (random() % 10) | (random() & 15);
  };
  auto pick_size = [&] { return size_of(pick_stack()); };
  auto event = [&](EventKind kind, uint32_t heap, uint32_t stack, uint64_t size, uint64_t address) {
    records.event({kind, HeapId(heap), StackId(stack), size, address});
    ++by_kind[static_cast<int>(kind)];
    ++events;
  };
  records.time(0);
  records.switch_thread(ThreadIndex(thread));
  while (events < options.events) {
    if (events % 64 == 0) {
      ++time;
      records.time(time);
    }
    if (events % 512 == 0) {
      thread = 1 + static_cast<uint32_t>(random() % options.threads);
      records.switch_thread(ThreadIndex(thread));
    }
    uint64_t roll = random() % 1000;
    size_t live_short = short_lived.size() - short_head;
    if (live_short > 256 || (live_short > 0 && roll < 440)) {  // free the oldest short-lived block
      Block block = short_lived[short_head++];
      event(EventKind::Free, 0, 0, 0, block.address);
      addresses.release(block.address, block.size);
      if (short_head > 1 << 16) {
        short_lived.erase(short_lived.begin(), short_lived.begin() + static_cast<long>(short_head));
        short_head = 0;
      }
    } else if (roll < 470 && live_short > 0) {  // realloc a short-lived block
      Block& block = short_lived[short_head + random() % live_short];
      event(EventKind::ReallocOut, 0, 0, 0, block.address);
      addresses.release(block.address, block.size);
      block.size = pick_size();
      block.address = addresses.allocate(block.size);
      event(EventKind::ReallocIn, 0, pick_stack(), block.size, block.address);
    } else if (roll < 520 && !long_lived.empty()) {  // free a long-lived block
      size_t index = random() % long_lived.size();
      event(EventKind::Free, 0, 0, 0, long_lived[index].first.address);
      addresses.release(long_lived[index].first.address, long_lived[index].first.size);
      long_lived[index] = long_lived.back();
      long_lived.pop_back();
    } else if (roll < 521) {  // a mapping, or unmapping half of one
      if (!mappings.empty() && random() % 2 == 0) {
        Block mapping = mappings.back();
        mappings.pop_back();
        event(EventKind::FreeRange, 1, 0, mapping.size / 2, mapping.address);
      } else {
        Block mapping{mapping_address, 1 << 20};
        mapping_address += 2 << 20;
        mappings.push_back(mapping);
        event(EventKind::Alloc, 1, pick_stack(), mapping.size, mapping.address);
      }
    } else {
      uint32_t stack = pick_stack();
      Block block{0, size_of(stack)};
      block.address = addresses.allocate(block.size);
      event(EventKind::Alloc, 0, stack, block.size, block.address);
      uint64_t fate = random() % 100;
      if (fate < 90) {
        short_lived.push_back(block);
      } else if (fate < 99) {
        long_lived.push_back({block, stack});
      }  // else: leaked
    }
    writer.maybe_flush();
  }

  // The symbol table, as the recorder writes it at the end.
  for (uint32_t function = 0; function < options.functions; ++function) {
    std::string module = "module_" + std::to_string(function / 20);
    StringId file = text("/src/svc/" + module + ".cpp");
    StringId name = text(
        function == 0 ? "main" : "svc::" + module + "::handler_" + std::to_string(function) + "(svc::Request const&)");
    StringId inlined = text("svc::" + module + "::helper_" + std::to_string(function) + "<int>(int)");
    StringId header_file = text("/src/svc/" + module + ".h");
    for (uint32_t site = 0; site < kCallSitesPerFunction; ++site) {
      capture::SymbolRecord symbol;
      symbol.address = return_address(function, site);
      symbol.module = ModuleId(1);
      uint32_t line = 20 + function % 50 + site * 3;
      if (site % 3 == 1) symbol.frames.push_back({inlined, header_file, 7 + site});
      symbol.frames.push_back({name, file, line});
      records.symbol(symbol);
    }
    writer.maybe_flush();
  }
  capture::Trailer trailer;
  trailer.end_time = time + 1;
  std::copy(std::begin(by_kind), std::end(by_kind), trailer.events_by_kind);
  trailer.target_end = capture::TargetEnd::Exited;
  writer.finish(trailer);
}

}  // namespace leakspy::bench
