"""Process-tree target: a torch DataLoader with 2 worker processes whose
Dataset.__getitem__ leaks a 10,000-byte buffer per item from one line; the
main process only iterates.
  dataloader_leak.py [EPOCHS]"""
import sys

import torch
from torch.utils.data import DataLoader, Dataset

kept = []


class LeakyDataset(Dataset):
    def __len__(self):
        return 400

    def __getitem__(self, index):
        kept.append(bytearray(10000))  # LEAK
        return torch.tensor([index], dtype=torch.float32)


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    loader = DataLoader(LeakyDataset(), batch_size=8, num_workers=2)
    total = 0.0
    for _ in range(epochs):
        for batch in loader:
            total += float(batch.sum())
    print("done", total, flush=True)


if __name__ == "__main__":
    main()
