#include "analyze/read_budget.h"

#include <algorithm>

#include "common/error.h"

namespace leakspy::analyze {

namespace {

std::string mebibytes(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

}  // namespace

uint64_t ReadBudget::default_limit(uint64_t file_bytes) {
  uint64_t beyond = file_bytes > kFloorFileBytes ? file_bytes - kFloorFileBytes : 0;
  if (beyond > (UINT64_MAX - kFloorBytes) / kBytesPerFileByte) return UINT64_MAX;
  return kFloorBytes + beyond * kBytesPerFileByte;
}

void ReadBudget::exceeded() const {
  throw Error(ErrorKind::CaptureUnreadable,
              path_ + " would take more than " + mebibytes(limit_) +
                  " of memory to read, far more than a capture of its size holds: it is damaged or "
                  "hostile; if it is genuine, allow more with " +
                  kOverrideVariable + "=SIZE (for example 4GB)");
}

}  // namespace leakspy::analyze
