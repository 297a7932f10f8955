"""What the machine that ran a chapter could do, so that its wall times can be compared."""
from __future__ import annotations

import platform
import time

import torch


def matmul_peak_gflops(n: int = 2048, repeats: int = 10, trials: int = 3) -> float:
    """Measured float32 matmul throughput (n x n times n x n), in GFLOP/s: the best of `trials`
    timings of `repeats` products (the first ones run while the CPU is still clocking up)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 * repeats / best / 1e9


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown model"


def describe() -> str:
    """One line: CPU, threads, torch version and the measured matmul peak."""
    return (f"{platform.machine()} CPU ({cpu_model()}), {torch.get_num_threads()} threads, "
            f"torch {torch.__version__}, float32 matmul {matmul_peak_gflops():.0f} GFLOP/s measured now")


def training_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 3,
                  warmup: int = 2) -> dict:
    """Cost of one SGD step of a classifier on the batch (x, y): seconds (median of `steps` after
    `warmup` steps) and memory in bytes: weights, gradients and the activations autograd keeps
    for the backward pass (counted once per storage), the same count on any device."""
    params = list(model.parameters())
    optimizer = torch.optim.SGD(params, lr=0.0)
    storages: dict[int, int] = {}

    def keep(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return t

    weights = {p.untyped_storage().data_ptr() for p in params}
    times, activations = [], 0
    for _ in range(warmup + steps):
        storages.clear()
        start = time.perf_counter()
        with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=False)
        if x.device.type == "cuda":
            torch.cuda.synchronize(x.device)
        times.append(time.perf_counter() - start)
        activations = max(activations, sum(n for ptr, n in storages.items() if ptr not in weights))
    weight_bytes = sum(p.numel() * p.element_size() for p in params)
    timed = sorted(times[warmup:])
    return {"seconds": timed[len(timed) // 2], "parameters": sum(p.numel() for p in params),
            "weights": weight_bytes, "gradients": weight_bytes, "activations": activations,
            "bytes": 2 * weight_bytes + activations}
