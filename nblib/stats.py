"""Summaries over repeated runs: mean with a t-interval (as numbers, text or a band), median with quartiles."""
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


def mean_ci_text(x: torch.Tensor, scale: float = 100.0, digits: int = 1) -> str:
    """'52.3 ± 0.4': the mean over runs and the half-width of its 95% interval, times `scale`
    ('52.3 (one run)' for a single run)."""
    mean, half = mean_ci(torch.as_tensor(x, dtype=torch.float64).flatten())
    if half.isnan():
        return f"{scale * mean:.{digits}f} (one run)"
    return f"{scale * mean:.{digits}f} ± {scale * half:.{digits}f}"


def plot_mean_band(ax, x, values: torch.Tensor, label: str, **style) -> None:
    """Draw the mean over runs (the rows of `values`) on a matplotlib axis, with its 95% band
    when there are two runs or more."""
    mean, half = mean_ci(values, dim=0)
    line, = ax.plot(x, mean, label=label, **style)
    if values.shape[0] > 1:
        ax.fill_between(x, mean - half, mean + half, color=line.get_color(), alpha=0.2, linewidth=0)


def median_quartiles(x: torch.Tensor, dim: int = -1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Median, lower and upper quartile along `dim`."""
    q = torch.quantile(x, torch.tensor([0.5, 0.25, 0.75], dtype=x.dtype), dim=dim)
    return q[0], q[1], q[2]
