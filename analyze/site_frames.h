#pragma once
// What a call site looks past on its way out from the allocator, so that it
// names the user's code: the allocation functions (allocation_functions.h),
// the functions the user names (--alloc-fn, pprof's drop_frames), the
// allocator wrappers of the program itself found in the stacks (redis's
// zmalloc, nginx's ngx_alloc), and the frames of the C++ standard library
// (libstdc++ or libc++, and std:: code inlined into the program).
// A wrapper is a native function that every recorded stack calls straight
// into an allocator from (nothing but allocation functions inside it), and
// that does so for at least kWrapperMinCallers callers; found again with
// those wrappers counted as allocators, so a wrapper of a wrapper is one too.
// Pure over the model; not thread-safe.

#include <string>
#include <vector>

#include "analyze/capture_model.h"

namespace leakspy::analyze {

class SiteFrames {
 public:
  static constexpr size_t kWrapperMinCallers = 3;

  SiteFrames(const CaptureModel& model, const std::vector<std::string>& named_allocation_functions);

  // An allocation function, one the user named, or a wrapper found.
  bool allocates_for_caller(LocationId location) const { return kinds_[location.value()] == Kind::Allocates; }
  // A native frame of the C++ standard library.
  bool is_library(LocationId location) const { return kinds_[location.value()] == Kind::Library; }
  // The wrappers found, by name, in the order found.
  const std::vector<std::string>& wrappers() const { return wrappers_; }

 private:
  enum class Kind : uint8_t { User, Allocates, Library };
  void find_wrappers(const CaptureModel& model);

  std::vector<Kind> kinds_;  // by location id
  std::vector<std::string> wrappers_;
};

}  // namespace leakspy::analyze
