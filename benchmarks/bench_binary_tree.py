"""Wall time of the binary-tree protocol, and the speed-up of training the models together.

    python benchmarks/bench_binary_tree.py            # full protocol (7 n x 3 eps x 4 nets x 5 trials)
    python benchmarks/bench_binary_tree.py --quick    # a smaller check, under a minute

Prints: the sweep's wall time, and for one n_train cell the time of training all its models
as one stacked model versus the same models one after another (same epochs, same data).
"""
from __future__ import annotations

import argparse
import platform
import tempfile
import time

import torch

from nblib.chapters import binary_tree as bt
from nblib.cache import ResultCache
from nblib.cluster import Runner
from nblib.train import step_schedule, train_stacked

from timing import interleaved


def time_stacked(sweep: bt.TreeSweep, n_train: int) -> tuple[float, int]:
    start = time.perf_counter()
    cell = bt.train(bt.Cell(sweep, n_train), progress=False)
    return time.perf_counter() - start, cell["test_mse"].numel()


def time_one_by_one(sweep: bt.TreeSweep, n_train: int) -> float:
    """Train every (net, noise variant, trial) of the cell alone, as a plain loop would."""
    data = bt.make_data(sweep, n_train)
    epochs = bt.epochs_for(n_train, sweep.epoch_scale)
    start = time.perf_counter()
    for arch in sweep.archs:
        for m in range(data["x"].shape[0]):
            net = bt.StackedTreeNet(arch, 1, bt.rng(sweep.seed, "alone", arch, m))
            optimizer = torch.optim.Adam(net.parameters(), lr=sweep.lr, fused=True)
            train_stacked(net, data["x"][m:m + 1], data["y"][m:m + 1], epochs=epochs,
                          batch_size=sweep.batch_size, optimizer=optimizer,
                          schedule=step_schedule(epochs, 0.5, sweep.lr_drop), progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="n_train 64..512 and 10%% of the epochs")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--speedup-n", type=int, default=256, help="cell used for the speed-up")
    parser.add_argument("--speedup-epoch-scale", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the speed-up")
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {platform.processor()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}")

    sweep = bt.TreeSweep(trials=args.trials)
    if args.quick:
        sweep = bt.TreeSweep(n_train=(64, 128, 256, 512), trials=args.trials, epoch_scale=0.1)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        results = Runner("cpu").map(bt.train, bt.cells(sweep), ResultCache(tmp))
        cells = dict(zip(sweep.n_train, results))
        wall = time.perf_counter() - start
    models = sum(c["test_mse"].numel() for c in cells.values())
    print(f"sweep: n_train={sweep.n_train}, eps={sweep.eps} (+ constant-noise variant), "
          f"{len(sweep.archs)} nets, {sweep.trials} trials, epoch_scale={sweep.epoch_scale}")
    per_cell = ", ".join(f"n={n}: {c['seconds']:.1f}s" for n, c in cells.items())
    print(f"  {models} models trained in {wall:.1f} s wall ({per_cell})")

    small = bt.TreeSweep(n_train=(args.speedup_n,), trials=args.trials, epoch_scale=args.speedup_epoch_scale)
    count = time_stacked(small, args.speedup_n)[1]
    seconds = interleaved({"together": lambda: time_stacked(small, args.speedup_n),
                           "alone": lambda: time_one_by_one(small, args.speedup_n)},
                          rounds=args.rounds, steps=1, warmup=0)
    together, alone = seconds["together"], seconds["alone"]
    epochs = bt.epochs_for(args.speedup_n, small.epoch_scale)
    print(f"speed-up on the n_train={args.speedup_n} cell, {epochs} epochs, {count} models "
          f"(medians of {args.rounds} interleaved rounds):")
    print(f"  together: {together:.2f} s   one after another: {alone:.2f} s   together/alone: "
          f"{together / alone:.2f}x (speed-up {alone / together:.1f}x)")
    print(f"  full sweep one after another, estimated: {wall * alone / together / 60:.0f} min")


if __name__ == "__main__":
    main()
