#include "agent/doorbell.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace leakspy::agent {

namespace {
// 0: nobody rang since the writer last looked; 1: rung.
constinit std::atomic<uint32_t> doorbell{0};
}  // namespace

void ring_doorbell() {
  if (doorbell.exchange(1, std::memory_order_release) == 0) {
    syscall(SYS_futex, &doorbell, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
}

void wait_doorbell(uint64_t timeout_ns) {
  if (doorbell.exchange(0, std::memory_order_acquire) == 1) return;
  timespec timeout{static_cast<time_t>(timeout_ns / 1000000000), static_cast<long>(timeout_ns % 1000000000)};
  syscall(SYS_futex, &doorbell, FUTEX_WAIT_PRIVATE, 0, &timeout, nullptr, 0);
  doorbell.store(0, std::memory_order_relaxed);
}

}  // namespace leakspy::agent
