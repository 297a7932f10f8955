"""The needle chapter's scorecard on synthetic runs: verdicts follow the numbers, never the labels."""
import io

import pytest
import torch

from nblib.chapters.needle import Chapter, Release, claims, report
from nblib.claims import OUTCOMES
from nblib.params import check_params

CHAPTER = check_params(Chapter, epochs=6, t_w=[0, 2, 4], t_lcn=[1], t_chain=[], seeds=3)
NO_CONTROL = check_params(Chapter, epochs=6, t_w=[0, 2, 4], t_lcn=[1], t_chain=[], lr_controls=[], seeds=3)
NOISE = torch.tensor([0.001, -0.002, 0.001])  # per-seed jitter, so that intervals are finite


def fake(run: Release, acc: float, delta: float = 0.1, local: float = 0.5, off: float = 0.1,
         loss: float | None = None, moved: float = 0.05, end_peak: bool = True) -> dict:
    """A result with the fields the report reads: accuracy `acc` from epoch 2 on (0.2 before); training
    loss 1 - accuracy, or falling from 1 to `loss` over the run when `loss` is given."""
    acc = acc + NOISE[run.seed].item()
    curve = torch.full((run.epochs,), acc)
    curve[:2] = 0.2
    train = 1 - curve if loss is None else torch.logspace(0, torch.log10(torch.tensor(loss)).item(), run.epochs)
    out = {"run": run, "test_acc": curve, "train_loss": train, "test_loss": 1 - curve,
           "delta": torch.full((run.epochs,), delta), "switch_gap": [1e-7], "switch_loss": [(1.0, 1.0)],
           "delta_at_release": 0.0, "seconds": 1.0}
    if run.to in ("efcn", "fcn", "elcn-efcn"):
        out["parts"] = {"local": local + NOISE[run.seed].item(), "off-local": off + NOISE[run.seed].item()}
        out["silhouettes"] = torch.zeros(4, 3, 32, 32)
        out["local_change"] = moved + NOISE[run.seed].item()
    if run.to == "efcn":
        path = torch.tensor([0.5, 0.55, 0.6, 0.62, 0.65, 0.62, 0.6, 0.58, 0.55]) + NOISE[run.seed].item()
        out["interpolation"] = {"acc": path, "loss": 1 - path}
        end = path if end_peak else torch.linspace(0.5, 0.6, len(path)) + NOISE[run.seed].item()
        out["interpolation_end"] = {"acc": end, "loss": 1 - end}
    return out


def results(efcn_gain: float, chapter=CHAPTER, control_gain: float = 0.0, **kw) -> list[dict]:
    """The eFCN gains efcn_gain over the CNN, the best lr control (lr / 10) control_gain, the others less."""
    out = []
    for run in chapter.runs():
        gain = {"efcn": efcn_gain, "elcn": efcn_gain / 2, "elcn-efcn": efcn_gain + 0.01, "fcn": -0.1}.get(run.to, 0.0)
        if run.to == "cnn-lr":
            gain = control_gain - (0.0 if run.control == "0.1" else 0.02)
        out.append(fake(run, 0.5 + gain, delta=0.5 / (1 + run.t_w), local=0.5 + gain - 0.02, **kw))
    return out


def card(efcn_gain: float, chapter=CHAPTER, control_gain: float = 0.0, **kw):
    return report.scorecard(report.arms(results(efcn_gain, chapter, control_gain, **kw)), chapter)


def verdicts(efcn_gain: float, **kw) -> dict[str, str]:
    return {r.claim.id: r.verdict for r in card(efcn_gain, **kw)}


def test_one_graded_row_per_registered_claim():
    rows = card(0.05)
    assert [r.claim.id for r in rows] == [c.id for c in claims.CLAIMS]
    assert all(r.verdict in OUTCOMES for r in rows)
    assert len({c.id for c in claims.CLAIMS}) == len(claims.CLAIMS)
    assert not any(c.beyond for c in claims.CLAIMS)  # every claim is graded on the poster's own dataset
    for r in rows:
        if r.claim.untestable:
            assert r.verdict == "not tested here" and r.why == r.claim.untestable


def test_the_poster_regime_decides_whether_release_claims_are_tested():
    # the regime of the run before issue 26: losses far from zero, no lr control -> not tested, with the measured values
    rows = {r.claim.id: r for r in card(0.05, NO_CONTROL)}
    for cid in ("needle.late-release-beats-cnn", "needle.gain-largest-intermediate", "needle.optimal-distance",
                "needle.cutoff-distance", "needle.elcn-similar-gain", "needle.train-loss-falls-near-convergence",
                "needle.stays-in-cnn-basin"):
        assert rows[cid].verdict == "not tested here", cid
    late = rows["needle.late-release-beats-cnn"].why
    assert "(measured 0)" in late and "reduced learning rate" in late  # the missing control fails explicitly
    assert "measured 0.5" in late  # the CNN's loss at the release, as measured
    # converged runs but no control: still not tested, and only the control is named
    late = {r.claim.id: r for r in card(0.05, NO_CONTROL, loss=0.001)}["needle.late-release-beats-cnn"]
    assert late.verdict == "not tested here" and "below 0.05" not in late.why and "(measured 0)" in late.why
    # converged runs with the control: graded from the numbers, against the CNN and the best control
    assert verdicts(0.05, loss=0.001)["needle.late-release-beats-cnn"] == "reproduced"
    assert verdicts(-0.05, loss=0.001)["needle.late-release-beats-cnn"] == "opposite"
    assert verdicts(0.0, loss=0.001)["needle.late-release-beats-cnn"] == "inconclusive"
    # the eFCN beats the CNN but a CNN at lr / 10 gains as much: the lr cut explains it, not reproduced
    slowed = {r.claim.id: r for r in card(0.05, loss=0.001, control_gain=0.05)}["needle.late-release-beats-cnn"]
    assert slowed.verdict != "reproduced" and "lr / 10" in slowed.ours
    # the same gain at every t_w: "largest at intermediate t_w" is never a win
    assert verdicts(0.05, loss=0.001)["needle.gain-largest-intermediate"] == "inconclusive"


def test_clear_effects_are_graded_from_their_measurement():
    up, down = verdicts(0.05), verdicts(-0.05)
    assert up["needle.beats-vanilla-fcn"] == "reproduced"
    assert up["needle.earlier-escapes-further"] == "reproduced"
    assert up["needle.off-local-helps"] == "reproduced"
    assert up["needle.hierarchical-further-gain"] == "reproduced" and down["needle.hierarchical-further-gain"] == "reproduced"
    assert up["needle.interpolation-improves"] == "reproduced"  # the synthetic path peaks at its midpoint
    assert up["needle.train-loss-keeps-falling"] == "inconclusive"  # flat after epoch 2: t_w = 4 gains nothing
    assert verdicts(0.05, loss=0.001)["needle.train-loss-keeps-falling"] == "reproduced"


def test_off_local_useless_is_a_threshold_against_chance():
    def graded(off):
        runs = [fake(run, 0.55, off=off) for run in CHAPTER.runs()]
        return {r.claim.id: r for r in report.scorecard(report.arms(runs), CHAPTER)}["needle.off-local-useless"]
    assert graded(claims.CHANCE).verdict == "reproduced"  # at chance: useless
    assert graded(0.3).verdict == "opposite"  # far above chance + margin: useful by itself
    assert graded(claims.CHANCE + claims.USELESS_MARGIN).verdict == "inconclusive"  # on the margin
    runs = [fake(run, 0.15, off=claims.CHANCE) for run in CHAPTER.runs()]  # the whole net barely above chance
    row = {r.claim.id: r for r in report.scorecard(report.arms(runs), CHAPTER)}["needle.off-local-useless"]
    assert row.verdict == "not tested here" and "useless by itself" in row.why


def test_local_blocks_and_both_interpolation_paths_are_graded():
    assert verdicts(0.05, loss=0.001)["needle.local-blocks-hardly-change"] == "reproduced"  # moved 5% < 10%
    assert verdicts(0.05, loss=0.001, moved=0.5)["needle.local-blocks-hardly-change"] == "opposite"
    assert verdicts(0.05, end_peak=False)["needle.interpolation-improves"] != "reproduced"  # the end path rises only


def test_the_strongest_control_is_chosen_per_release_time():
    a = report.arms(results(0.05, control_gain=0.03))
    name, acc = report.best_control(a, 2)
    assert name == "0.1" and acc.mean().item() == pytest.approx(0.53, abs=1e-3)
    assert report.best_control(report.arms(results(0.05, NO_CONTROL)), 2) is None
    assert set(report.control_gains(a, CHAPTER)) == {"positions", "0.1", "0.01"}


def test_a_run_on_mnist_tests_nothing():
    mnist = check_params(Chapter, epochs=6, t_w=[0, 2, 4], t_lcn=[1], t_chain=[], seeds=3, dataset="mnist")
    rows = card(0.05, chapter=mnist, loss=0.001)
    assert {r.verdict for r in rows} == {"not tested here"}
    assert all("CIFAR-10" in r.why for r in rows if not r.claim.untestable)


def test_one_seed_is_never_more_than_inconclusive():
    one = check_params(Chapter, epochs=6, t_w=[0, 2, 4], t_lcn=[1], t_chain=[], seeds=1)
    runs = [fake(run, 0.6 if run.to == "efcn" else 0.5, loss=0.001) for run in one.runs()]
    assert {r.verdict for r in report.scorecard(report.arms(runs), one)} <= {"inconclusive", "not tested here"}


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
    assert report.intermediate(check_params(Chapter, epochs=6, t_w=t_w, t_lcn=[], t_chain=[])) == expected


def test_the_setting_names_every_reduction_and_counts_come_from_the_data():
    text = report.setting(CHAPTER, [100] * 10, [100] * 4 + [86, 90, 100, 100, 100, 100])
    assert "reduced" in text and "channels 16 (paper: 64)" in text and "epochs 6 (paper: 150)" in text
    assert "batch size 100 (paper: 250)" in text and "evaluated every 5 epochs" in text
    assert "1,000 training images (100 per class" in text and "976 test images (86 to 100 per class" in text
    assert "partial offline copy" in text and "class-balanced" in text


def test_findings_say_what_the_control_separates():
    def sentence(efcn_gain, control_gain):
        a = report.arms(results(efcn_gain, control_gain=control_gain, loss=0.001))
        return report.separation(a, CHAPTER, "efcn", 4)
    assert "freed weights add accuracy" in sentence(0.05, 0.0)
    assert "explains it as well" in sentence(0.05, 0.05)
    assert "No gain over the CNN is shown" in sentence(0.0, 0.0)
    assert "ends below the CNN" in sentence(-0.05, 0.0)
    a = report.arms(results(0.05, NO_CONTROL))
    assert "not ruled out" in report.separation(a, NO_CONTROL, "efcn", 4)
    top = report.key_findings(report.arms(results(0.05, loss=0.001)), CHAPTER)
    assert top.count("\n- ") == 4 and "below 0.05 from epoch" in top and "lr / 10" in top
    assert "Released late at a reduced rate" in top and "the same step" in top
    assert "not tested here" in report.key_findings(report.arms(results(0.05)), CHAPTER)  # loss 1 - acc: never below


def test_figures_draw_every_arm_with_fixed_axes():
    a = report.arms(results(0.05, loss=0.001))
    first, last = (report.release_figure(a, CHAPTER, t) for t in (0, 4))
    assert first.axes[0].get_ylim() == last.axes[0].get_ylim() and first.axes[1].get_ylim() == last.axes[1].get_ylim()
    assert len(first.axes[1].get_legend().get_texts()) == 5  # CNN, FCN, eFCN, eLCN, the best control
    gains = report.gain_figure(a, CHAPTER)
    assert len(gains.axes[0].get_legend().get_texts()) == 2 + 3  # eFCN, eLCN and the three controls
    assert len(report.interpolation_figure(a, CHAPTER).axes) == 2
    assert len(report.delta_gain_figure(a, CHAPTER).axes[0].get_legend().get_texts()) == 3
    for r in a[("efcn", 4, 0)]:  # a δ interval that reaches below zero still draws on the log axis
        r["delta"] = r["delta"] * torch.tensor([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]) * (1 + 5 * NOISE[r["run"].seed] * 1000)
    assert report.mean_ci(report.final(a[("efcn", 4, 0)], "delta"))[1] > report.final(a[("efcn", 4, 0)], "delta").mean()
    report.delta_gain_figure(a, CHAPTER).savefig(io.BytesIO(), format="png")


def test_the_papers_cost_is_stated_from_its_parameters():
    text = report.paper_cost_text(7728, 4593)
    assert "-p channels 64 -p epochs 150" in text and "t_w: [0, 2, 4, 8, 13, 23, 40, 67, 115]" in text
    assert "74.0M weights" in text and "GPU-hours" in text
    flops = report.dense_flops(report.paper_chapter(), 50_000, 10_000)
    assert flops == pytest.approx(report.dense_flops(report.paper_chapter(seeds=1), 50_000, 10_000) * 3)


def _break(out: list[dict], to: str, t_w: int, seed: int, value: float) -> list[dict]:
    """The run (to, t_w, seed) of `out` with its training loss `value` from epoch 3 on."""
    for r in out:
        if (r["run"].to, r["run"].t_w, r["run"].seed) == (to, t_w, seed):
            r["train_loss"] = r["train_loss"].clone()
            r["train_loss"][3:] = value
    return out


def test_a_claim_is_not_tested_when_a_run_it_compares_diverged():
    good = {r.claim.id: r for r in card(0.05, loss=0.001)}
    out = _break(results(0.05, loss=0.001), "fcn", 0, 1, float("nan"))
    rows = {r.claim.id: r for r in report.scorecard(report.arms(out), CHAPTER)}
    # only the claim that compares the vanilla FCN loses its test; the others keep their verdicts
    assert good["needle.beats-vanilla-fcn"].verdict != "not tested here"
    assert rows["needle.beats-vanilla-fcn"].verdict == "not tested here"
    assert "non-finite" in rows["needle.beats-vanilla-fcn"].why and "measured 1" in rows["needle.beats-vanilla-fcn"].why
    assert rows["needle.off-local-helps"].verdict == good["needle.off-local-helps"].verdict
    # a diverged eFCN takes every claim that compares the released nets
    out = _break(results(0.05, loss=0.001), "efcn", 2, 0, float("inf"))
    rows = {r.claim.id: r for r in report.scorecard(report.arms(out), CHAPTER)}
    assert rows["needle.off-local-helps"].verdict == "not tested here"
    # the tables and sentences say how many seeds diverged instead of printing nan
    arms = report.arms(out)
    assert "diverged in 1 of 3 seeds; the others" in report.results_table(arms, CHAPTER)
    assert "t_w = 2: diverged in 1 of 3 seeds" in report.key_findings(arms, CHAPTER)
    assert "1 of 3 seeds diverged" in report.separation(arms, CHAPTER, "efcn", 2)


def test_a_blown_up_run_is_named_with_its_peak_and_where_it_ended():
    assert report.blowup_text(report.arms(results(0.05, loss=0.001))) == ""
    arms = report.arms(_break(results(0.05, loss=0.001), "efcn", 0, 1, 4482.7))
    (found,) = report.blowups(arms)
    assert found["label"] == "eFCN t_w=0" and found["seed"] == 1 and found["peak"] == pytest.approx(4482.7, rel=1e-4)
    text = report.blowup_text(arms)
    assert text.startswith("1 of ") and "eFCN t_w=0 (seed 1): peak 4,482.7" in text
    arms = report.arms(_break(results(0.05, loss=0.001), "efcn", 2, 0, float("nan")))
    assert "eFCN t_w=2 (seed 0): a non-finite loss from epoch 4" in report.blowup_text(arms)
    assert "Instability" in report.key_findings(arms, CHAPTER)


def test_the_slow_release_is_graded_against_the_cnn_continued_at_the_same_rate():
    slow = "needle.late-release-beats-cnn" + claims.SLOW_SUFFIX
    assert {r.claim.id: r for r in card(0.05, loss=0.001)}[slow].verdict == "reproduced"
    # the CNN continued at lr / 10 gains as much: the freed weights add nothing over the same step
    row = {r.claim.id: r for r in card(0.05, loss=0.001, control_gain=0.05)}[slow]
    assert row.verdict != "reproduced" and "vs CNN at lr / 10" in row.ours
    none = check_params(Chapter, epochs=6, t_w=[0, 2, 4], t_lcn=[1], t_chain=[], seeds=3, slow_release=0.0)
    row = {r.claim.id: r for r in card(0.05, none, loss=0.001)}[slow]
    assert row.verdict == "not tested here" and "reduced learning rate" in row.why
    # a diverged slow release takes only the slow claims
    out = _break(results(0.05, loss=0.001), "efcn", 4, 0, float("nan"))
    for r in out:
        if r["run"].release_lr != 1.0:
            r["train_loss"] = results(0.05, loss=0.001)[0]["train_loss"]  # the slow arms stay finite
    rows = {r.claim.id: r for r in report.scorecard(report.arms(out), CHAPTER)}
    assert rows["needle.late-release-beats-cnn"].verdict == "not tested here"
    assert rows[slow].verdict == "reproduced"
