"""One SGD step (batch 250, 32x32x3, 10 classes) of the VanillaCNN and of its eLCN and eFCN at
the chapter's widths: what a release-time sweep costs on this machine, the eLCN/CNN and
eFCN/CNN ratios, and the eFCN step as a share of the float32 matmul peak measured in the same
rounds (a dense net is a few matmuls: its step should run near the peak). With --profile, the
operators where an eFCN step spends its time.

    python benchmarks/bench_needle.py [--channels 16 32] [--profile]

Medians of interleaved rounds (timing.py).
"""
import argparse
import statistics

import torch
from torch import nn

from nblib.chapters import needle
from nblib.machine import matmul_peak_gflops

from timing import interleaved

BATCH = 250


def dense_step_flops(model: nn.Module, batch: int) -> int:
    """FLOPs of one step's matmuls: forward, weight gradient, and input gradient for every dense
    layer but the first (whose input needs none)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return sum(2 * batch * m.in_features * m.out_features * (2 if i == 0 else 3) for i, m in enumerate(linears))


def stepper(model: nn.Module):
    x, y = torch.randn(BATCH, 3, 32, 32), torch.randint(0, 10, (BATCH,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def step():
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return step


def profile(model: nn.Module) -> None:
    step = stepper(model)
    step()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(3):
            step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {BATCH}; "
          f"medians of {args.rounds} interleaved rounds")
    for channels in args.channels:
        cnn = needle.vanilla_cnn(channels)
        models = {"cnn": cnn, "elcn": needle.release(cnn, "elcn"), "efcn": needle.release(cnn, "efcn")}
        peaks = []
        contenders = {name: stepper(model) for name, model in models.items()}
        contenders["peak"] = lambda: peaks.append(matmul_peak_gflops(repeats=3, trials=1))
        seconds = interleaved(contenders, rounds=args.rounds, steps=2, warmup=1)
        peak = statistics.median(peaks)
        for name, model in models.items():
            params = sum(p.numel() for p in model.parameters())
            print(f"channels {channels:3d} {name:5s} {params:>12,} parameters  {seconds[name]:.3f} s/step  "
                  f"{seconds[name] / seconds['cnn']:6.2f}x the CNN")
        gflops = dense_step_flops(models["efcn"], BATCH) / seconds["efcn"] / 1e9
        print(f"  eFCN: {dense_step_flops(models['efcn'], BATCH) / 1e9:.1f} GFLOP of matmuls per step = {gflops:.1f} "
              f"GFLOP/s = {gflops / peak:.0%} of the matmul peak ({peak:.1f} GFLOP/s, 2048x2048, same rounds)")
        if args.profile:
            profile(models["efcn"])


if __name__ == "__main__":
    main()
