// --heap cuda and --heap torch: which GPU heaps a report counts, so that no
// byte is counted twice (mappings view physical memory, tensors live inside
// segments), and the level each GPU heap stands for.
#include <gtest/gtest.h>

#include "analyze/heap_selection.h"

namespace leakspy::analyze {
namespace {

TEST(CudaHeapSelection, CudaCountsWhatTheDriverHandedOutOnce) {
  HeapSelection cuda = HeapSelection::parse("cuda");
  EXPECT_TRUE(cuda.is_family());
  for (const char* heap : {"cuda:0", "cuda:7", "cuda:0/physical", "cuda:pinned"}) EXPECT_TRUE(cuda.selects(heap)) << heap;
  for (const char* heap : {"cuda:0/mapped", "cuda:0/torch", "malloc", "python", "mmap", "cudaish"}) {
    EXPECT_FALSE(cuda.selects(heap)) << heap;
  }
}

TEST(CudaHeapSelection, TorchCountsTensorsOnly) {
  HeapSelection torch = HeapSelection::parse("torch");
  EXPECT_TRUE(torch.is_family());
  EXPECT_TRUE(torch.selects("cuda:0/torch"));
  EXPECT_TRUE(torch.selects("cuda:3/torch"));
  for (const char* heap : {"cuda:0", "cuda:0/physical", "cuda:0/mapped", "cuda:pinned", "malloc", "torch"}) {
    EXPECT_FALSE(torch.selects(heap)) << heap;
  }
}

TEST(CudaHeapSelection, OneGpuHeapByName) {
  HeapSelection mapped = HeapSelection::parse("cuda:0/mapped");
  EXPECT_FALSE(mapped.is_family());
  EXPECT_TRUE(mapped.selects("cuda:0/mapped"));
  EXPECT_FALSE(mapped.selects("cuda:0"));
}

TEST(CudaHeapSelection, LevelOfEachGpuHeap) {
  EXPECT_TRUE(cuda_heap_level("cuda:0").starts_with("segments"));
  EXPECT_TRUE(cuda_heap_level("cuda:0/physical").starts_with("segments"));
  EXPECT_TRUE(cuda_heap_level("cuda:pinned").starts_with("segments"));
  EXPECT_TRUE(cuda_heap_level("cuda:1/torch").starts_with("tensors"));
  EXPECT_TRUE(cuda_heap_level("cuda:1/mapped").starts_with("mappings"));
  EXPECT_TRUE(cuda_heap_level("malloc").empty());
  EXPECT_TRUE(cuda_heap_level("python").empty());
}

}  // namespace
}  // namespace leakspy::analyze
