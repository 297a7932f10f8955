"""LocallyConnected2d forward+backward against nn.Conv2d of the same shape (same FLOPs), for
both of its paths ('gather', 'offsets'), the one that `method='auto'` picks, and 'gather' with
all patches at once ('whole': how the layer computed before it gathered in chunks), and
against a loop of one small convolution per output position (how study 1's authors built
their LocalNet). Prints milliseconds per step for the chapters' shapes, and the ratios to conv
of 'whole' and of the chosen path (local/conv).

Each column is the median of ROUNDS interleaved rounds (a round times conv, then each path),
so that a busy machine slows every column alike and the ratio stays readable. Where the
chosen path is still above 2x conv, the last column says why: the memory a step must move at
least (the local weight is L times conv's, read forward and backward and written as its
gradient) against conv's.

    python benchmarks/bench_layers.py
"""
from __future__ import annotations

import statistics
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
PATHS = ("gather", "offsets")
COLUMNS = ("conv", "whole") + PATHS
ROUNDS = 7
STEPS = 3  # steps per timing in a round


def per_position_loop(x, weights, bias, kernel, stride, padding, out_size):
    """One conv per output position on its own patch (the slow reference)."""
    x = F.pad(x, (padding,) * 4)
    cols = []
    for p in range(out_size * out_size):
        i, j = divmod(p, out_size)
        patch = x[:, :, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
        cols.append(F.conv2d(patch, weights[p], bias[p]))
    return torch.cat(cols, dim=2).view(x.shape[0], -1, out_size, out_size)


def time_step(fn, params, steps=STEPS) -> float:
    """Milliseconds per forward+backward step, averaged over `steps`."""
    start = time.perf_counter()
    for _ in range(steps):
        for t in params:
            t.grad = None
        fn().sum().backward()
    return (time.perf_counter() - start) / steps * 1e3


def min_traffic_mb(x, out, weight_numel: int) -> float:
    """MB a forward+backward step must move at least: input, output and its gradient, the weight
    read forward (and backward, for the input's gradient) and its gradient written."""
    grad_x = x.requires_grad
    floats = x.numel() * (2 + grad_x) + out.numel() * 2 + weight_numel * (2 + grad_x)
    return floats * x.element_size() / 2 ** 20


def why_slow(x, conv, local) -> str:
    with torch.no_grad():
        out = conv(x)
    local_mb, conv_mb = min_traffic_mb(x, out, local.weight.numel()), min_traffic_mb(x, out, conv.weight.numel())
    return f"moves >= {local_mb:.0f} MB per step vs conv's {conv_mb:.0f} MB ({local_mb / conv_mb:.1f}x)"


def main() -> None:
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ms per forward+backward, "
          f"medians of {ROUNDS} interleaved rounds")
    print(f"{'shape':40s}" + "".join(f"{c:>9s}" for c in COLUMNS) + f"{'loop':>9s} {'chosen':>8s} "
          f"{'whole/conv':>10s} {'local/conv':>10s}  note")
    for name, b, cin, cout, side, k, s, p in SHAPES:
        x = torch.randn(b, cin, side, side, requires_grad="conv1" not in name and "S-LOCAL" not in name)
        conv = nn.Conv2d(cin, cout, k, s, p)
        locals_ = {m: LocallyConnected2d(cin, cout, side, k, s, p, method=m) for m in PATHS}
        locals_["whole"] = LocallyConnected2d(cin, cout, side, k, s, p, method="gather")
        locals_["whole"].chunk_bytes = float("inf")
        chosen = LocallyConnected2d(cin, cout, side, k, s, p).method
        columns = {"conv": (lambda: conv(x), list(conv.parameters()) + [x])}
        columns.update({m: (lambda layer=locals_[m]: layer(x), list(locals_[m].parameters()) + [x])
                        for m in COLUMNS[1:]})
        times = {c: [] for c in columns}
        for c, (fn, params) in columns.items():
            time_step(fn, params, 2)  # warm-up
        for _ in range(ROUNDS):
            for c, (fn, params) in columns.items():
                times[c].append(time_step(fn, params))
        ms = {c: statistics.median(t) for c, t in times.items()}

        out = locals_["gather"].out_size[0]
        weights = [nn.Parameter(torch.randn(cout, cin, k, k) * 0.1) for _ in range(out * out)]
        biases = [nn.Parameter(torch.zeros(cout)) for _ in range(out * out)]
        loop = (lambda: per_position_loop(x, weights, biases, k, s, p, out), weights + biases + [x])
        time_step(*loop, 1)
        t_loop = statistics.median(time_step(*loop, 1) for _ in range(3))

        ratio = ms[chosen] / ms["conv"]
        note = why_slow(x, conv, locals_[chosen]) if ratio > 2 else ""
        print(f"{name:40s}" + "".join(f"{ms[c]:9.2f}" for c in COLUMNS) + f"{t_loop:9.1f} {chosen:>8s} "
              f"{ms['whole'] / ms['conv']:9.2f}x {ratio:9.2f}x  {note}")


if __name__ == "__main__":
    main()
