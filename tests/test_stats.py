import math

import torch

from nblib.stats import mean_ci, mean_ci_text, median_quartiles, t_quantile


def test_mean_ci_matches_t_interval():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=torch.float64)
    mean, half = mean_ci(x)
    assert mean.item() == 3.0
    assert math.isclose(half.item(), 2.776 * math.sqrt(2.5) / math.sqrt(5), rel_tol=1e-9)
    assert math.isnan(mean_ci(torch.tensor([1.0]))[1].item())
    assert t_quantile(1000) == 1.96


def test_median_quartiles_along_dim():
    x = torch.arange(10.0).repeat(3, 1)  # (3, 10)
    med, lo, hi = median_quartiles(x, dim=1)
    assert torch.allclose(med, torch.full((3,), 4.5))
    assert torch.allclose(lo, torch.full((3,), 2.25)) and torch.allclose(hi, torch.full((3,), 6.75))


def test_mean_ci_text_gives_the_interval_or_says_one_run():
    x = torch.tensor([0.50, 0.52, 0.54])
    mean, half = mean_ci(x)
    assert mean_ci_text(x) == f"{100 * mean:.1f} ± {100 * half:.1f}" == "52.0 ± 5.0"
    assert mean_ci_text(torch.tensor([0.5]), 1, 3) == "0.500 (one run)"
