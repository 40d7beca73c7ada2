"""GPU check target (scripts/gpu-check.sh; needs PyTorch with CUDA): a
"server" that keeps a reference to one 4 MiB CUDA tensor per request (the
line marked LEAK) among temporaries it lets go.

    torch_cuda_leak.py COUNT [--wait-file PATH]

With --wait-file it starts serving once PATH exists and serves one request
every 20 ms (for attaching mid-run). Prints "leaked COUNT x 4194304" and
exits 0.
"""
import os
import sys
import time

import torch

kept = []


def handle_request(i):
    scratch = torch.ones(1 << 18, device="cuda")  # 1 MiB, let go
    result = torch.empty(1 << 20, dtype=torch.float32, device="cuda")  # LEAK
    result.fill_(float(i) + scratch[0].item())
    kept.append(result)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    wait_file = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--wait-file" else None
    torch.zeros(1, device="cuda")  # initialize CUDA before "ready"
    print("ready", flush=True)
    while wait_file is not None and not os.path.exists(wait_file):
        time.sleep(0.01)
    for i in range(count):
        handle_request(i)
        if wait_file is not None:
            time.sleep(0.02)
    torch.cuda.synchronize()
    print(f"leaked {count} x 4194304", flush=True)


if __name__ == "__main__":
    main()
