"""A PyTorch CPU inference loop: a small conv + linear model on fixed
batches, THREADS intra-op threads, WARMUP untimed iterations, then ITERATIONS
timed ones; reports throughput in batches per second.
    python3 torch_inference.py [ITERATIONS] [THREADS] [WARMUP]"""

import sys

import torch

from bench_report import Phase, report


def build_model():
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 32, 3, padding=1), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(4), torch.nn.Flatten(),
        torch.nn.Linear(32 * 4 * 4, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    ).eval()


def main():
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build_model()
    generator = torch.Generator().manual_seed(1)
    batches = [torch.randn(8, 3, 32, 32, generator=generator) for _ in range(4)]
    checksum = 0.0
    with torch.inference_mode():
        for i in range(warmup):
            model(batches[i % len(batches)])
        phase = Phase()
        phase.start()
        for i in range(iterations):
            checksum += float(model(batches[i % len(batches)]).sum())
        phase.stop()
    report("torch_inference", phase, iterations=iterations, threads=threads,
           throughput=iterations * 1e9 / phase.wall_ns, checksum=checksum)


if __name__ == "__main__":
    main()
