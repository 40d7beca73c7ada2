// A stand-in for libcupti.so, for integration tests on machines without a
// GPU: the callback API's subscribe/enable/unsubscribe and
// cuptiGetDeviceId, with callbacks delivered the way CUPTI delivers them
// (CUpti_CallbackData at API entry and exit, the driver's parameter struct).
// fake_cuda.c (the stand-in libcuda) calls fake_cupti_dispatch around each
// of its functions. FAKE_CUPTI_HOLDER=name makes cuptiSubscribe_v2 refuse
// as when another tool holds CUPTI, naming it.
#include <cupti.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static CUpti_CallbackFunc subscriber_callback;
static void* subscriber_userdata;
static int subscribed;
static unsigned char enabled[4096];
static int unsubscribe_calls;

#define FAKE_EXPORT __attribute__((visibility("default")))

FAKE_EXPORT CUptiResult cuptiSubscribe_v2(CUpti_SubscriberHandle* subscriber, CUpti_CallbackFunc callback,
                                          void* userdata, CUpti_SubscriberParams* params) {
  const char* holder = getenv("FAKE_CUPTI_HOLDER");
  if (holder != NULL || subscribed) {
    if (params != NULL && params->oldSubscriberName != NULL && params->oldSubscriberSize > 0) {
      snprintf(params->oldSubscriberName, params->oldSubscriberSize, "CUPTI for %s", holder ? holder : "?");
    }
    return CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED;
  }
  if (params == NULL || params->structSize == 0) return CUPTI_ERROR_INVALID_PARAMETER;
  subscriber_callback = callback;
  subscriber_userdata = userdata;
  subscribed = 1;
  *subscriber = (CUpti_SubscriberHandle)&subscriber_callback;
  return CUPTI_SUCCESS;
}

FAKE_EXPORT CUptiResult cuptiSubscribe(CUpti_SubscriberHandle* subscriber, CUpti_CallbackFunc callback,
                                       void* userdata) {
  CUpti_SubscriberParams params = {CUpti_SubscriberParams_STRUCT_SIZE, NULL, NULL, 0};
  return cuptiSubscribe_v2(subscriber, callback, userdata, &params);
}

FAKE_EXPORT CUptiResult cuptiUnsubscribe(CUpti_SubscriberHandle subscriber) {
  if (!subscribed || subscriber != (CUpti_SubscriberHandle)&subscriber_callback) return CUPTI_ERROR_INVALID_PARAMETER;
  subscribed = 0;
  memset(enabled, 0, sizeof(enabled));
  ++unsubscribe_calls;
  return CUPTI_SUCCESS;
}

FAKE_EXPORT CUptiResult cuptiEnableCallback(uint32_t enable, CUpti_SubscriberHandle subscriber,
                                            CUpti_CallbackDomain domain, CUpti_CallbackId cbid) {
  if (!subscribed || domain != CUPTI_CB_DOMAIN_DRIVER_API || cbid >= sizeof(enabled)) {
    return CUPTI_ERROR_INVALID_PARAMETER;
  }
  (void)subscriber;
  enabled[cbid] = enable != 0;
  return CUPTI_SUCCESS;
}

// The fake driver's one context is device 0's.
FAKE_EXPORT CUptiResult cuptiGetDeviceId(CUcontext context, uint32_t* device) {
  if (context == NULL) return CUPTI_ERROR_INVALID_CONTEXT;
  *device = 0;
  return CUPTI_SUCCESS;
}

FAKE_EXPORT CUptiResult cuptiGetResultString(CUptiResult result, const char** text) {
  *text = result == CUPTI_SUCCESS ? "CUPTI_SUCCESS" : "CUPTI_ERROR (fake)";
  return CUPTI_SUCCESS;
}

// For the stand-in driver and its program (cuda_leak.c): subscribed, with
// every callback that program's calls need enabled. The subscriber enables
// them one by one, so the first alone is not enough: a program that went on
// at the first would race the rest (a free before cuMemFree_v2 is enabled
// is never seen, and its block looks leaked).
FAKE_EXPORT int fake_cupti_subscribed(void) {
  return subscribed && enabled[CUPTI_DRIVER_TRACE_CBID_cuMemAlloc_v2] && enabled[CUPTI_DRIVER_TRACE_CBID_cuMemFree_v2] &&
         enabled[CUPTI_DRIVER_TRACE_CBID_cuMemHostAlloc] && enabled[CUPTI_DRIVER_TRACE_CBID_cuMemFreeHost];
}
FAKE_EXPORT int fake_cupti_unsubscribe_calls(void) { return unsubscribe_calls; }

FAKE_EXPORT void fake_cupti_dispatch(CUpti_CallbackId cbid, const char* name, CUpti_ApiCallbackSite site,
                                     const void* params, CUresult* result, CUcontext context) {
  if (!subscribed || cbid >= sizeof(enabled) || !enabled[cbid]) return;
  static uint32_t correlation;
  CUpti_CallbackData data;
  memset(&data, 0, sizeof(data));
  data.callbackSite = site;
  data.functionName = name;
  data.functionParams = params;
  data.functionReturnValue = result;
  data.context = context;
  data.contextUid = 1;
  data.correlationId = site == CUPTI_API_ENTER ? ++correlation : correlation;
  subscriber_callback(subscriber_userdata, CUPTI_CB_DOMAIN_DRIVER_API, cbid, &data);
}
