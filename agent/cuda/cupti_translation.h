#pragma once
// What one CUPTI driver-API callback means for leakspy: an allocation or a
// release, on which heap, at which address, of what size. Pure logic: it
// reads the CUpti_CallbackData and the driver's parameter struct
// (generated_cuda_meta.h) and calls nothing of CUDA or CUPTI; the device of
// a context comes through DeviceLookup. So it is unit-tested without a GPU
// (tests/unit/agent/cupti_translation_test.cpp). Thread-safe; never allocates.
//
// Heaps (docs/capture-format.md, "CUDA heaps"):
//   cuda:N           device memory: cuMemAlloc_v2, cuMemAllocPitch_v2,
//                    cuMemAllocAsync, cuMemAllocFromPoolAsync, cuMemAllocManaged
//   cuda:N/physical  physical memory of the virtual memory API: cuMemCreate
//                    handles (the address is the handle)
//   cuda:N/mapped    its mappings: cuMemMap / cuMemUnmap (a range heap; a view
//                    of cuda:N/physical, so reports do not add them up)
//   cuda:pinned      page-locked host memory: cuMemAllocHost_v2, cuMemHostAlloc
//   (cuda:N/torch, PyTorch's tensors, comes from agent/python/torch_memory_history.h)
// N is the ordinal of the device of the context current at the call.

#include <cuda.h>
#include <cupti.h>  // includes generated_cuda_meta.h (the parameter structs), which has no include guard

#include <cstddef>
#include <cstdint>

#include "capture/format.h"

namespace leakspy::agent::cuda {

enum class CudaHeapKind : uint8_t { Device, Physical, Mapped, Pinned };
inline constexpr int kCudaHeapKinds = 4;
// Devices beyond this share no heap: their events are not recorded.
inline constexpr uint32_t kMaxCudaDevices = 16;

struct CudaHeap {
  CudaHeapKind kind;
  uint32_t device;  // 0 for Pinned
  bool operator==(const CudaHeap&) const = default;
};

struct CudaEvent {
  capture::EventKind kind;  // Alloc, Free or FreeRange
  CudaHeap heap;
  uint64_t address;
  uint64_t size;  // 0 for Free
};

// The device ordinal of a context (cuptiGetDeviceId in the agent).
struct DeviceLookup {
  void* self;
  bool (*device_of_context)(void* self, CUcontext context, uint32_t* device);
};

// Every driver callback leakspy enables.
inline constexpr CUpti_CallbackId kTracedCallbacks[] = {
    CUPTI_DRIVER_TRACE_CBID_cuMemAlloc_v2,
    CUPTI_DRIVER_TRACE_CBID_cuMemAllocPitch_v2,
    CUPTI_DRIVER_TRACE_CBID_cuMemFree_v2,
    CUPTI_DRIVER_TRACE_CBID_cuMemAllocAsync,
    CUPTI_DRIVER_TRACE_CBID_cuMemAllocAsync_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuMemFreeAsync,
    CUPTI_DRIVER_TRACE_CBID_cuMemFreeAsync_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuMemAllocFromPoolAsync,
    CUPTI_DRIVER_TRACE_CBID_cuMemAllocFromPoolAsync_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuMemAllocManaged,
    CUPTI_DRIVER_TRACE_CBID_cuMemAllocHost_v2,
    CUPTI_DRIVER_TRACE_CBID_cuMemHostAlloc,
    CUPTI_DRIVER_TRACE_CBID_cuMemFreeHost,
    CUPTI_DRIVER_TRACE_CBID_cuMemCreate,
    CUPTI_DRIVER_TRACE_CBID_cuMemRelease,
    CUPTI_DRIVER_TRACE_CBID_cuMemMap,
    CUPTI_DRIVER_TRACE_CBID_cuMemUnmap,
};

// Allocations are recorded when the call returns (the pointer exists, and
// only if the call succeeded), releases when it is entered (before the
// memory can be handed out again; design.md, "Never hurt the target").
CUpti_ApiCallbackSite recording_site(CUpti_CallbackId cbid);
// Whether the event needs the caller's stack (allocations do).
constexpr bool needs_stack(capture::EventKind kind) { return kind == capture::EventKind::Alloc; }

// One callback into at most one event. False when it makes none: a callback
// not in kTracedCallbacks, the other site, a call that failed, a null
// pointer or handle, or a context whose device is unknown or too high.
bool translate_callback(CUpti_CallbackId cbid, const CUpti_CallbackData& data, const DeviceLookup& lookup,
                        CudaEvent* event);

// "cuda:0", "cuda:0/physical", "cuda:0/mapped", "cuda:pinned".
// Writes at most `size` bytes, terminator included.
void format_heap_name(CudaHeap heap, char* out, size_t size);
// capture::kHeapFlagRanges for mappings, 0 for the others.
uint64_t heap_flags(CudaHeapKind kind);

}  // namespace leakspy::agent::cuda
