// The translation of CUPTI driver-API callbacks into leakspy events, for
// every callback the agent enables. Each call is played as the driver plays
// it: the parameter struct of generated_cuda_meta.h points at the caller's
// variables, the callback fires at API entry (outputs not written yet,
// return value not set) and at exit (outputs written, return value set).
// The device lookup is the only double: it stands for cuptiGetDeviceId.
#include "agent/cuda/cupti_translation.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace leakspy::agent::cuda {
namespace {

using capture::EventKind;

// Fake contexts: opaque handles, as the driver's are.
const auto kContextOfDevice0 = reinterpret_cast<CUcontext>(0x55550000a000);
const auto kContextOfDevice3 = reinterpret_cast<CUcontext>(0x55550000b000);
const auto kContextOfDevice40 = reinterpret_cast<CUcontext>(0x55550000c000);  // beyond kMaxCudaDevices
const auto kUnknownContext = reinterpret_cast<CUcontext>(0x55550000d000);

bool fake_device_of_context(void*, CUcontext context, uint32_t* device) {
  if (context == kContextOfDevice0) *device = 0;
  else if (context == kContextOfDevice3) *device = 3;
  else if (context == kContextOfDevice40) *device = 40;
  else return false;
  return true;
}
const DeviceLookup kLookup{nullptr, fake_device_of_context};

// One driver call: the callback data of its entry and exit.
struct DriverCall {
  CUpti_CallbackId cbid;
  const void* params;
  CUcontext context = kContextOfDevice3;
  CUresult result = CUDA_SUCCESS;
  // Writes the call's outputs (what the driver does between entry and exit).
  std::function<void()> run = [] {};

  std::optional<CudaEvent> translate(CUpti_ApiCallbackSite site, void* return_value) const {
    CUpti_CallbackData data{};
    data.callbackSite = site;
    data.functionName = "cuMem...";
    data.functionParams = params;
    data.functionReturnValue = return_value;
    data.context = context;
    data.contextUid = 7;
    data.correlationId = 42;
    CudaEvent event{};
    if (!translate_callback(cbid, data, kLookup, &event)) return std::nullopt;
    return event;
  }
  // Both callbacks in order; the events they made (at most one each).
  std::vector<CudaEvent> play() const {
    std::vector<CudaEvent> events;
    // At entry the return value is not written yet: the driver's slot holds
    // whatever was there (here: an error, so that reading it would show).
    CUresult slot = CUDA_ERROR_UNKNOWN;
    if (auto event = translate(CUPTI_API_ENTER, &slot)) events.push_back(*event);
    run();
    slot = result;
    if (auto event = translate(CUPTI_API_EXIT, &slot)) events.push_back(*event);
    return events;
  }
};

::testing::AssertionResult is_event(const std::vector<CudaEvent>& events, EventKind kind, CudaHeapKind heap,
                                    uint32_t device, uint64_t address, uint64_t size) {
  if (events.size() != 1) return ::testing::AssertionFailure() << events.size() << " events instead of 1";
  const CudaEvent& e = events[0];
  if (e.kind != kind || e.heap.kind != heap || e.heap.device != device || e.address != address || e.size != size) {
    return ::testing::AssertionFailure() << "event kind " << int(e.kind) << " heap " << int(e.heap.kind) << ":"
                                         << e.heap.device << " address 0x" << std::hex << e.address << std::dec
                                         << " size " << e.size;
  }
  return ::testing::AssertionSuccess();
}

// The variables a caller passes to the driver, and the values it returns.
struct Caller {
  CUdeviceptr dptr = 0;
  size_t pitch = 0;
  void* host = nullptr;
  CUmemGenericAllocationHandle handle = 0;
};
constexpr CUdeviceptr kDevicePointer = 0x7f3a40200000;
constexpr CUmemGenericAllocationHandle kHandle = 0x55550123ab00;
void* const kHostPointer = reinterpret_cast<void*>(0x7f3a10000000);

// Every traced callback: how its call is made, and the event it must give.
struct Case {
  CUpti_CallbackId cbid;
  std::function<void(const std::function<void(const DriverCall&)>&)> call;  // makes the call, hands it over
  EventKind kind;
  CudaHeapKind heap;
  uint32_t device;
  uint64_t address;
  uint64_t size;
};

template <typename Params>
Case device_allocation_case(CUpti_CallbackId cbid, std::function<Params(Caller&)> make, uint64_t size) {
  return Case{cbid,
              [cbid, make](const std::function<void(const DriverCall&)>& use) {
                Caller caller;
                Params params = make(caller);
                use(DriverCall{cbid, &params, kContextOfDevice3, CUDA_SUCCESS, [&] { caller.dptr = kDevicePointer; }});
              },
              EventKind::Alloc, CudaHeapKind::Device, 3, kDevicePointer, size};
}

std::vector<Case> every_case() {
  CUstream stream = reinterpret_cast<CUstream>(0x5555000f0000);
  CUmemoryPool pool = reinterpret_cast<CUmemoryPool>(0x5555000e0000);
  std::vector<Case> cases;
  cases.push_back(device_allocation_case<cuMemAlloc_v2_params>(
      CUPTI_DRIVER_TRACE_CBID_cuMemAlloc_v2, [](Caller& c) { return cuMemAlloc_v2_params{&c.dptr, 4096}; }, 4096));
  cases.push_back(device_allocation_case<cuMemAllocAsync_params>(
      CUPTI_DRIVER_TRACE_CBID_cuMemAllocAsync,
      [stream](Caller& c) { return cuMemAllocAsync_params{&c.dptr, 1 << 20, stream}; }, 1 << 20));
  cases.push_back(device_allocation_case<cuMemAllocAsync_ptsz_params>(
      CUPTI_DRIVER_TRACE_CBID_cuMemAllocAsync_ptsz,
      [stream](Caller& c) { return cuMemAllocAsync_ptsz_params{&c.dptr, 3000, stream}; }, 3000));
  cases.push_back(device_allocation_case<cuMemAllocFromPoolAsync_params>(
      CUPTI_DRIVER_TRACE_CBID_cuMemAllocFromPoolAsync,
      [stream, pool](Caller& c) { return cuMemAllocFromPoolAsync_params{&c.dptr, 65536, pool, stream}; }, 65536));
  cases.push_back(device_allocation_case<cuMemAllocFromPoolAsync_ptsz_params>(
      CUPTI_DRIVER_TRACE_CBID_cuMemAllocFromPoolAsync_ptsz,
      [stream, pool](Caller& c) { return cuMemAllocFromPoolAsync_ptsz_params{&c.dptr, 512, pool, stream}; }, 512));
  cases.push_back(device_allocation_case<cuMemAllocManaged_params>(
      CUPTI_DRIVER_TRACE_CBID_cuMemAllocManaged,
      [](Caller& c) { return cuMemAllocManaged_params{&c.dptr, 8192, CU_MEM_ATTACH_GLOBAL}; }, 8192));
  // Pitch: 500-byte rows padded to the 512-byte pitch the driver chose, 10 rows.
  cases.push_back(Case{CUPTI_DRIVER_TRACE_CBID_cuMemAllocPitch_v2,
                       [](const std::function<void(const DriverCall&)>& use) {
                         Caller c;
                         cuMemAllocPitch_v2_params params{&c.dptr, &c.pitch, 500, 10, 4};
                         use(DriverCall{CUPTI_DRIVER_TRACE_CBID_cuMemAllocPitch_v2, &params, kContextOfDevice3,
                                        CUDA_SUCCESS, [&] {
                                          c.dptr = kDevicePointer;
                                          c.pitch = 512;
                                        }});
                       },
                       EventKind::Alloc, CudaHeapKind::Device, 3, kDevicePointer, 5120});
  auto release = [](CUpti_CallbackId cbid, auto params, EventKind kind, CudaHeapKind heap, uint32_t device,
                    uint64_t address, uint64_t size) {
    return Case{cbid,
                [cbid, params](const std::function<void(const DriverCall&)>& use) {
                  use(DriverCall{cbid, &params, kContextOfDevice3});
                },
                kind, heap, device, address, size};
  };
  cases.push_back(release(CUPTI_DRIVER_TRACE_CBID_cuMemFree_v2, cuMemFree_v2_params{kDevicePointer}, EventKind::Free,
                          CudaHeapKind::Device, 3, kDevicePointer, 0));
  cases.push_back(release(CUPTI_DRIVER_TRACE_CBID_cuMemFreeAsync, cuMemFreeAsync_params{kDevicePointer, stream},
                          EventKind::Free, CudaHeapKind::Device, 3, kDevicePointer, 0));
  cases.push_back(release(CUPTI_DRIVER_TRACE_CBID_cuMemFreeAsync_ptsz,
                          cuMemFreeAsync_ptsz_params{kDevicePointer, stream}, EventKind::Free, CudaHeapKind::Device, 3,
                          kDevicePointer, 0));
  cases.push_back(release(CUPTI_DRIVER_TRACE_CBID_cuMemFreeHost, cuMemFreeHost_params{kHostPointer}, EventKind::Free,
                          CudaHeapKind::Pinned, 0, reinterpret_cast<uintptr_t>(kHostPointer), 0));
  cases.push_back(release(CUPTI_DRIVER_TRACE_CBID_cuMemRelease, cuMemRelease_params{kHandle}, EventKind::Free,
                          CudaHeapKind::Physical, 3, kHandle, 0));
  cases.push_back(release(CUPTI_DRIVER_TRACE_CBID_cuMemUnmap, cuMemUnmap_params{kDevicePointer, 2 << 20},
                          EventKind::FreeRange, CudaHeapKind::Mapped, 3, kDevicePointer, 2 << 20));
  cases.push_back(Case{CUPTI_DRIVER_TRACE_CBID_cuMemAllocHost_v2,
                       [](const std::function<void(const DriverCall&)>& use) {
                         Caller c;
                         cuMemAllocHost_v2_params params{&c.host, 1 << 16};
                         use(DriverCall{CUPTI_DRIVER_TRACE_CBID_cuMemAllocHost_v2, &params, kContextOfDevice3,
                                        CUDA_SUCCESS, [&] { c.host = kHostPointer; }});
                       },
                       EventKind::Alloc, CudaHeapKind::Pinned, 0, reinterpret_cast<uintptr_t>(kHostPointer), 1 << 16});
  cases.push_back(Case{CUPTI_DRIVER_TRACE_CBID_cuMemHostAlloc,
                       [](const std::function<void(const DriverCall&)>& use) {
                         Caller c;
                         cuMemHostAlloc_params params{&c.host, 1 << 12, CU_MEMHOSTALLOC_PORTABLE};
                         use(DriverCall{CUPTI_DRIVER_TRACE_CBID_cuMemHostAlloc, &params, kContextOfDevice3,
                                        CUDA_SUCCESS, [&] { c.host = kHostPointer; }});
                       },
                       EventKind::Alloc, CudaHeapKind::Pinned, 0, reinterpret_cast<uintptr_t>(kHostPointer), 1 << 12});
  cases.push_back(Case{CUPTI_DRIVER_TRACE_CBID_cuMemCreate,
                       [](const std::function<void(const DriverCall&)>& use) {
                         Caller c;
                         CUmemAllocationProp prop{};
                         prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
                         prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
                         prop.location.id = 3;
                         cuMemCreate_params params{&c.handle, 20 << 20, &prop, 0};
                         use(DriverCall{CUPTI_DRIVER_TRACE_CBID_cuMemCreate, &params, kContextOfDevice3, CUDA_SUCCESS,
                                        [&] { c.handle = kHandle; }});
                       },
                       EventKind::Alloc, CudaHeapKind::Physical, 3, kHandle, 20 << 20});
  cases.push_back(release(CUPTI_DRIVER_TRACE_CBID_cuMemMap, cuMemMap_params{kDevicePointer, 2 << 20, 0, kHandle, 0},
                          EventKind::Alloc, CudaHeapKind::Mapped, 3, kDevicePointer, 2 << 20));
  return cases;
}

TEST(CuptiTranslation, EveryTracedCallbackHasACaseAndNoOtherDoes) {
  std::set<CUpti_CallbackId> traced(std::begin(kTracedCallbacks), std::end(kTracedCallbacks));
  std::set<CUpti_CallbackId> tested;
  for (const Case& c : every_case()) EXPECT_TRUE(tested.insert(c.cbid).second) << "cbid " << c.cbid << " twice";
  EXPECT_EQ(traced, tested);
  EXPECT_EQ(traced.size(), 17u);
}

TEST(CuptiTranslation, EveryCallbackGivesItsOneEventAtItsSite) {
  for (const Case& c : every_case()) {
    SCOPED_TRACE("cbid " + std::to_string(c.cbid));
    c.call([&](const DriverCall& call) {
      std::vector<CudaEvent> events = call.play();
      EXPECT_TRUE(is_event(events, c.kind, c.heap, c.device, c.address, c.size));
      // Allocations at exit (the pointer exists), releases at entry (before
      // the memory can be handed out again).
      CUresult success = CUDA_SUCCESS;
      bool at_exit = call.translate(CUPTI_API_EXIT, &success).has_value();
      EXPECT_EQ(recording_site(c.cbid), c.kind == EventKind::Alloc ? CUPTI_API_EXIT : CUPTI_API_ENTER);
      EXPECT_EQ(at_exit, c.kind == EventKind::Alloc);
      EXPECT_EQ(needs_stack(c.kind), c.kind == EventKind::Alloc);
    });
  }
}

TEST(CuptiTranslation, FailedAllocationsMakeNoEvent) {
  for (const Case& c : every_case()) {
    if (c.kind != EventKind::Alloc) continue;
    SCOPED_TRACE("cbid " + std::to_string(c.cbid));
    c.call([&](const DriverCall& call) {
      DriverCall failed = call;
      failed.result = CUDA_ERROR_OUT_OF_MEMORY;
      failed.run = [] {};  // the driver wrote nothing
      EXPECT_TRUE(failed.play().empty());
      // A failure that still wrote the output must not count either.
      DriverCall wrote = call;
      wrote.result = CUDA_ERROR_OUT_OF_MEMORY;
      EXPECT_TRUE(wrote.play().empty());
    });
  }
}

TEST(CuptiTranslation, DeviceComesFromTheCallingContext) {
  for (const Case& c : every_case()) {
    if (c.heap == CudaHeapKind::Pinned) continue;  // host memory: no device
    SCOPED_TRACE("cbid " + std::to_string(c.cbid));
    c.call([&](const DriverCall& call) {
      DriverCall on_device0 = call;
      on_device0.context = kContextOfDevice0;
      EXPECT_TRUE(is_event(on_device0.play(), c.kind, c.heap, 0, c.address, c.size));
      for (CUcontext unusable : {kUnknownContext, kContextOfDevice40, static_cast<CUcontext>(nullptr)}) {
        DriverCall other = call;
        other.context = unusable;
        EXPECT_TRUE(other.play().empty());
      }
    });
  }
}

TEST(CuptiTranslation, PinnedHostMemoryNeedsNoContext) {
  Caller c;
  cuMemHostAlloc_params params{&c.host, 100, 0};
  DriverCall call{CUPTI_DRIVER_TRACE_CBID_cuMemHostAlloc, &params, nullptr, CUDA_SUCCESS,
                  [&] { c.host = kHostPointer; }};
  EXPECT_TRUE(is_event(call.play(), EventKind::Alloc, CudaHeapKind::Pinned, 0,
                       reinterpret_cast<uintptr_t>(kHostPointer), 100));
}

TEST(CuptiTranslation, NullPointersAndHandlesMakeNoEvent) {
  cuMemFree_v2_params free_null{0};
  EXPECT_TRUE((DriverCall{CUPTI_DRIVER_TRACE_CBID_cuMemFree_v2, &free_null}.play().empty()));
  cuMemFreeHost_params free_host_null{nullptr};
  EXPECT_TRUE((DriverCall{CUPTI_DRIVER_TRACE_CBID_cuMemFreeHost, &free_host_null}.play().empty()));
  cuMemRelease_params release_null{0};
  EXPECT_TRUE((DriverCall{CUPTI_DRIVER_TRACE_CBID_cuMemRelease, &release_null}.play().empty()));
  cuMemUnmap_params unmap_empty{kDevicePointer, 0};
  EXPECT_TRUE((DriverCall{CUPTI_DRIVER_TRACE_CBID_cuMemUnmap, &unmap_empty}.play().empty()));
  // cuMemAlloc_v2(NULL, n) fails in the driver; even if it said success there is no pointer to read.
  cuMemAlloc_v2_params no_output{nullptr, 64};
  EXPECT_TRUE((DriverCall{CUPTI_DRIVER_TRACE_CBID_cuMemAlloc_v2, &no_output}.play().empty()));
  cuMemAllocPitch_v2_params no_pitch{nullptr, nullptr, 1, 1, 4};
  EXPECT_TRUE((DriverCall{CUPTI_DRIVER_TRACE_CBID_cuMemAllocPitch_v2, &no_pitch}.play().empty()));
  // A callback whose params were not given.
  EXPECT_TRUE((DriverCall{CUPTI_DRIVER_TRACE_CBID_cuMemAlloc_v2, nullptr}.play().empty()));
}

TEST(CuptiTranslation, OtherCallbacksMakeNoEvent) {
  // cuMemGetInfo_v2 has nothing to do with allocation; cuMemAlloc (v1) is
  // never called by a CUDA 11+ program, and is not enabled.
  CUdeviceptr out = kDevicePointer;
  cuMemAlloc_v2_params params{&out, 64};
  for (CUpti_CallbackId cbid : {CUPTI_DRIVER_TRACE_CBID_cuMemGetInfo_v2, CUPTI_DRIVER_TRACE_CBID_cuMemAlloc,
                                CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel}) {
    EXPECT_TRUE((DriverCall{cbid, &params}.play().empty())) << cbid;
  }
}

TEST(CuptiTranslation, HeapNamesAndFlags) {
  char name[32];
  auto named = [&](CudaHeap heap) {
    format_heap_name(heap, name, sizeof(name));
    return std::string(name);
  };
  EXPECT_EQ(named({CudaHeapKind::Device, 0}), "cuda:0");
  EXPECT_EQ(named({CudaHeapKind::Device, 15}), "cuda:15");
  EXPECT_EQ(named({CudaHeapKind::Physical, 2}), "cuda:2/physical");
  EXPECT_EQ(named({CudaHeapKind::Mapped, 2}), "cuda:2/mapped");
  EXPECT_EQ(named({CudaHeapKind::Pinned, 0}), "cuda:pinned");
  char small[5];
  format_heap_name({CudaHeapKind::Physical, 2}, small, sizeof(small));
  EXPECT_EQ(std::string(small), "cuda");
  EXPECT_EQ(heap_flags(CudaHeapKind::Mapped), capture::kHeapFlagRanges);
  for (CudaHeapKind kind : {CudaHeapKind::Device, CudaHeapKind::Physical, CudaHeapKind::Pinned}) {
    EXPECT_EQ(heap_flags(kind), 0u);
  }
}

}  // namespace
}  // namespace leakspy::agent::cuda
