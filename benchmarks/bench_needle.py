"""Seconds per SGD step (batch 250, 32x32x3, 10 classes) of the VanillaCNN and its eLCN and eFCN
at several widths: what a release-time sweep costs on this machine."""
import time

import torch

from nblib.chapters import needle

STEPS, BATCH = 5, 250


def seconds_per_step(model: torch.nn.Module) -> float:
    x, y = torch.randn(BATCH, 3, 32, 32), torch.randint(0, 10, (BATCH,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for i in range(STEPS + 1):
        if i == 1:
            start = time.perf_counter()  # the first step warms up
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return (time.perf_counter() - start) / STEPS


if __name__ == "__main__":
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {BATCH}")
    for channels in (16, 32):
        cnn = needle.vanilla_cnn(channels)
        for name in ("cnn", "elcn", "efcn"):
            model = cnn if name == "cnn" else needle.release(cnn, name)
            params = sum(p.numel() for p in model.parameters())
            print(f"channels {channels:3d} {name:5s} {params:>12,} parameters  {seconds_per_step(model):.3f} s/step")
