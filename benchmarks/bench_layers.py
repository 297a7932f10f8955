"""LocallyConnected2d forward+backward against nn.Conv2d of the same shape (same FLOPs), and
against a loop of one small convolution per output position (how study 1's authors built
their LocalNet). Prints milliseconds per step and the two ratios for the chapters' shapes.

    python benchmarks/bench_layers.py
"""
from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import nn

from nblib.layers import LocallyConnected2d

# (name, batch, C_in, C_out, input side, kernel, stride, padding); inner layers also
# back-propagate to their input, first layers do not.
SHAPES = [
    ("LeNet conv1 / study 1 LocalNet (MNIST)", 64, 1, 6, 28, 5, 1, 0),
    ("LeNet conv2 / study 1 LocalNet (MNIST)", 64, 6, 16, 12, 5, 1, 0),
    ("S-LOCAL, alpha=1 (study 2)", 512, 3, 1, 32, 9, 2, 4),
    ("S-LOCAL, alpha=8 (study 2)", 128, 3, 8, 32, 9, 2, 4),
    ("Ott CIFAR conv1 (study 3)", 128, 3, 64, 32, 5, 2, 0),
    ("Ott CIFAR conv2 (study 3)", 128, 64, 128, 14, 5, 2, 0),
    ("VanillaCNN conv2 (study 5)", 250, 64, 64, 8, 5, 1, 2),
]


def per_position_loop(x, weights, bias, kernel, stride, padding, out_size):
    """One conv per output position on its own patch (the slow reference)."""
    x = F.pad(x, (padding,) * 4)
    cols = []
    for p in range(out_size * out_size):
        i, j = divmod(p, out_size)
        patch = x[:, :, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
        cols.append(F.conv2d(patch, weights[p], bias[p]))
    return torch.cat(cols, dim=2).view(x.shape[0], -1, out_size, out_size)


def time_step(fn, params, repeats):
    for _ in range(2):  # warm-up
        fn().sum().backward()
    start = time.perf_counter()
    for _ in range(repeats):
        for t in params:
            t.grad = None
        fn().sum().backward()
    return (time.perf_counter() - start) / repeats * 1e3


def main() -> None:
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ms per forward+backward")
    print(f"{'shape':42s} {'conv':>8s} {'local':>8s} {'loop':>9s} {'local/conv':>11s} {'loop/local':>11s}")
    for name, b, cin, cout, side, k, s, p in SHAPES:
        x = torch.randn(b, cin, side, side, requires_grad="conv1" not in name and "S-LOCAL" not in name)
        conv = nn.Conv2d(cin, cout, k, s, p)
        local = LocallyConnected2d(cin, cout, side, k, s, p)
        out = local.out_size[0]
        weights = [nn.Parameter(torch.randn(cout, cin, k, k) * 0.1) for _ in range(out * out)]
        biases = [nn.Parameter(torch.zeros(cout)) for _ in range(out * out)]
        repeats = 10
        t_conv = time_step(lambda: conv(x), list(conv.parameters()) + [x], repeats)
        t_local = time_step(lambda: local(x), list(local.parameters()) + [x], repeats)
        t_loop = time_step(lambda: per_position_loop(x, weights, biases, k, s, p, out), weights + biases + [x], 3)
        print(f"{name:42s} {t_conv:8.2f} {t_local:8.2f} {t_loop:9.2f} {t_local / t_conv:10.2f}x {t_loop / t_local:10.1f}x")


if __name__ == "__main__":
    main()
