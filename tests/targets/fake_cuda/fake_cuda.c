// A stand-in for libcuda.so.1 (no GPU here): a few memory functions with the
// driver's signatures that hand out host memory as "device" memory and tell
// the stand-in CUPTI (fake_cupti.c) about each call at entry and exit, as
// the real driver tells CUPTI.
#include <cupti.h>
#include <stdlib.h>

#define FAKE_EXPORT __attribute__((visibility("default")))

void fake_cupti_dispatch(CUpti_CallbackId cbid, const char* name, CUpti_ApiCallbackSite site, const void* params,
                         CUresult* result, CUcontext context);

static CUcontext const fake_context = (CUcontext)0x1000;

#define TRACED_CALL(name, params_type, params_init, body)                                               \
  params_type params = params_init;                                                                     \
  CUresult result = CUDA_SUCCESS;                                                                       \
  fake_cupti_dispatch(CUPTI_DRIVER_TRACE_CBID_##name, #name, CUPTI_API_ENTER, &params, &result, fake_context); \
  body;                                                                                                 \
  fake_cupti_dispatch(CUPTI_DRIVER_TRACE_CBID_##name, #name, CUPTI_API_EXIT, &params, &result, fake_context);  \
  return result;

FAKE_EXPORT CUresult cuInit(unsigned int flags) {
  (void)flags;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize) {
  TRACED_CALL(cuMemAlloc_v2, cuMemAlloc_v2_params, ((cuMemAlloc_v2_params){dptr, bytesize}), {
    void* memory = aligned_alloc(256, bytesize);
    if (memory == NULL) result = CUDA_ERROR_OUT_OF_MEMORY;
    else *dptr = (CUdeviceptr)memory;
  })
}

FAKE_EXPORT CUresult cuMemFree_v2(CUdeviceptr dptr) {
  TRACED_CALL(cuMemFree_v2, cuMemFree_v2_params, ((cuMemFree_v2_params){dptr}), { free((void*)dptr); })
}

FAKE_EXPORT CUresult cuMemHostAlloc(void** pp, size_t bytesize, unsigned int flags) {
  TRACED_CALL(cuMemHostAlloc, cuMemHostAlloc_params, ((cuMemHostAlloc_params){pp, bytesize, flags}), {
    *pp = malloc(bytesize);
    if (*pp == NULL) result = CUDA_ERROR_OUT_OF_MEMORY;
  })
}

FAKE_EXPORT CUresult cuMemFreeHost(void* p) {
  TRACED_CALL(cuMemFreeHost, cuMemFreeHost_params, ((cuMemFreeHost_params){p}), { free(p); })
}
