"""Overhead of running a chapter's runs on a Dask cluster instead of in this process.

The same runs (binary-tree cells sized to take about 10 s each) are computed with a fresh
cache in this process and on a LocalCluster of ONE worker process (so that nothing runs in
parallel and the difference is the cluster path's cost: sending the task, a worker process
with the notebook's thread count, returning and storing the result). Repeats alternate
between the two, and the median is reported (this machine's speed drifts). Cluster start-up,
paid once per chapter, is reported separately.

`--task conv` times digit-pairs ConvNet runs instead: the allocator-heavy case in which Dask's default
worker environment (MALLOC_TRIM_THRESHOLD_) cost a factor of 2.2 before local workers left it out.

    python benchmarks/bench_cluster.py [--task tree|conv] [--tasks 4] [--repeats 3] [--seconds 10]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch

from nblib.cache import ResultCache
from nblib.chapters import binary_tree as bt
from nblib.chapters import digit_pairs as dp
from nblib.cluster import Runner


def sized_cells(tasks: int, seconds: float) -> list[bt.Cell]:
    """`tasks` binary-tree cells (n_train = 256, different seeds) of about `seconds` each here."""
    probe = bt.TreeSweep(n_train=(256,), trials=2, epoch_scale=0.02, seed=10_000)
    bt.train(bt.Cell(probe, 256), progress=False)  # warm-up: the first call pays one-off costs
    start = time.perf_counter()
    bt.train(bt.Cell(probe, 256), progress=False)
    scale = 0.02 * seconds / (time.perf_counter() - start)
    return [bt.Cell(bt.TreeSweep(n_train=(256,), trials=2, epoch_scale=round(scale, 4), seed=s), 256)
            for s in range(tasks)]


def sized_convs(tasks: int, seconds: float) -> list[dp.ModelRun]:
    """`tasks` digit-pairs ConvNet runs (2 runs of 500 pairs, different seeds) of about `seconds` each here."""
    probe = dp.ModelRun("conv", False, False, dp.PairsConfig(n_pairs=500, runs=2, epochs=1, seed=10_000))
    dp.train(probe, progress=False)  # warm-up: the first call loads MNIST
    start = time.perf_counter()
    dp.train(probe, progress=False)
    epochs = max(1, round(seconds / (time.perf_counter() - start)))
    return [dp.ModelRun("conv", False, False, dp.PairsConfig(n_pairs=500, runs=2, epochs=epochs, seed=s))
            for s in range(tasks)]


def timed_map(runner: Runner, fn, configs: list) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        runner.map(fn, configs, ResultCache(tmp), desc=repr(runner))
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("tree", "conv"), default="tree")
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="target length of one task")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads in this process")
    if args.task == "tree":
        fn, cells = bt.train, sized_cells(args.tasks, args.seconds)
        print(f"{args.tasks} tasks: binary-tree cells, n_train=256, epoch_scale={cells[0].sweep.epoch_scale}")
    else:
        fn, cells = dp.train, sized_convs(args.tasks, args.seconds)
        print(f"{args.tasks} tasks: digit-pairs ConvNet, 2 runs of 500 pairs, {cells[0].pairs.epochs} epochs")

    here = Runner("cpu")
    start = time.perf_counter()
    cluster = Runner("cpu", "local:1")
    startup = time.perf_counter() - start
    inproc, dask = [], []
    try:
        for _ in range(args.repeats):
            inproc.append(timed_map(here, fn, cells))
            dask.append(timed_map(cluster, fn, cells))
    finally:
        cluster.close()
    t_in, t_dask = statistics.median(inproc), statistics.median(dask)
    per_task = (t_dask - t_in) / args.tasks
    print(f"in this process: {t_in / args.tasks:.2f} s per task (repeats: {', '.join(f'{t:.1f}' for t in inproc)} s)")
    print(f"LocalCluster, 1 worker: {t_dask / args.tasks:.2f} s per task "
          f"(repeats: {', '.join(f'{t:.1f}' for t in dask)} s)")
    print(f"cluster overhead: {per_task:+.2f} s per task = {100 * (t_dask - t_in) / t_in:+.1f}% "
          f"(target: under 5%); per-repeat: "
          + ", ".join(f"{100 * (d - i) / i:+.1f}%" for i, d in zip(inproc, dask)))
    print(f"cluster start-up (once per chapter): {startup:.1f} s")


if __name__ == "__main__":
    main()
