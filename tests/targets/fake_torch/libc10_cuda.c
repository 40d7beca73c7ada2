// An empty library named as PyTorch's CUDA library (libc10_cuda.so): the fake
// torch (torch/__init__.py here) maps it, as torch with CUDA does, because
// the agent's tensor level starts once such a library is in the process.
int leakspy_fake_c10_cuda_marker(void) { return 0; }
