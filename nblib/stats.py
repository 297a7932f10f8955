"""Summaries over repeated runs: mean with a t-interval, median with quartiles."""
from __future__ import annotations

import math

import torch

# two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom (then the normal's)
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t_quantile(dof: int) -> float:
    """t_{0.975, dof}: the factor of a two-sided 95% interval for a mean."""
    return _T975[dof - 1] if 1 <= dof <= 30 else 1.960


def mean_ci(x: torch.Tensor, dim: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and half-width of its 95% t-interval along `dim` (half-width nan for one run)."""
    n = x.shape[dim]
    mean = x.mean(dim)
    if n < 2:
        return mean, torch.full_like(mean, math.nan)
    return mean, t_quantile(n - 1) * x.std(dim) / math.sqrt(n)


def median_quartiles(x: torch.Tensor, dim: int = -1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Median, lower and upper quartile along `dim`."""
    q = torch.quantile(x, torch.tensor([0.5, 0.25, 0.75], dtype=x.dtype), dim=dim)
    return q[0], q[1], q[2]
