"""Training throughput of S-FC (alpha = 1, BatchNorm + ReLU, batch 512) on MNIST's shapes
(784 -> 196 -> 24 -> 10) and CIFAR-10's (3072 -> 256 -> 24 -> 10) with nblib's trainer, as a
fraction of this machine's float32 matmul peak measured in the same run, and the overhead of a
beta-LASSO step over plain SGD.

    python benchmarks/bench_train.py
"""
from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from nblib.chapters.beta_lasso.report import step_flops
from nblib.machine import matmul_peak_gflops
from nblib.optim import BetaLasso
from nblib.train import fit

BATCH, STEPS_PER_EPOCH, EPOCHS = 512, 20, 3
REPEATS = 5
SHAPES = {"MNIST": (784, 196, 24, 10), "CIFAR-10": (3072, 256, 24, 10)}


def s_fc(widths) -> nn.Sequential:
    """S-FC with alpha = 1 (the students' reproduction)."""
    layers = []
    for d_in, d_out in zip(widths[:-2], widths[1:-1]):
        layers += [nn.Linear(d_in, d_out), nn.BatchNorm1d(d_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(widths[-2], widths[-1]))


def seconds_per_step(widths, make_optimizer) -> float:
    torch.manual_seed(0)
    model = s_fc(widths)
    x = torch.randn(BATCH * STEPS_PER_EPOCH, widths[0])
    y = torch.randint(0, 10, (len(x),))
    fit(model, x[:BATCH], y[:BATCH], epochs=2, batch_size=BATCH, optimizer=make_optimizer(model), progress=False)
    start = time.perf_counter()
    fit(model, x, y, epochs=EPOCHS, batch_size=BATCH, optimizer=make_optimizer(model), progress=False)
    return (time.perf_counter() - start) / (EPOCHS * STEPS_PER_EPOCH)


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, widths in SHAPES.items():
        flops = step_flops(list(widths), BATCH)  # forward, weight gradients, input gradients but the first
        # interleaved repeats, medians: this machine's speed drifts by tens of percent within a minute
        peaks, sgds, lassos = [], [], []
        for _ in range(REPEATS):
            peaks.append(matmul_peak_gflops())
            sgds.append(seconds_per_step(widths, lambda m: torch.optim.SGD(m.parameters(), lr=0.1)))
            lassos.append(seconds_per_step(widths, lambda m: BetaLasso(m.parameters(), lr=0.1, lam=2e-5, beta=50)))
        peak, sgd, lasso = (statistics.median(v) for v in (peaks, sgds, lassos))
        overheads = sorted(f"{b / a - 1:+.0%}" for a, b in zip(sgds, lassos))
        print(f"{name} S-FC {' -> '.join(map(str, widths))}, batch {BATCH}, {flops / 1e6:.0f} MFLOP per step; "
              f"medians of {REPEATS} interleaved repeats")
        print(f"  float32 matmul peak (2048x2048): {peak:.1f} GFLOP/s")
        print(f"  SGD: {sgd * 1e3:.2f} ms/step = {flops / sgd / 1e9:.1f} GFLOP/s = {flops / sgd / 1e9 / peak:.0%} of the peak")
        print(f"  beta-LASSO: {lasso * 1e3:.2f} ms/step = {flops / lasso / 1e9 / peak:.0%} of the peak; overhead "
              f"over SGD per repeat: {', '.join(overheads)}")


if __name__ == "__main__":
    main()
