"""Stress target: a PyTorch CPU loop over DataLoader(num_workers=2).

The dataset is deterministic and not shuffled, so every batch's sum is known in
closed form; each batch is checked against it. The checksum is the number of
mismatches and a digest of the first epoch's sums (timing-independent).
"""
import hashlib
import sys

import torch
from torch.utils.data import DataLoader, Dataset

from control import Control

ITEMS = 8192
WIDTH = 1024
BATCH = 16
COLUMNS = 4


class Ramps(Dataset):
    def __len__(self):
        return ITEMS

    def __getitem__(self, i):
        return torch.arange(WIDTH, dtype=torch.float64) * (i % 7 + 1) + i


def expected_sum(first):
    rows = range(first, min(first + BATCH, ITEMS))
    return COLUMNS * sum((i % 7 + 1) * WIDTH * (WIDTH - 1) // 2 + WIDTH * i for i in rows)


def main():
    batches = ITEMS // BATCH
    control = Control(minimum=batches, deadline_s=float(sys.argv[1]) if len(sys.argv) > 1 else 3600)
    weights = torch.ones(WIDTH, COLUMNS, dtype=torch.float64)
    loader = DataLoader(Ramps(), batch_size=BATCH, num_workers=2, shuffle=False)
    digest = hashlib.sha256()
    mismatches = 0
    done = 0
    control.say("ready")
    control.serve()
    while control.running(done):
        for index, batch in enumerate(loader):
            total = (batch @ weights).sum().item()
            if total != expected_sum(index * BATCH):
                mismatches += 1
            if done < batches:
                digest.update(repr(total).encode())
            done += 1
            control.count("batches", done)
            if not control.running(done):
                break
    control.say(f"checksum mismatches={mismatches} digest={digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
