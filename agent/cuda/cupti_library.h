#pragma once
// Finding the CUDA driver and CUPTI in the target. The agent links neither:
// libcuda is the program's business (it is only looked for), and CUPTI is
// loaded with dlopen only once libcuda is there, preferring a libcupti the
// program already mapped (the one that matches its CUDA version).
// Writer thread only (dlopen takes the loader lock; never on a hooked path).
// Never allocates through the hooks.

#include <cuda.h>
#include <cupti.h>

#include <cstddef>
#include <cstdint>

namespace leakspy::agent::cuda {

struct CuptiLibrary {
  CUptiResult (*subscribe)(CUpti_SubscriberHandle*, CUpti_CallbackFunc, void*) = nullptr;
  // CUPTI 12.8+: names the subscriber that holds CUPTI when it refuses us.
  CUptiResult (*subscribe_v2)(CUpti_SubscriberHandle*, CUpti_CallbackFunc, void*, CUpti_SubscriberParams*) = nullptr;
  CUptiResult (*unsubscribe)(CUpti_SubscriberHandle) = nullptr;
  CUptiResult (*enable_callback)(uint32_t, CUpti_SubscriberHandle, CUpti_CallbackDomain, CUpti_CallbackId) = nullptr;
  CUptiResult (*get_device_id)(CUcontext, uint32_t*) = nullptr;
  CUptiResult (*get_result_string)(CUptiResult, const char**) = nullptr;
  char path[256] = {};
};

// An address range of code that is CUDA's own (the driver, CUPTI, the
// runtime): the innermost frames of a callback's stack that lie there are
// dropped, so that the stack ends at the program's call.
struct CodeRange {
  uintptr_t begin;
  uintptr_t end;
};

// Whether libcuda.so is mapped; fills `ranges` (at most `max`) with the
// executable segments of CUDA's libraries and sets `*count`.
bool find_cuda_modules(CodeRange* ranges, uint32_t max, uint32_t* count);
// Loads CUPTI: a libcupti already mapped, else $LEAKSPY_CUPTI, else one next
// to the program's CUDA runtime (also pip's nvidia/cuda_cupti layout), else
// the loader's search, else the CUDA toolkit's usual places. False with a
// reason in `why` when none loads or one lacks a function.
bool load_cupti(CuptiLibrary* library, char* why, size_t why_size);

}  // namespace leakspy::agent::cuda
