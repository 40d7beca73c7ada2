"""A PyTorch CPU inference loop with the classic leak: the features of every
batch are kept in a list (for "later analysis") and never dropped. Prints
"ready" once it runs; runs until stdin closes."""
import sys
import threading

import torch

torch.set_num_threads(1)
model = torch.nn.Sequential(
    torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU()
)
head = torch.nn.Linear(512, 10)
KEPT_FEATURES = []


def infer(batch):
    with torch.no_grad():
        KEPT_FEATURES.append(model(batch))  # LEAK: the features of every batch stay alive
        return head(KEPT_FEATURES[-1]).argmax(dim=1)


def serve(stop):
    batches = 0
    while not stop.is_set():
        infer(torch.randn(64, 256))
        batches += 1
        if batches == 300:
            print("ready", flush=True)


stop = threading.Event()
worker = threading.Thread(target=serve, args=(stop,))
worker.start()
sys.stdin.read()
stop.set()
worker.join()
print("batches kept", len(KEPT_FEATURES), flush=True)
