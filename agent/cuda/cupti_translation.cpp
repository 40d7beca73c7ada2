#include "agent/cuda/cupti_translation.h"

#include <cstdio>

namespace leakspy::agent::cuda {

namespace {

using capture::EventKind;

template <typename Params>
const Params& params_of(const CUpti_CallbackData& data) {
  return *static_cast<const Params*>(data.functionParams);
}

bool call_succeeded(const CUpti_CallbackData& data) {
  return data.functionReturnValue != nullptr && *static_cast<const CUresult*>(data.functionReturnValue) == CUDA_SUCCESS;
}

// The device heap of the calling context: false when its device is unknown.
bool context_heap(const CUpti_CallbackData& data, const DeviceLookup& lookup, CudaHeapKind kind, CudaHeap* heap) {
  uint32_t device = 0;
  if (data.context == nullptr || !lookup.device_of_context(lookup.self, data.context, &device) ||
      device >= kMaxCudaDevices) {
    return false;
  }
  *heap = CudaHeap{kind, device};
  return true;
}

// An allocation that returned a device pointer through `out`.
template <typename Params>
bool device_allocation(const CUpti_CallbackData& data, const DeviceLookup& lookup, CudaEvent* event) {
  const auto& params = params_of<Params>(data);
  if (params.dptr == nullptr || *params.dptr == 0) return false;
  event->kind = EventKind::Alloc;
  event->address = *params.dptr;
  event->size = params.bytesize;
  return context_heap(data, lookup, CudaHeapKind::Device, &event->heap);
}

template <typename Params>
bool device_release(const CUpti_CallbackData& data, const DeviceLookup& lookup, CudaEvent* event) {
  const auto& params = params_of<Params>(data);
  if (params.dptr == 0) return false;
  event->kind = EventKind::Free;
  event->address = params.dptr;
  event->size = 0;
  return context_heap(data, lookup, CudaHeapKind::Device, &event->heap);
}

template <typename Params>
bool pinned_allocation(const CUpti_CallbackData& data, CudaEvent* event) {
  const auto& params = params_of<Params>(data);
  if (params.pp == nullptr || *params.pp == nullptr) return false;
  *event = CudaEvent{EventKind::Alloc, CudaHeap{CudaHeapKind::Pinned, 0}, reinterpret_cast<uintptr_t>(*params.pp),
                     params.bytesize};
  return true;
}

bool translate_exit(CUpti_CallbackId cbid, const CUpti_CallbackData& data, const DeviceLookup& lookup,
                    CudaEvent* event) {
  if (!call_succeeded(data)) return false;
  switch (cbid) {
    case CUPTI_DRIVER_TRACE_CBID_cuMemAlloc_v2:
      return device_allocation<cuMemAlloc_v2_params>(data, lookup, event);
    case CUPTI_DRIVER_TRACE_CBID_cuMemAllocAsync:
      return device_allocation<cuMemAllocAsync_params>(data, lookup, event);
    case CUPTI_DRIVER_TRACE_CBID_cuMemAllocAsync_ptsz:
      return device_allocation<cuMemAllocAsync_ptsz_params>(data, lookup, event);
    case CUPTI_DRIVER_TRACE_CBID_cuMemAllocFromPoolAsync:
      return device_allocation<cuMemAllocFromPoolAsync_params>(data, lookup, event);
    case CUPTI_DRIVER_TRACE_CBID_cuMemAllocFromPoolAsync_ptsz:
      return device_allocation<cuMemAllocFromPoolAsync_ptsz_params>(data, lookup, event);
    case CUPTI_DRIVER_TRACE_CBID_cuMemAllocManaged:
      return device_allocation<cuMemAllocManaged_params>(data, lookup, event);
    case CUPTI_DRIVER_TRACE_CBID_cuMemAllocPitch_v2: {
      const auto& params = params_of<cuMemAllocPitch_v2_params>(data);
      if (params.dptr == nullptr || *params.dptr == 0 || params.pPitch == nullptr) return false;
      // The driver pads each row to the pitch it chose: that is what the device holds.
      event->kind = EventKind::Alloc;
      event->address = *params.dptr;
      event->size = uint64_t{*params.pPitch} * params.Height;
      return context_heap(data, lookup, CudaHeapKind::Device, &event->heap);
    }
    case CUPTI_DRIVER_TRACE_CBID_cuMemAllocHost_v2:
      return pinned_allocation<cuMemAllocHost_v2_params>(data, event);
    case CUPTI_DRIVER_TRACE_CBID_cuMemHostAlloc:
      return pinned_allocation<cuMemHostAlloc_params>(data, event);
    case CUPTI_DRIVER_TRACE_CBID_cuMemCreate: {
      const auto& params = params_of<cuMemCreate_params>(data);
      if (params.handle == nullptr || *params.handle == 0) return false;
      event->kind = EventKind::Alloc;
      event->address = *params.handle;
      event->size = params.size;
      return context_heap(data, lookup, CudaHeapKind::Physical, &event->heap);
    }
    case CUPTI_DRIVER_TRACE_CBID_cuMemMap: {
      const auto& params = params_of<cuMemMap_params>(data);
      if (params.ptr == 0 || params.size == 0) return false;
      event->kind = EventKind::Alloc;
      event->address = params.ptr;
      event->size = params.size;
      return context_heap(data, lookup, CudaHeapKind::Mapped, &event->heap);
    }
    default:
      return false;
  }
}

bool translate_enter(CUpti_CallbackId cbid, const CUpti_CallbackData& data, const DeviceLookup& lookup,
                     CudaEvent* event) {
  switch (cbid) {
    case CUPTI_DRIVER_TRACE_CBID_cuMemFree_v2:
      return device_release<cuMemFree_v2_params>(data, lookup, event);
    case CUPTI_DRIVER_TRACE_CBID_cuMemFreeAsync:
      return device_release<cuMemFreeAsync_params>(data, lookup, event);
    case CUPTI_DRIVER_TRACE_CBID_cuMemFreeAsync_ptsz:
      return device_release<cuMemFreeAsync_ptsz_params>(data, lookup, event);
    case CUPTI_DRIVER_TRACE_CBID_cuMemFreeHost: {
      const auto& params = params_of<cuMemFreeHost_params>(data);
      if (params.p == nullptr) return false;
      *event = CudaEvent{EventKind::Free, CudaHeap{CudaHeapKind::Pinned, 0}, reinterpret_cast<uintptr_t>(params.p), 0};
      return true;
    }
    case CUPTI_DRIVER_TRACE_CBID_cuMemRelease: {
      const auto& params = params_of<cuMemRelease_params>(data);
      if (params.handle == 0) return false;
      event->kind = EventKind::Free;
      event->address = params.handle;
      event->size = 0;
      return context_heap(data, lookup, CudaHeapKind::Physical, &event->heap);
    }
    case CUPTI_DRIVER_TRACE_CBID_cuMemUnmap: {
      const auto& params = params_of<cuMemUnmap_params>(data);
      if (params.ptr == 0 || params.size == 0) return false;
      event->kind = EventKind::FreeRange;
      event->address = params.ptr;
      event->size = params.size;
      return context_heap(data, lookup, CudaHeapKind::Mapped, &event->heap);
    }
    default:
      return false;
  }
}

}  // namespace

CUpti_ApiCallbackSite recording_site(CUpti_CallbackId cbid) {
  switch (cbid) {
    case CUPTI_DRIVER_TRACE_CBID_cuMemFree_v2:
    case CUPTI_DRIVER_TRACE_CBID_cuMemFreeAsync:
    case CUPTI_DRIVER_TRACE_CBID_cuMemFreeAsync_ptsz:
    case CUPTI_DRIVER_TRACE_CBID_cuMemFreeHost:
    case CUPTI_DRIVER_TRACE_CBID_cuMemRelease:
    case CUPTI_DRIVER_TRACE_CBID_cuMemUnmap:
      return CUPTI_API_ENTER;
    default:
      return CUPTI_API_EXIT;
  }
}

bool translate_callback(CUpti_CallbackId cbid, const CUpti_CallbackData& data, const DeviceLookup& lookup,
                        CudaEvent* event) {
  if (data.functionParams == nullptr || data.callbackSite != recording_site(cbid)) return false;
  return data.callbackSite == CUPTI_API_EXIT ? translate_exit(cbid, data, lookup, event)
                                             : translate_enter(cbid, data, lookup, event);
}

void format_heap_name(CudaHeap heap, char* out, size_t size) {
  switch (heap.kind) {
    case CudaHeapKind::Device:
      std::snprintf(out, size, "cuda:%u", heap.device);
      return;
    case CudaHeapKind::Physical:
      std::snprintf(out, size, "cuda:%u/physical", heap.device);
      return;
    case CudaHeapKind::Mapped:
      std::snprintf(out, size, "cuda:%u/mapped", heap.device);
      return;
    case CudaHeapKind::Pinned:
      std::snprintf(out, size, "cuda:pinned");
      return;
  }
  if (size > 0) out[0] = '\0';
}

uint64_t heap_flags(CudaHeapKind kind) { return kind == CudaHeapKind::Mapped ? capture::kHeapFlagRanges : 0; }

}  // namespace leakspy::agent::cuda
