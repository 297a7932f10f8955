"""The needle chapter's scorecard on synthetic runs: verdicts follow the numbers, never the labels."""
import pytest
import torch

from nblib.chapters.needle import Chapter, Release, report
from nblib.params import check_params

CHAPTER = check_params(Chapter, epochs=6, t_w=[0, 2, 4], t_lcn=[1], seeds=3)
NOISE = torch.tensor([0.001, -0.002, 0.001])  # per-seed jitter, so that intervals are finite


def fake(run: Release, acc: float, delta: float = 0.1, local: float = 0.5, off: float = 0.1) -> dict:
    """A result with the fields the report reads: accuracy `acc` from epoch 2 on (0.2 before)."""
    acc = acc + NOISE[run.seed].item()
    curve = torch.full((run.epochs,), acc)
    curve[:2] = 0.2
    out = {"run": run, "test_acc": curve, "train_loss": 1 - curve, "test_loss": 1 - curve,
           "delta": torch.full((run.epochs,), delta), "switch_gap": [1e-7], "switch_loss": [(1.0, 1.0)],
           "delta_at_release": 0.0, "seconds": 1.0}
    if run.to in ("efcn", "fcn", "elcn-efcn"):
        out["parts"] = {"local": local + NOISE[run.seed].item(), "off-local": off}
        out["silhouettes"] = torch.zeros(4, 3, 32, 32)
    if run.to == "efcn":
        path = torch.tensor([0.5, 0.55, 0.6, 0.62, 0.65, 0.62, 0.6, 0.58, 0.55]) + NOISE[run.seed].item()
        out["interpolation"] = {"acc": path, "loss": 1 - path}
    return out


def results(efcn_gain: float) -> list[dict]:
    out = []
    for run in CHAPTER.runs():
        gain = {"efcn": efcn_gain, "elcn": efcn_gain / 2, "elcn-efcn": efcn_gain + 0.01, "fcn": -0.1}.get(run.to, 0.0)
        out.append(fake(run, 0.5 + gain, delta=0.5 / (1 + run.t_w), local=0.5 + gain - 0.02))
    return out


def verdicts(efcn_gain: float) -> dict[str, str]:
    return {c.claim: c.verdict for c in report.scorecard(report.arms(results(efcn_gain)), CHAPTER)}


def test_a_clear_gain_is_reproduced_and_a_clear_loss_is_not():
    up, down = verdicts(0.05), verdicts(-0.05)
    late = "Released late (t_w = 4, our latest), the eFCN beats its CNN"
    assert up[late] == "reproduced" and down[late] == "not reproduced"
    assert up["The eFCN beats the vanilla FCN at every t_w"] == "reproduced"
    assert up["The earlier the release, the larger δ at the end (each t_w against the next)"] == "reproduced"
    assert up["All by itself the off-local part is useless (local only beats off-local only)"] == "reproduced"
    assert up["Combined with the local part, the off-local part helps (both beat local only)"] == "reproduced"
    assert up["CNN → eLCN(t1) → eFCN(t2) beats CNN → eFCN(t2)"] == "reproduced"
    interpolation = next(k for k in up if k.startswith("Interpolating"))
    assert up[interpolation] == "reproduced"  # the synthetic path peaks at its midpoint
    # the same gain at every t_w: "largest at intermediate t_w" cannot be graded a win
    assert up["The gain is largest at intermediate t_w (t_w = 2 against 0 and 4)"] == "inconclusive"


def test_no_difference_is_never_a_verdict_either_way():
    assert verdicts(0.0)["Released late (t_w = 4, our latest), the eFCN beats its CNN"] == "inconclusive"


def test_one_seed_grades_nothing():
    one = check_params(Chapter, epochs=6, t_w=[0, 2, 4], t_lcn=[1], seeds=1)
    runs = [fake(run, 0.6 if run.to == "efcn" else 0.5) for run in one.runs()]
    assert {c.verdict for c in report.scorecard(report.arms(runs), one)} == {"inconclusive"}


def test_the_plane_uses_the_straight_releases_on_its_diagonal_and_edge():
    a = report.arms(results(0.05))
    rows, cols, cells = report.grid(a, CHAPTER)
    assert rows == [0, 1, 2, 4] and cols == [0, 2, 4, 6]
    assert torch.equal(cells[(2, 2)], report.final(a[("efcn", 2, 0)]))  # t1 = t2: straight to the eFCN
    assert torch.equal(cells[(2, 6)], report.final(a[("elcn", 2, 0)]))  # t2 = epochs: the eLCN to the end
    assert torch.equal(cells[(1, 4)], report.final(a[("elcn-efcn", 1, 4)]))
    assert (1, 1) not in cells and (1, 6) not in cells  # no eLCN run released at 1 alone


@pytest.mark.parametrize("t_w, expected", [([0, 2, 4], 2), ([0, 1, 2, 4], 2), ([0, 4], None)])
def test_intermediate_release_time_is_fixed_by_the_list(t_w, expected):
    assert report.intermediate(check_params(Chapter, epochs=6, t_w=t_w, t_lcn=[])) == expected


def test_the_setting_names_every_reduction():
    text = report.setting(CHAPTER, 7728, 4593)
    assert "reduced" in text and "channels 16 (paper: 64)" in text and "epochs 6 (paper: 150)" in text
    assert "partial offline copy" in text and "class-balanced" in text
