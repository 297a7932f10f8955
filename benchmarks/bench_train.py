"""Training throughput of S-FC (3072 -> 256 -> 24 -> 10, BatchNorm + ReLU, batch 512) with
nblib's trainer, as a fraction of this machine's float32 matmul peak measured in the same run,
and the overhead of a beta-LASSO step over plain SGD.

    python benchmarks/bench_train.py
"""
from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from nblib.optim import BetaLasso
from nblib.machine import matmul_peak_gflops
from nblib.train import fit

BATCH, STEPS_PER_EPOCH, EPOCHS = 512, 20, 3
REPEATS = 5
WIDTHS = (3072, 256, 24, 10)


def s_fc() -> nn.Sequential:
    """S-FC with alpha = 1 on 32x32x3 images (the students' reproduction)."""
    layers = []
    for d_in, d_out in zip(WIDTHS[:-2], WIDTHS[1:-1]):
        layers += [nn.Linear(d_in, d_out), nn.BatchNorm1d(d_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(WIDTHS[-2], WIDTHS[-1]))


def seconds_per_step(make_optimizer) -> float:
    torch.manual_seed(0)
    model = s_fc()
    x = torch.randn(BATCH * STEPS_PER_EPOCH, WIDTHS[0])
    y = torch.randint(0, 10, (len(x),))
    fit(model, x[:BATCH], y[:BATCH], epochs=2, batch_size=BATCH, optimizer=make_optimizer(model), progress=False)
    start = time.perf_counter()
    fit(model, x, y, epochs=EPOCHS, batch_size=BATCH, optimizer=make_optimizer(model), progress=False)
    return (time.perf_counter() - start) / (EPOCHS * STEPS_PER_EPOCH)


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    flops = 3 * 2 * BATCH * sum(a * b for a, b in zip(WIDTHS[:-1], WIDTHS[1:]))  # forward + 2x backward
    # interleaved repeats, medians: this machine's speed drifts by tens of percent within a minute
    peaks, sgds, lassos = [], [], []
    for _ in range(REPEATS):
        peaks.append(matmul_peak_gflops())
        sgds.append(seconds_per_step(lambda m: torch.optim.SGD(m.parameters(), lr=0.1)))
        lassos.append(seconds_per_step(lambda m: BetaLasso(m.parameters(), lr=0.1, lam=2e-5, beta=50)))
    peak, sgd, lasso = (statistics.median(v) for v in (peaks, sgds, lassos))
    overheads = sorted(f"{b / a - 1:+.0%}" for a, b in zip(sgds, lassos))
    print(f"medians of {REPEATS} interleaved repeats (beta-LASSO overhead per repeat: {', '.join(overheads)})")
    print(f"float32 matmul peak (2048x2048): {peak:.1f} GFLOP/s")
    print(f"S-FC training, batch {BATCH}, SGD: {sgd * 1e3:.2f} ms/step = {flops / sgd / 1e9:.1f} GFLOP/s "
          f"= {flops / sgd / 1e9 / peak:.0%} of the matmul peak")
    overhead = statistics.median(b / a - 1 for a, b in zip(sgds, lassos))
    print(f"beta-LASSO: {lasso * 1e3:.2f} ms/step, overhead over SGD {overhead:+.1%} (median over repeats)")


if __name__ == "__main__":
    main()
