import math

import pytest
import torch

from nblib.effects import Effect, effect, paired, side, unpaired


def test_one_run_gives_no_interval_and_a_tie_none_either_side():
    one = paired(torch.tensor([0.9]), torch.tensor([0.5]))
    assert one.n == 1 and not one.has_interval and "no interval" in one.text()
    tie = paired(torch.full((10,), 0.505), torch.full((10,), 0.505))
    assert (tie.mean, tie.half) == (0.0, 0.0) and side(tie, "up", "down") == "within noise"


def test_paired_and_unpaired_intervals_differ_when_runs_share_their_draw():
    gen = torch.Generator().manual_seed(0)
    draw = torch.randn(10, generator=gen)  # a per-run offset both models share (the same data draw)
    a, b = 0.8 + draw + 0.01 * torch.randn(10, generator=gen), 0.79 + draw
    assert side(paired(a, b), "up", "down") == "up" and paired(a, b).half < 0.02
    assert side(unpaired(a, b), "up", "down") == "within noise" and unpaired(a, b).half > 0.5
    assert abs(paired(a, b).mean - unpaired(a, b).mean) < 1e-12
    with pytest.raises(ValueError, match="same shape"):
        paired(a, b[:5])


def test_side_reads_the_interval():
    win, loss = torch.tensor([1.0, 1.1, 0.9, 1.05]), torch.tensor([-1.0, -1.1, -0.9, -1.05])
    overlap = torch.tensor([0.5, -0.4, 0.3, -0.2])
    assert [side(effect(x), "up", "down") for x in (win, loss, overlap)] == ["up", "down", "within noise"]
    assert side(Effect(5.0, math.nan, 1), "up", "down", "n/a") == "n/a"


def test_text_and_points():
    assert Effect(0.0123, 0.0046, 5).points() == "+1.2 ± 0.5 points"
    assert Effect(1.5, math.nan, 1).text() == "+1.50 (one run, no interval)"
