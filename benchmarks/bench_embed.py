"""Build the eFCN of study 5's VanillaCNN and report its size, the time taken and the peak
memory the construction added, against the fp32 size of the dense weights.

    python benchmarks/bench_embed.py
"""
from __future__ import annotations

import resource
import time

import torch
from torch import nn

from nblib.embed import DenseEmbedded, efcn


def vanilla_cnn(channels: int = 64) -> nn.Sequential:
    """d'Ascoli et al.'s VanillaCNN for 3x32x32 inputs (padding inside the convolutions)."""
    return nn.Sequential(
        nn.Conv2d(3, channels, 4, stride=2, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(channels, channels, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Linear(channels, 10))


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def reset_peak() -> None:
    """Start the peak-RSS count afresh (Linux >= 4.0), so that import-time peaks do not count."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def main() -> None:
    torch.manual_seed(0)
    cnn = vanilla_cnn()
    x = torch.randn(8, 3, 32, 32)
    reset_peak()
    before = rss_mib()
    start = time.perf_counter()
    fcn = efcn(cnn, (3, 32, 32))
    seconds = time.perf_counter() - start
    peak = peak_mib()
    dense = sum(m.linear.weight.numel() for m in fcn.modules() if isinstance(m, DenseEmbedded))
    gap = (fcn(x) - cnn(x)).abs().max().item()
    print(f"VanillaCNN: {sum(p.numel() for p in cnn.parameters()):,} parameters")
    print(f"eFCN: {sum(p.numel() for p in fcn.parameters()):,} parameters "
          f"({dense:,} in dense layers; padding inside the matrices, so fewer than the authors' "
          f"110.6M, whose dense layers also read the padded zeros)")
    print(f"built in {seconds:.2f} s; max |eFCN(x) - CNN(x)| = {gap:.1e}")
    fp32 = dense * 4 / 2**20
    print(f"fp32 size of the dense weights: {fp32:.0f} MiB; memory added by the construction at its "
          f"peak: {peak - before:.0f} MiB ({(peak - before) / fp32:.2f}x; includes the 1-byte local masks)")


if __name__ == "__main__":
    main()
