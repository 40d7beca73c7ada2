"""Process-tree target for torchrun: 2 ranks (gloo, CPU) run the same loop
of all_reduce steps; only rank 1 leaks, a 10,000-byte buffer per step.
  python3 -m torch.distributed.run --nproc_per_node 2 torchrun_rank_leak.py"""
import os

import torch
import torch.distributed as dist

kept = []


def main():
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    value = torch.ones(4)
    for _ in range(200):
        dist.all_reduce(value)
        if rank == 1:
            kept.append(bytearray(10000))  # LEAK
    dist.barrier()
    print("rank", rank, "done", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
