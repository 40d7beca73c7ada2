// Definitions of the agent's process-wide state (agent_state.h) and of the
// per-thread state (thread_state.h): all constant-initialised, see session.cpp.
#include "agent/agent_state.h"

#include "agent/thread_state.h"

extern "C" {
constinit uint8_t leakspy_modules_dirty = 0;
constinit void* leakspy_real_dlopen = nullptr;
}

namespace leakspy::agent {

constinit thread_local ThreadState tls_thread_state __attribute__((tls_model("initial-exec"))) = {0, nullptr};

constinit std::atomic<bool> tracking{false};
constinit std::atomic<uint64_t> current_epoch{1};
constinit RingRegistry rings;
constinit TraceTable traces;
constinit std::atomic<uint64_t> ringless_drops{0};

}  // namespace leakspy::agent
