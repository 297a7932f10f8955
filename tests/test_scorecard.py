import math

import pytest
import torch

from nblib.scorecard import RULE, Effect, effect, ordering, paired, unpaired, verdict, with_runs

from conftest import ROOT


def test_the_rule_grades_by_the_interval_in_the_seeds_direction():
    assert verdict(Effect(2.0, 1.0, 5)) == "reproduced"
    assert verdict(Effect(-2.0, 1.0, 5)) == "not reproduced"
    assert verdict(Effect(0.5, 1.0, 5)) == "inconclusive"
    assert verdict(Effect(-2.0, 1.0, 5), direction=-1) == "reproduced"
    assert verdict(Effect(0.5, 1.0, 5), seed_effect=6.0) == "not reproduced"  # the seed's size is excluded
    assert verdict(Effect(0.5, 1.0, 5), seed_effect=1.2) == "inconclusive"


@pytest.mark.parametrize("e", [Effect(5.0, math.nan, 1), Effect(5.0, 0.1, 1), Effect(math.nan, math.nan, 3)])
def test_no_interval_is_never_a_verdict(e):
    assert verdict(e) == "inconclusive"
    assert verdict(e, -1) == "inconclusive"


def test_one_run_gives_no_interval_and_a_tie_no_win():
    one = paired(torch.tensor([0.9]), torch.tensor([0.5]))
    assert one.n == 1 and not one.has_interval and "no interval" in one.text()
    tie = paired(torch.full((10,), 0.505), torch.full((10,), 0.505))
    assert (tie.mean, tie.half) == (0.0, 0.0) and verdict(tie) == "inconclusive"
    assert with_runs("reproduced", 1) == "inconclusive" and with_runs("not reproduced", 3) == "not reproduced"


def test_paired_and_unpaired_intervals_give_different_verdicts_when_runs_share_their_draw():
    gen = torch.Generator().manual_seed(0)
    draw = torch.randn(10, generator=gen)  # a per-run offset both models share (the same data draw)
    a, b = 0.8 + draw + 0.01 * torch.randn(10, generator=gen), 0.79 + draw
    assert verdict(paired(a, b)) == "reproduced" and paired(a, b).half < 0.02
    assert verdict(unpaired(a, b)) == "inconclusive" and unpaired(a, b).half > 0.5
    assert abs(paired(a, b).mean - unpaired(a, b).mean) < 1e-12
    with pytest.raises(ValueError, match="same shape"):
        paired(a, b[:5])


def test_clear_win_clear_loss_overlap():
    win, loss = torch.tensor([1.0, 1.1, 0.9, 1.05]), torch.tensor([-1.0, -1.1, -0.9, -1.05])
    overlap = torch.tensor([0.5, -0.4, 0.3, -0.2])
    assert [verdict(effect(x)) for x in (win, loss, overlap)] == ["reproduced", "not reproduced", "inconclusive"]


def test_an_ordering_is_checked_pair_by_pair():
    assert ordering(["reproduced"] * 3) == "reproduced"
    assert ordering(["reproduced", "inconclusive"]) == "inconclusive"
    assert ordering(["reproduced", "not reproduced", "inconclusive"]) == "not reproduced"
    assert ordering([]) == "inconclusive"


def test_the_rule_is_stated_once_in_the_book():
    text = " ".join((ROOT / "book" / "studies.md").read_text().split())
    assert RULE in text
