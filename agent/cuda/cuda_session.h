#pragma once
// The CUDA side of a recording session. Nothing happens until libcuda is
// mapped in the target (at the start, or later when the program loads it):
// then CUPTI is loaded and subscribed to the driver's memory calls
// (agent/cuda/cupti_translation.h lists them), and each call is recorded on
// the calling thread, with its stack, on heaps cuda:N. CUPTI takes one
// subscriber per process: when another tool holds it, a note names that
// tool and only host memory is recorded. Stop unsubscribes.
// A process without libcuda is left alone: no CUPTI loaded, nothing noted.
// Called by the session and the writer thread only.

#include <cstdint>

namespace leakspy::agent::cuda {

// Session start; the writer's next poll does the looking.
void start_cuda_support();
// Each writer cycle, with the loader's count of modules loaded so far
// (LoadCounters::adds): notices libcuda being loaded. Cheap when it did not
// move since the last call.
void poll_cuda_support(uint64_t modules_loaded);
// At the end of a session. At process exit CUDA may be tearing down: CUPTI
// is not called then (the callback only checks that tracking is off).
void stop_cuda_support(bool process_exit);

}  // namespace leakspy::agent::cuda
