#pragma once
// PyTorch's tensor level of GPU memory (docs/design.md, "CUDA"). CUPTI sees
// the segments PyTorch's caching allocator takes from the driver (cuda:N);
// the tensors inside them only PyTorch knows. Once PyTorch's CUDA library
// (libc10_cuda) is mapped, a thread of the agent takes the GIL about once a
// second and runs agent/python/torch_history.py in the target: it turns on
// torch.cuda.memory._record_memory_history (when the program has imported
// torch and initialized CUDA; it never does either itself), reads the
// allocator's trace and hands back the new entries, which become events of
// heaps cuda:N/torch with the Python stacks PyTorch recorded. The events
// carry the time of the read that found them (within a second of the
// allocation). At stop the history is turned off again, unless the program
// had turned it on. Writer thread only (the reading thread is its own).

#include <cstdint>

namespace leakspy::agent::python {

// Session start, once Python is found.
void start_torch_history();
// Each writer cycle while Python is ready, with the loader's count of
// modules loaded so far: starts the reading thread once libc10_cuda is
// mapped (looked for when the count moved).
void poll_torch_history(uint64_t modules_loaded);
// Session end: the thread reads once more and restores PyTorch's setting;
// waited for at most a few seconds. At process exit Python is not called.
void stop_torch_history(bool process_exit);

}  // namespace leakspy::agent::python
