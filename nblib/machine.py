"""What the machine that ran a chapter could do, so that its wall times can be compared."""
from __future__ import annotations

import platform
import time

import torch


def matmul_peak_gflops(n: int = 2048, repeats: int = 20) -> float:
    """Measured float32 matmul throughput (n x n times n x n), in GFLOP/s."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n ** 3 * repeats / (time.perf_counter() - start) / 1e9


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
