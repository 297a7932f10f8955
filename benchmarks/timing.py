"""Timing shared by the benchmarks: medians of interleaved rounds.

A round times every contender once, one after another, so that a machine that slows down or
speeds up mid-run slows every contender alike; the median over rounds then gives ratios that
stay readable on a busy machine.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved(contenders: dict[str, Callable[[], object]], rounds: int = 7, steps: int = 3,
                warmup: int = 2) -> dict[str, float]:
    """Seconds per call of each contender: the median over `rounds` interleaved rounds of the
    mean over `steps` calls (after `warmup` calls each)."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            for _ in range(steps):
                fn()
            times[name].append((time.perf_counter() - start) / steps)
    return {name: statistics.median(t) for name, t in times.items()}
