"""Effects over repeated runs: the mean of a difference and its 95% Student-t interval.

Paired where runs share their seed, data draw or theta (`paired`), Welch otherwise (`unpaired`).
`nblib.claims` grades claims from these; `side` reads one in words for a chapter's prose.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from nblib.stats import mean_ci, t_quantile

LEVEL = 0.95


@dataclass(frozen=True)
class Effect:
    """Mean of a difference over n runs and the half-width of its 95% t-interval (nan for n < 2)."""
    mean: float
    half: float
    n: int

    @property
    def has_interval(self) -> bool:
        return self.n >= 2 and math.isfinite(self.half) and math.isfinite(self.mean)

    def text(self, scale: float = 1.0, digits: int = 2) -> str:
        """'+1.23 ± 0.45' (times `scale`), or the mean and 'one run, no interval'."""
        if not self.has_interval:
            return f"{scale * self.mean:+.{digits}f} (one run, no interval)"
        return f"{scale * self.mean:+.{digits}f} ± {scale * self.half:.{digits}f}"

    def points(self, digits: int = 1) -> str:
        """A difference of accuracies in percentage points: '+1.2 ± 0.5 points'."""
        return f"{self.text(100, digits)} points"


def paired(a: torch.Tensor, b: torch.Tensor) -> Effect:
    """The effect a - b for runs paired index by index (same seed / draw / theta)."""
    if a.shape != b.shape:
        raise ValueError(f"paired runs need the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return effect(a - b)


def unpaired(a: torch.Tensor, b: torch.Tensor) -> Effect:
    """The effect mean(a) - mean(b) for independent sets of runs: Welch's 95% interval."""
    a, b = (torch.as_tensor(x, dtype=torch.float64).flatten() for x in (a, b))
    n = min(len(a), len(b))
    if n < 2:
        return Effect((a.mean() - b.mean()).item(), math.nan, n)
    va, vb = a.var().item() / len(a), b.var().item() / len(b)
    se = math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1)) if se > 0 else 1
    return Effect((a.mean() - b.mean()).item(), t_quantile(max(1, int(dof))) * se, n)


def effect(differences: torch.Tensor) -> Effect:
    """Mean and 95% t half-width of per-run differences (1-D)."""
    differences = torch.as_tensor(differences, dtype=torch.float64).flatten()
    mean, half = mean_ci(differences)
    return Effect(mean.item(), half.item(), len(differences))


def side(e: Effect, above: str, below: str, within: str = "within noise") -> str:
    """An effect in words: `above` when its interval lies above zero, `below` when below, else `within`."""
    if not e.has_interval:
        return within
    if e.mean - e.half > 0:
        return above
    return below if e.mean + e.half < 0 else within
