#include "agent/fast_unwinder.h"

#include <pthread.h>

#include <atomic>

#include "agent/agent_state.h"
#include "agent/concurrent_map.h"
#include "agent/unwind_rule.h"

namespace leakspy::agent {

namespace {

constinit ConcurrentMap rule_cache;
// Part of every rule cache key: bumped when code is unloaded, so rules of
// addresses that another module may now occupy are not found again.
constinit std::atomic<uint64_t> rule_generation{0};

UnwindRule lookup_rule(uintptr_t pc) {
  uint64_t key = pc ^ (rule_generation.load(std::memory_order_relaxed) << 48);
  uint64_t home = pc >> 4;  // code that runs together sits together
  uint64_t packed;
  if (rule_cache.find(key, &packed, home)) return UnwindRule::unpack(packed);
  UnwindRule rule = compute_unwind_rule(pc);
  rule_cache.insert(key, rule.pack(), home);
  return rule;
}

bool find_stack_bounds(UnwindCache& cache) {
  pthread_attr_t attributes;
  cache.stack_high = 1;  // "unknown" unless pthread tells us
  if (pthread_getattr_np(pthread_self(), &attributes) != 0) return false;
  void* address = nullptr;
  size_t size = 0;
  bool ok = pthread_attr_getstack(&attributes, &address, &size) == 0 && size > 0;
  pthread_attr_destroy(&attributes);
  if (!ok) return false;
  cache.stack_high = reinterpret_cast<uintptr_t>(address) + size;
  return true;
}

class Walker {
 public:
  // Everything between the innermost stack pointer and the top of the stack
  // is in use, so mapped: reads outside that range are refused.
  Walker(uintptr_t low, uintptr_t high) : low_(low), high_(high) {}

  // Reads a stack word, if `slot` lies in the live part of the stack.
  bool read(uintptr_t slot, uintptr_t* value) const {
    if (slot < low_ || slot > high_ - sizeof(uintptr_t) || (slot & 7) != 0) return false;
    *value = *reinterpret_cast<const uintptr_t*>(slot);
    return true;
  }

  enum class Step { Next, End, Unsupported };

  // Fills frame's slots and computes the caller's state. End: this frame is
  // the outermost one we can reach.
  Step step(CachedFrame& frame, uintptr_t* pc, uintptr_t* rsp, uintptr_t* rbp) const {
    frame.ra_slot = frame.rbp_slot = frame.cfa_slot = 0;
    UnwindRule rule = lookup_rule(frame.pc);
    if (rule.kind == UnwindRule::kEndOfStack) return Step::End;
    if (rule.kind != UnwindRule::kStep) return Step::Unsupported;
    uintptr_t cfa;
    switch (rule.cfa_base) {
      case UnwindRule::kCfaRsp: cfa = frame.rsp + static_cast<intptr_t>(rule.cfa_offset); break;
      case UnwindRule::kCfaRbp: cfa = frame.rbp + static_cast<intptr_t>(rule.cfa_offset); break;
      default:
        frame.cfa_slot = frame.rbp + static_cast<intptr_t>(rule.cfa_offset);
        if (!read(frame.cfa_slot, &frame.cfa_value)) return Step::End;
        cfa = frame.cfa_value;
        break;
    }
    frame.ra_slot = cfa + static_cast<intptr_t>(rule.ra_offset);
    if (!read(frame.ra_slot, &frame.ra_value)) {
      frame.ra_slot = 0;
      return Step::End;
    }
    uintptr_t caller_rbp = frame.rbp;
    if (rule.rbp_rule != UnwindRule::kRbpUnchanged) {
      uintptr_t base = rule.rbp_rule == UnwindRule::kRbpAtCfa ? cfa : frame.rbp;
      frame.rbp_slot = base + static_cast<intptr_t>(rule.rbp_offset);
      if (!read(frame.rbp_slot, &frame.rbp_value)) {
        frame.rbp_slot = 0;
        return Step::End;
      }
      caller_rbp = frame.rbp_value;
    }
    // The caller's frame lies further out on the stack, and has a return
    // address: anything else ends the walk (corrupt or foreign frames).
    if (cfa <= frame.rsp || cfa > high_ || frame.ra_value < 4096) return Step::End;
    *pc = frame.ra_value;
    *rsp = cfa;
    *rbp = caller_rbp;
    return Step::Next;
  }

  // Do the frames [0, junction] still read what they read last time?
  static bool still_valid(const UnwindCache& cache, uint32_t junction) {
    uintptr_t differences = 0;
    for (uint32_t i = 0, end = cache.check_end[junction]; i < end; ++i) {
      differences |= *reinterpret_cast<const uintptr_t*>(cache.check_slot[i]) ^ cache.check_value[i];
    }
    return differences == 0;
  }

 private:
  uintptr_t low_;
  uintptr_t high_;
};

// Appends a frame's reads to the flat check arrays.
void add_checks(UnwindCache& cache, uint32_t index, const CachedFrame& frame) {
  uint32_t checks = index == 0 ? 0 : cache.check_end[index - 1];
  if (frame.ra_slot != 0) {
    cache.check_slot[checks] = frame.ra_slot;
    cache.check_value[checks++] = frame.ra_value;
  }
  if (frame.rbp_slot != 0) {
    cache.check_slot[checks] = frame.rbp_slot;
    cache.check_value[checks++] = frame.rbp_value;
  }
  if (frame.cfa_slot != 0) {
    cache.check_slot[checks] = frame.cfa_slot;
    cache.check_value[checks++] = frame.cfa_value;
  }
  cache.check_end[index] = checks;
}

// Interns `fresh[count-1] .. fresh[0]` (outermost first) on top of `parent`
// and stores them into the cache from index `at` outward-in.
bool intern_fresh(UnwindCache& cache, uint32_t at, uint32_t parent, CachedFrame* fresh, uint32_t count,
                  uint32_t* node, bool intern) {
  uint32_t current = parent;
  for (uint32_t i = count; i-- > 0;) {
    if (intern) current = traces.intern_edge(current, fresh[i].pc);
    if (intern && current == 0) {
      cache.depth = 0;
      return false;
    }
    fresh[i].node = current;
    uint32_t index = at + (count - 1 - i);
    cache.frames[index] = fresh[i];
    add_checks(cache, index, fresh[i]);
  }
  cache.depth = at + count;
  *node = current;
  return true;
}

}  // namespace

bool init_fast_unwinder() { return rule_cache.init(18); }

void invalidate_unwind_rules() { rule_generation.fetch_add(1, std::memory_order_relaxed); }

namespace {

bool walk(uintptr_t return_address, uintptr_t caller_rsp, uintptr_t caller_rbp, UnwindCache& cache, uint32_t* node,
          bool intern, uintptr_t stop_begin, uintptr_t stop_end) {
  if (cache.stack_high == 0) find_stack_bounds(cache);
  if (cache.stack_high == 1) return false;
  Walker walker(caller_rsp, cache.stack_high);
  CachedFrame* fresh = cache.fresh;
  uint32_t count = 0;
  uintptr_t pc = return_address;
  uintptr_t rsp = caller_rsp;
  uintptr_t rbp = caller_rbp;
  // Candidate junction: cached frames are ordered by rsp, innermost last.
  int64_t candidate = static_cast<int64_t>(cache.depth) - 1;
  for (;;) {
    while (candidate >= 0 && cache.frames[candidate].rsp < rsp) --candidate;
    if (candidate >= 0) {
      const CachedFrame& cached = cache.frames[candidate];
      if (cached.rsp == rsp && cached.pc == pc && cached.rbp == rbp) {
        auto junction = static_cast<uint32_t>(candidate);
        if (junction + 1 + count <= kMaxStackFrames && Walker::still_valid(cache, junction)) {
          if (count == 0) {
            cache.depth = junction + 1;
            *node = cached.node;
            return true;
          }
          return intern_fresh(cache, junction + 1, cached.node, fresh, count, node, intern);
        }
        candidate = -1;  // the cached stack is stale: walk the rest normally
      }
    }
    if (count == kMaxStackFrames) break;  // deeper than we keep: the outer rest is cut
    CachedFrame& frame = fresh[count++];
    frame.pc = pc;
    frame.rsp = rsp;
    frame.rbp = rbp;
    if (pc - 1 >= stop_begin && pc - 1 < stop_end) {  // the last frame wanted: nothing read from it
      frame.ra_slot = frame.rbp_slot = frame.cfa_slot = 0;
      break;
    }
    Walker::Step step = walker.step(frame, &pc, &rsp, &rbp);
    if (step == Walker::Step::Unsupported) {
      cache.depth = 0;
      return false;
    }
    if (step == Walker::Step::End) break;
  }
  return intern_fresh(cache, 0, 0, fresh, count, node, intern);
}

}  // namespace

bool unwind_and_intern(uintptr_t return_address, uintptr_t rsp, uintptr_t rbp, UnwindCache& cache, uint32_t* node) {
  if (!cache.interned || cache.stop_end != 0) cache.depth = 0;  // nodes missing, or a cut walk: walk it all once
  cache.interned = true;
  cache.stop_begin = cache.stop_end = 0;
  return walk(return_address, rsp, rbp, cache, node, true, 0, 0);
}

bool unwind_only(uintptr_t return_address, uintptr_t rsp, uintptr_t rbp, UnwindCache& cache, uintptr_t stop_begin,
                 uintptr_t stop_end) {
  uint32_t ignored = 0;
  if (cache.stop_begin != stop_begin || cache.stop_end != stop_end) cache.depth = 0;
  cache.interned = false;
  cache.stop_begin = stop_begin;
  cache.stop_end = stop_end;
  return walk(return_address, rsp, rbp, cache, &ignored, false, stop_begin, stop_end);
}

}  // namespace leakspy::agent
