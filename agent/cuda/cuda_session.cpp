#include "agent/cuda/cuda_session.h"

#include <atomic>
#include <cstdio>

#include "agent/agent_log.h"
#include "agent/cuda/cupti_library.h"
#include "agent/cuda/cupti_translation.h"
#include "agent/event_recorder.h"
#include "agent/heap_registry.h"
#include "agent/notes.h"
#include "agent/thread_state.h"

namespace leakspy::agent::cuda {

namespace {

enum class CudaState : uint8_t {
  NoDriver,     // libcuda not mapped (yet): keep looking after each dlopen
  Recording,    // subscribed
  Unavailable,  // no CUPTI, or it refused: host memory only, do not try again this session
};

constinit CudaState state = CudaState::NoDriver;  // writer thread only
constinit uint64_t seen_modules = ~0ull;          // writer thread only
constinit CuptiLibrary cupti{};                   // filled once, then read by callbacks
constinit bool cupti_loaded = false;
constinit CUpti_SubscriberHandle subscriber = nullptr;
constinit std::atomic<bool> subscribed{false};

// CUDA's own code, whose frames are cut from the inner end of each stack.
// Append-only: entries [0, range_count) are never written again; the count
// is published with release (pairs with the acquire in record_callback).
constexpr uint32_t kMaxRanges = 32;
constinit uintptr_t range_begin[kMaxRanges] = {};
constinit uintptr_t range_end[kMaxRanges] = {};
constinit std::atomic<uint32_t> range_count{0};

// Heap ids by kind and device; 0: not declared yet (ids 0 and 1 are malloc
// and mmap, never handed out by declare_heap).
constinit std::atomic<uint8_t> heap_ids[kCudaHeapKinds][kMaxCudaDevices] = {};

uint8_t heap_id(CudaHeap heap) {
  std::atomic<uint8_t>& slot = heap_ids[static_cast<int>(heap.kind)][heap.device];
  uint8_t id = slot.load(std::memory_order_relaxed);
  if (id != 0) return id;
  char name[32];
  format_heap_name(heap, name, sizeof(name));
  id = declare_heap(name, heap_flags(heap.kind));  // idempotent: a race declares it once
  if (id != kNoHeap) slot.store(id, std::memory_order_relaxed);
  return id;
}

bool device_of_context(void*, CUcontext context, uint32_t* device) {
  return cupti.get_device_id(context, device) == CUPTI_SUCCESS;
}

// Runs on the thread that called the driver, inside the driver.
void CUPTIAPI record_callback(void*, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* data) {
  if (domain != CUPTI_CB_DOMAIN_DRIVER_API || data == nullptr) return;
  ThreadState& thread = this_thread();
  if (!should_record(thread)) return;
  ReentrancyGuard guard(thread);
  CudaEvent event{};
  const DeviceLookup lookup{nullptr, device_of_context};
  if (!translate_callback(cbid, *static_cast<const CUpti_CallbackData*>(data), lookup, &event)) return;
  uint8_t heap = heap_id(event.heap);
  if (heap == kNoHeap) return;
  ThreadRing* ring = thread_ring(thread);
  uint32_t stack = 0;
  if (needs_stack(event.kind)) {
    SkippedCode skip{range_begin, range_end, range_count.load(std::memory_order_acquire)};
    stack = capture_stack_outside(ring, skip);
  }
  record_event(ring, event.kind, heap, event.address, event.size, stack);
}

// Adds the code ranges of CUDA libraries loaded since the last look; true
// when libcuda is among the loaded modules.
bool scan_modules() {
  CodeRange found[kMaxRanges];
  uint32_t found_count = 0;
  bool driver = find_cuda_modules(found, kMaxRanges, &found_count);
  uint32_t count = range_count.load(std::memory_order_relaxed);
  for (uint32_t i = 0; i < found_count && count < kMaxRanges; ++i) {
    bool known = false;
    for (uint32_t j = 0; j < count; ++j) known = known || (range_begin[j] == found[i].begin && range_end[j] == found[i].end);
    if (known) continue;
    range_begin[count] = found[i].begin;
    range_end[count] = found[i].end;
    ++count;
  }
  range_count.store(count, std::memory_order_release);
  return driver;
}

void note_result(const char* what, CUptiResult result) {
  const char* text = nullptr;
  if (cupti.get_result_string == nullptr || cupti.get_result_string(result, &text) != CUPTI_SUCCESS) text = nullptr;
  char message[240];
  std::snprintf(message, sizeof(message), "CUDA memory is not recorded: %s failed (%s, CUPTI error %d); host memory is",
                what, text != nullptr ? text : "unknown error", static_cast<int>(result));
  post_note(capture::NoteSeverity::Warning, message);
}

// Only one CUPTI subscriber per process: say who holds it.
void note_other_subscriber(const char* holder) {
  char message[240];
  if (holder != nullptr && holder[0] != '\0') {
    std::snprintf(message, sizeof(message),
                  "CUDA memory is not recorded: CUPTI takes one subscriber per process and \"%s\" holds it; "
                  "host memory is. Record without that tool to see GPU memory",
                  holder);
  } else {
    std::snprintf(message, sizeof(message),
                  "CUDA memory is not recorded: CUPTI takes one subscriber per process and another tool holds it "
                  "(PyTorch's profiler, Nsight Systems or Compute, cuda-gdb?); host memory is");
  }
  post_note(capture::NoteSeverity::Warning, message);
}

CUptiResult subscribe() {
  if (cupti.subscribe_v2 != nullptr) {
    char holder[CUPTI_OLD_SUBSCRIBER_NAME_MIN_LEN + 1] = {};
    CUpti_SubscriberParams params{};
    params.structSize = CUpti_SubscriberParams_STRUCT_SIZE;
    params.subscriberName = "leakspy";
    params.oldSubscriberName = holder;
    params.oldSubscriberSize = CUPTI_OLD_SUBSCRIBER_NAME_MIN_LEN;
    CUptiResult result = cupti.subscribe_v2(&subscriber, record_callback, nullptr, &params);
    if (result == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED) note_other_subscriber(holder);
    return result;
  }
  CUptiResult result = cupti.subscribe(&subscriber, record_callback, nullptr);
  if (result == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED) note_other_subscriber(nullptr);
  return result;
}

void start_recording() {
  char why[320];
  if (!cupti_loaded && !load_cupti(&cupti, why, sizeof(why))) {
    char message[400];
    std::snprintf(message, sizeof(message), "CUDA memory is not recorded: libcuda is loaded but CUPTI is not usable: %s",
                  why);
    post_note(capture::NoteSeverity::Warning, message);
    state = CudaState::Unavailable;
    return;
  }
  cupti_loaded = true;
  // The look that found libcuda may have run while the program's dlopen was
  // still mapping libcuda's dependencies (libcupti among them): loading
  // CUPTI waited for that dlopen to finish, so look again, or the first
  // callbacks' stacks would keep CUPTI's frames.
  scan_modules();
  CUptiResult result = subscribe();
  if (result != CUPTI_SUCCESS) {
    if (result != CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED) note_result("cuptiSubscribe", result);
    state = CudaState::Unavailable;
    return;
  }
  for (CUpti_CallbackId cbid : kTracedCallbacks) {
    result = cupti.enable_callback(1, subscriber, CUPTI_CB_DOMAIN_DRIVER_API, cbid);
    if (result != CUPTI_SUCCESS) {
      note_result("cuptiEnableCallback", result);
      cupti.unsubscribe(subscriber);
      state = CudaState::Unavailable;
      return;
    }
  }
  subscribed.store(true, std::memory_order_release);
  state = CudaState::Recording;
  char message[320];
  std::snprintf(message, sizeof(message), "CUDA found: recording device memory through CUPTI (%s)", cupti.path);
  post_note(capture::NoteSeverity::Info, message);
}

}  // namespace

// Resets only: the writer's first cycle looks for libcuda, so that CUPTI is
// never loaded from the preload constructor (before the program's main).
void start_cuda_support() {
  state = CudaState::NoDriver;
  seen_modules = ~0ull;
}

void poll_cuda_support(uint64_t modules_loaded) {
  if (state == CudaState::Unavailable) return;
  if (modules_loaded == seen_modules) return;
  seen_modules = modules_loaded;
  bool driver = scan_modules();
  if (state == CudaState::NoDriver && driver) start_recording();
}

void stop_cuda_support(bool process_exit) {
  if (subscribed.load(std::memory_order_acquire) && !process_exit) {
    CUptiResult result = cupti.unsubscribe(subscriber);
    if (result != CUPTI_SUCCESS) agent_debug("cuptiUnsubscribe failed: ", static_cast<uint64_t>(result), "");
  }
  subscribed.store(false, std::memory_order_release);
  state = CudaState::NoDriver;
}


}  // namespace leakspy::agent::cuda
