// GPU check target (scripts/gpu-check.sh; needs a GPU): leaks device memory
// through the driver API from one known line, among blocks it frees again.
//   cuda_driver_leak COUNT [--wait-file PATH]
// Leaks COUNT x 1 MiB from leak_device_block (the line marked LEAK), one
// every 20 ms when --wait-file is given (for attaching mid-run: it starts
// once PATH exists), prints "leaked COUNT x 1048576" and exits 0.
#include <cuda.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void check(CUresult result, const char* what) {
  if (result == CUDA_SUCCESS) return;
  const char* text = NULL;
  cuGetErrorString(result, &text);
  fprintf(stderr, "%s failed: %s\n", what, text ? text : "?");
  exit(2);
}

__attribute__((noinline)) CUdeviceptr leak_device_block(void) {
  CUdeviceptr block = 0;
  check(cuMemAlloc(&block, 1 << 20), "cuMemAlloc");  // LEAK
  __asm__ volatile("" : "+r"(block));
  return block;
}

__attribute__((noinline)) void churn(void) {
  CUdeviceptr scratch = 0;
  check(cuMemAlloc(&scratch, 3 << 20), "cuMemAlloc");
  check(cuMemFree(scratch), "cuMemFree");
}

int main(int argc, char** argv) {
  int count = argc > 1 ? atoi(argv[1]) : 64;
  const char* wait_file = argc > 3 && strcmp(argv[2], "--wait-file") == 0 ? argv[3] : NULL;
  check(cuInit(0), "cuInit");
  CUdevice device;
  check(cuDeviceGet(&device, 0), "cuDeviceGet");
  CUcontext context;
  check(cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
  check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
  printf("ready\n");
  fflush(stdout);
  while (wait_file != NULL && access(wait_file, F_OK) != 0) usleep(10000);
  for (int i = 0; i < count; i++) {
    leak_device_block();
    churn();
    if (wait_file != NULL) usleep(20000);
  }
  printf("leaked %d x 1048576\n", count);
  return 0;
}
