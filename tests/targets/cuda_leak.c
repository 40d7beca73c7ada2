// Deterministic CUDA target for machines without a GPU: loads a CUDA driver
// (the stand-in libcuda.so.1 of tests/targets/fake_cuda, given by path) after
// it started, as programs do through the CUDA runtime, waits until a CUPTI
// subscriber is there (or 5 s, when none is expected), then leaks exactly
// 6 x 1 MiB of device memory from leak_device_block among 4 blocks it frees,
// and 3 x 4 KiB of pinned host memory from leak_pinned_block.
//   cuda_leak DRIVER_PATH            as above
//   cuda_leak DRIVER_PATH --attach   for `leakspy record --pid`: allocates 2
//       blocks, prints "ready", waits for the subscriber (30 s at most), frees
//       those 2 (allocated before the attach), leaks as above, prints
//       "leaked", then after a line on stdin prints "unsubscribe_calls=N"
//   cuda_leak --no-cuda              never loads a driver
// Last line: "cupti_mapped=N cuda_mapped=N" from its own /proc/self/maps.
#include <cuda.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef CUresult (*alloc_fn)(CUdeviceptr*, size_t);
typedef CUresult (*free_fn)(CUdeviceptr);
typedef CUresult (*host_alloc_fn)(void**, size_t, unsigned int);
typedef CUresult (*free_host_fn)(void*);

static alloc_fn device_alloc;
static host_alloc_fn host_alloc;

// noinline, and the asm keeps the call out of tail position (see leak_known_line.c).
__attribute__((noinline)) CUdeviceptr leak_device_block(void) {
  CUdeviceptr pointer = 0;
  if (device_alloc(&pointer, 1 << 20) != CUDA_SUCCESS) return 0;
  __asm__ volatile("" : "+r"(pointer));
  return pointer;
}

__attribute__((noinline)) void* leak_pinned_block(void) {
  void* pointer = NULL;
  if (host_alloc(&pointer, 4096, 0) != CUDA_SUCCESS) return NULL;
  __asm__ volatile("" : "+r"(pointer));
  return pointer;
}

static int mapped(const char* name) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) return -1;
  char line[4096];
  int found = 0;
  while (fgets(line, sizeof(line), maps) != NULL) found |= strstr(line, name) != NULL;
  fclose(maps);
  return found;
}

static void wait_for_subscriber(int (*subscribed)(void), int milliseconds) {
  for (int waited = 0; !subscribed() && waited < milliseconds; waited++) nanosleep(&(struct timespec){0, 1000000}, NULL);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  int attach = argc > 2 && strcmp(argv[2], "--attach") == 0;
  for (int i = 0; i < 100; i++) {  // some host memory, with or without CUDA
    void* volatile block = malloc(100 + (size_t)i);
    free(block);
  }
  if (strcmp(argv[1], "--no-cuda") != 0) {
    void* driver = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
    if (driver == NULL) {
      fprintf(stderr, "%s\n", dlerror());
      return 3;
    }
    device_alloc = (alloc_fn)dlsym(driver, "cuMemAlloc_v2");
    free_fn device_free = (free_fn)dlsym(driver, "cuMemFree_v2");
    host_alloc = (host_alloc_fn)dlsym(driver, "cuMemHostAlloc");
    free_host_fn free_host = (free_host_fn)dlsym(driver, "cuMemFreeHost");
    int (*subscribed)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "fake_cupti_subscribed");
    int (*unsubscribe_calls)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "fake_cupti_unsubscribe_calls");
    if (!device_alloc || !device_free || !host_alloc || !free_host || !subscribed || !unsubscribe_calls) return 4;
    CUdeviceptr before[2] = {0, 0};
    if (attach) {
      for (int i = 0; i < 2; i++) device_alloc(&before[i], 1 << 16);
      printf("ready\n");
      fflush(stdout);
    }
    // The handshake: leakspy's agent subscribes within a writer cycle of the
    // dlopen (or of the attach).
    wait_for_subscriber(subscribed, attach ? 30000 : 5000);
    printf("subscribed=%d\n", subscribed());
    for (int i = 0; i < 2; i++) device_free(before[i]);
    CUdeviceptr kept[10];
    for (int i = 0; i < 10; i++) kept[i] = leak_device_block();
    for (int i = 0; i < 4; i++) device_free(kept[i]);
    void* pinned[4];
    for (int i = 0; i < 4; i++) pinned[i] = leak_pinned_block();
    free_host(pinned[0]);
    printf("leaked 6 x 1 MiB of device memory, first at %#llx\n", (unsigned long long)kept[4]);
    fflush(stdout);
    if (attach) {
      char line[64];
      if (fgets(line, sizeof(line), stdin) == NULL) return 5;
      printf("unsubscribe_calls=%d\n", unsubscribe_calls());
    }
  }
  printf("cupti_mapped=%d cuda_mapped=%d\n", mapped("libcupti"), mapped("libcuda"));
  return 0;
}
