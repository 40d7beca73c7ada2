"""Kept-by target (issue 17): a training loop whose bug is keeping every
loss in a module-level list, so the objects made at the MADE lines stay
alive, held by `history`, grown at the KEPT lines. With "torch", the losses
are tensors of a small model's training step; without it, plain objects.
Runs SECONDS seconds.
  kept_history.py plain|torch [SECONDS]"""
import sys
import time

MODE = sys.argv[1]
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0

history = []


class Loss:
    def __init__(self, value):
        self.value = value


if MODE == "torch":
    import torch

    torch.set_num_threads(1)
    model = torch.nn.Linear(32, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def train_step(inputs, targets):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs), targets)  # MADE: the loss tensor
        loss.backward()
        optimizer.step()
        history.append(loss)  # KEPT TENSORS: every loss stays alive, with its graph
else:

    def train_step(inputs, targets):
        loss = Loss(inputs * targets)  # MADE: the loss object
        history.append(loss)  # KEPT OBJECTS: every loss stays alive


start = time.monotonic()
while time.monotonic() - start < SECONDS:
    if MODE == "torch":
        train_step(torch.randn(16, 32), torch.randn(16, 1))
    else:
        train_step(3, 4)
    time.sleep(0.002)
print("steps", len(history), flush=True)
