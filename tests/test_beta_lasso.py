import dataclasses
import math
import re

import pytest
import torch
from torch import nn

from nblib.chapters import beta_lasso as bl
from nblib.chapters.beta_lasso import claims as cl
from nblib.chapters.beta_lasso import report
from nblib.claims import OUTCOMES
from nblib.chapters.beta_lasso.experiment import pull
from nblib.optim import BetaLasso
from nblib.params import ParameterError, check_params


def test_chapter_runs_the_students_setting_then_the_pull_setting():
    chapter = check_params(bl.Chapter, datasets=["mnist"], beyond_betas=[0, 50], epochs=8, pulls=[1, 3],
                           pull_epochs=4, beyond_per_class=20)
    runs = chapter.runs("mnist", seed=0)
    # a dataset the students never used takes beyond_per_class, theirs train_per_class; every run records alike
    assert {r.train_per_class for r in runs} == {20} and {r.record_every for r in runs} == {5}
    theirs = check_params(bl.Chapter, datasets=["cifar10"], epochs=8, train_per_class=30, record_every=2)
    assert {(r.train_per_class, r.record_every) for r in theirs.runs("cifar10", 0)} == {(30, 2)}
    assert [(r.model, r.optimizer, r.epochs, r.pull) for r in runs] == [
        ("s-fc", "sgd", 8, 0), ("s-fc", "beta-lasso", 8, 0), ("s-fc", "beta-lasso", 8, 0),
        ("s-fc", "beta-lasso", 4, 1), ("s-fc", "beta-lasso", 4, 3),
        ("s-fc", "sgd", 4, 0), ("s-conv", "sgd", 4, 0), ("s-local", "sgd", 4, 0)]
    students, pulled = runs[1:3], runs[3:5]
    assert [r.beta for r in students] == [0, 50] and all(r.lam_first == 2e-5 for r in students)
    assert all(r.loss == "ce" for r in runs)  # no BCE and no control on a dataset the students never used
    for r, multiple in zip(pulled, (1, 3)):
        assert pull(r) == pytest.approx(multiple)                  # lambda * sum lr = multiple x bound
        assert r.beta * r.lam_first == pytest.approx(1e-3) and r.lam_rest == r.lam_first  # threshold fixed
    assert students[0].snapshots == (0, 1, 2, 4, 6, 8) and not pulled[0].snapshots
    assert all(not r.snapshots for r in chapter.runs("mnist", seed=1))  # only seed 0 keeps snapshots
    same = check_params(bl.Chapter, datasets=["mnist"], epochs=4, pull_epochs=4, beyond_per_class=20)
    assert [r.model for r in same.runs("mnist", 0) if r.optimizer == "sgd"] == ["s-fc", "s-conv", "s-local"]
    assert len(check_params(bl.Chapter, datasets=["mnist"], pulls=[], beyond_per_class=20).runs("mnist", 0)) == 2


def test_the_students_setting_matches_their_pull_and_threshold_and_the_control_their_lambda():
    chapter = check_params(bl.Chapter, datasets=["cifar10"], epochs=400, pulls=[], seeds=3, bce_seeds=2)
    runs = chapter.runs("cifar10", seed=0)
    lasso = [r for r in runs if r.optimizer == "beta-lasso" and r.pull_match and r.loss == "ce"]
    assert [r.beta for r in lasso] == [0, 1, 50] and all(r.epochs == 400 for r in lasso)
    for r in lasso:  # 14 steps per epoch on the copy: lambda x 7, beta / 7, their threshold and pull
        lam, rest, beta = bl.experiment.effective(r)
        assert pull(r) == pytest.approx(2.18) and lam == pytest.approx(7 * 2e-5, rel=0.01) and rest == lam
        assert beta * lam == pytest.approx(r.beta * 2e-5)
    bce = [r for r in runs if r.loss == "bce"]
    assert [(r.optimizer, r.beta) for r in bce] == [("sgd", 50), ("beta-lasso", 50)] and pull(bce[1]) == pytest.approx(2.18)
    control = [r for r in runs if r.optimizer == "beta-lasso" and not r.pull_match and not r.pull]
    assert len(control) == 1 and control[0].beta == 50 and control[0].lam_first == 2e-5
    epochs = control[0].epochs  # the fewest epochs at which their own lambda reaches their pull: their steps
    assert pull(control[0]) >= 2.18 > pull(dataclasses.replace(control[0], epochs=epochs - 1))
    assert 2700 < epochs < 2900 and bl.experiment.effective(control[0]) == (2e-5, 2e-5, 50)
    assert [r.loss for r in chapter.runs("cifar10", seed=2)].count("bce") == 0  # bce_seeds = 2
    assert not any(r.epochs == epochs for r in chapter.runs("cifar10", seed=1))  # one control seed
    plain = check_params(bl.Chapter, datasets=["cifar10"], students_pull=0, control_seeds=0, pulls=[])
    assert all(bl.experiment.effective(r)[0] == 2e-5 for r in plain.runs("cifar10", 0) if r.optimizer == "beta-lasso")
    with pytest.raises(ParameterError, match="'lam_first'"):
        check_params(bl.Chapter, lam_first=0.0)


def test_the_students_bce_is_their_loss_on_one_hot_targets():
    out, y = torch.randn(5, 10), torch.tensor([0, 3, 9, 3, 1])
    bce = bl.experiment.loss_function(bl.RunConfig(loss="bce"), 10)
    expected = nn.BCEWithLogitsLoss()(out, nn.functional.one_hot(y, 10).float())
    assert bce(out, y).item() == pytest.approx(expected.item())
    assert bce(out, y, reduction="sum").item() == pytest.approx(5 * expected.item())  # per image, summed
    assert bl.experiment.loss_function(bl.RunConfig(), 10) is nn.functional.cross_entropy
    with pytest.raises(ValueError, match="loss"):
        bl.experiment.loss_function(bl.RunConfig(loss="mse"), 10)


def test_bad_parameters_are_refused_before_training():
    with pytest.raises(ParameterError, match="train_per_class.*742"):
        check_params(bl.Chapter, datasets=["cifar10"], train_per_class=800)
    with pytest.raises(ParameterError, match="'beyond_per_class'.*at most"):
        check_params(bl.Chapter, datasets=["mnist"], beyond_per_class=6000)
    with pytest.raises(ParameterError, match="'record_every'"):
        check_params(bl.Chapter, record_every=0)
    with pytest.raises(ParameterError, match="'datasets'"):
        check_params(bl.Chapter, datasets=["imagenet"])
    with pytest.raises(ParameterError, match=r"'threshold'.*0\.01.*cifar10.*0\.0180"):
        check_params(bl.Chapter, datasets=["cifar10"], threshold=0.01)


def test_beta_lasso_pulls_weight_matrices_only():
    config = bl.RunConfig(optimizer="beta-lasso", lam_first=1e-6, lam_rest=3e-5, beta=7)
    model = bl.make_model("s-fc", 1)
    opt = bl.make_optimizer(model, config)
    assert isinstance(opt, BetaLasso)
    first, rest, others = opt.param_groups
    assert first["params"] == [model[1].weight] and first["lam"] == 1e-6 and first["beta"] == 7
    assert rest["lam"] == 3e-5 and all(p.dim() == 2 for p in rest["params"])
    assert others["lam"] == 0 and others["beta"] == 0 and all(p.dim() == 1 for p in others["params"])
    assert sum(p.numel() for g in opt.param_groups for p in g["params"]) == bl.n_params(model)
    # with no gradient, a step moves every weight towards 0 and leaves biases and BatchNorm alone
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = bl.make_optimizer(model, bl.RunConfig(optimizer="beta-lasso", lam_first=0.1, lam_rest=0.1, beta=0, lr=0.1))
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    for name, p in model.named_parameters():
        moved = (p - before[name]).abs()
        assert torch.allclose(moved, torch.full_like(p, 0.01)) if name.endswith("weight") and p.dim() == 2 \
            else torch.equal(p, before[name]), name


def test_split_is_balanced_disjoint_and_normalised():
    split = bl.load_split(bl.RunConfig(dataset="mnist", train_per_class=30, val_fraction=0.2))
    assert len(split.x_train) == 240 and len(split.x_val) == 60 and len(split.x_test) == 10000
    assert torch.bincount(torch.cat([split.y_train, split.y_val])).tolist() == [30] * 10
    assert abs(split.x_train.mean().item()) < 1e-4 and abs(split.x_train.std().item() - 1) < 1e-2
    assert "used 240 for training and 60 for validation" in split.note


def test_a_tiny_run_is_deterministic_and_records_the_first_layer_over_epochs():
    config = bl.RunConfig(dataset="mnist", optimizer="beta-lasso", beta=50, lam_first=1e-3, lam_rest=1e-3,
                          epochs=3, train_per_class=20, val_fraction=0.2, snapshots=(0, 2), record_every=2)
    a, b = bl.train(config, progress=False), bl.train(config, progress=False)
    assert a["test_acc"] == b["test_acc"] and torch.equal(a["maps"], b["maps"])
    assert a["nonzero"].shape == (3, 3) and a["layer_sizes"] == [784 * 196, 196 * 24, 240]
    assert a["nonzero"][-1, 0] < a["layer_sizes"][0]        # a large lambda zeroes weights
    assert a["locality"].shape == (3, 2) and a["locality"][:, 1].le(196).all()
    # window mass and validation after epochs 2 (every second) and 3 (the last) only
    assert a["locality"][:, 0].isnan().tolist() == [True, False, False]
    assert [math.isnan(v) for v in a["val_acc"]] == [True, False, False]
    assert sorted(a["snapshots"]) == [0, 2] and a["snapshots"][0].shape == (196, 28, 28)
    assert not torch.equal(a["snapshots"][0], a["snapshots"][2])
    assert torch.equal(a["window"].isnan(), a["maps"].flatten(1).sum(1) == 0)  # dead units are nan
    assert a["locality"][-1, 0].item() == pytest.approx(a["window"].nanmean().item(), rel=1e-5)
    assert 0 <= a["test_acc"] <= 1 and len(a["val_acc"]) == 3 and a["steps_per_epoch"] == 1
    conv = bl.train(bl.RunConfig(dataset="mnist", model="s-conv", epochs=1, train_per_class=20), progress=False)
    assert conv["window"] is None and conv["locality"] is None  # a convolution is local by construction


def _spread_weights(units, channels, side, seed=0):
    """A trained first layer with no locality: weights of random size at every pixel."""
    return torch.randn(units, channels * side * side, generator=torch.Generator().manual_seed(seed))


def _fake(chapter, dataset="cifar10", seeds=3, window=lambda name, s: 0.1, acc=lambda name, s: 0.4,
          shares=lambda name, s: (0.4, 0.7, 0.75), support=lambda name, s: 0.2, sgd_weights=_spread_weights):
    """Result dicts as `train` returns them, with given window mass, accuracy, per-layer non-zero shares
    and variance-weighted null per (label, seed), and S-FC SGD's first layer from `sgd_weights`."""
    out = []
    channels, side = bl.experiment.IMAGE_SHAPES[dataset]
    units = side * side // 4
    sizes = [channels * side * side * units, units * 24, 240]
    for s in range(seeds):
        for c in chapter.runs(dataset, s):
            name = report.label(c)
            w = torch.full((units,), window(name, s), dtype=torch.float64)
            w[:6] = math.nan  # six dead units
            kept = shares(name, s) if c.optimizer == "beta-lasso" else (1.0, 1.0, 1.0)
            per_unit = torch.full((units,), round(kept[0] * sizes[0] / units))
            per_unit[:6] = 0
            spatial = c.model != "s-conv"
            out.append({"config": c, "test_acc": acc(name, s), "val_acc": [acc(name, s)],
                        "steps_per_epoch": bl.experiment.steps_per_epoch(c),
                        "final_nonzero": [round(k * n) for k, n in zip(kept, sizes)], "layer_sizes": sizes,
                        "uniform_window": 0.08, "window": w if spatial else None,
                        "shuffled_window": torch.full((units,), 0.2) if spatial else None,
                        "support_window": torch.full((units,), support(name, s)) if spatial else None,
                        "unit_nonzero": per_unit if c.model == "s-fc" else None,
                        "first_weight": sgd_weights(units, channels, side, s)
                        if c.model == "s-fc" and c.optimizer == "sgd" else None})
    return out


def _card(results, chapter):
    return {r.claim.id: r for r in report.scorecard(results, chapter)}


def _chapter(**kw):
    return check_params(bl.Chapter, **{"datasets": ["cifar10"], "seeds": 3, "epochs": 400, "pull_epochs": 2,
                                       "pulls": [0.5, 2.0], "betas": [0.0, 50.0], **kw})


def test_every_registered_claim_gets_one_graded_row():
    chapter = _chapter()
    card = report.scorecard(_fake(chapter), chapter)
    assert [r.claim.id for r in card] == [c.id for c in cl.CLAIMS]
    assert all(r.verdict in OUTCOMES for r in card) and len({c.id for c in cl.CLAIMS}) == len(cl.CLAIMS)
    for r in card:
        if r.claim.untestable:
            assert r.verdict == "not tested here" and r.ours == "not run here"
    assert card.changes and {c.claim_id for c in card.changes} <= {c.id for c in cl.CLAIMS}


def test_the_students_number_decides_the_accuracy_rows():
    chapter = _chapter()
    gain = lambda g: (lambda name, s: 0.40 + (g + 0.001 * s if name == "S-FC beta-LASSO beta=50" else 0.0))
    card = _card(_fake(chapter, acc=gain(0.005)), chapter)  # +0.5 points: above 0, below the students' +3.47
    assert card["beta_lasso.beats-sgd-beta50"].verdict == "weaker than reported"
    card = _card(_fake(chapter, acc=gain(0.0)), chapter)    # +0.1 +- 0.25: contains 0, excludes +3.47
    assert card["beta_lasso.beats-sgd-beta50"].verdict == "not reproduced"
    card = _card(_fake(chapter, acc=gain(0.034)), chapter)  # the students' size
    assert card["beta_lasso.beats-sgd-beta50"].verdict == "reproduced"
    # beta = 50 below beta = 0 by the students' 0.78 points; beta = 1 did not run: not tested
    lower = lambda name, s: 0.40 - (0.0078 + 0.001 * s if name == "S-FC beta-LASSO beta=50" else 0.0)
    row = _card(_fake(chapter, acc=lower), chapter)["beta_lasso.beta50-hurts"]
    assert row.verdict == "not tested here" and dict(row.settings)["vs beta=0"] == "reproduced"
    assert "our run includes beta = 50 and the smaller beta" in row.why


def test_a_run_short_of_the_students_pull_is_not_a_test():
    chapter = _chapter(students_pull=0)  # their lambda on the CIFAR copy here: 1/7 of their pull
    gain = lambda name, s: 0.40 + (0.02 + 0.001 * s if "beta=50" in name else 0.0)
    card = _card(_fake(chapter, acc=gain), chapter)
    row = card["beta_lasso.beats-sgd-beta50"]
    assert row.verdict == "not tested here" and "measured 0.311" in row.why and "+2.10" in row.ours
    assert card["beta_lasso.local-filters"].verdict == "not tested here"
    assert card["beta_lasso.beats-sgd-beta1"].verdict == "not tested here"  # not in the run
    assert "our run includes beta = 1" in card["beta_lasso.beats-sgd-beta1"].why
    assert card["beta_lasso.sgd-sometimes-local"].verdict == "not tested here"  # 400 x 14 steps, not 39,200
    assert re.search(r"39,200 \(measured (5600|5\.6e\+03)\)", card["beta_lasso.sgd-sometimes-local"].why)


def test_locality_is_graded_on_its_size_at_the_students_pull():
    chapter = _chapter()
    local = lambda name, s: 0.6 + 0.01 * s if name == "S-FC beta-LASSO pull x2" else 0.1 + 0.001 * s
    card = _card(_fake(chapter, window=local), chapter)
    row = card["beta_lasso.local-filters-at-students-pull"]
    assert row.verdict == "reproduced" and "pull x2" in row.why and "live units 250 of 256" in row.why
    assert card["beta_lasso.local-filters"].verdict == "opposite"  # students' setting: 0.1 < shuffled 0.2
    # above both baselines, but only a few hundredths of the way to a kernel: below the registered size
    barely = lambda name, s: 0.22 + 0.001 * s if name == "S-FC beta-LASSO pull x2" else 0.1
    assert _card(_fake(chapter, window=barely), chapter)["beta_lasso.local-filters-at-students-pull"].verdict \
        == "opposite"
    # one seed never grades a claim
    one = _card(_fake(chapter, seeds=1, window=local), chapter)
    assert one["beta_lasso.local-filters-at-students-pull"].verdict == "inconclusive"


def _local_weights(units, channels, side, seed=0):
    """A trained first layer whose largest weights sit in one 9x9 window per unit (small ones elsewhere)."""
    w = 0.01 * _spread_weights(units, channels, side, seed).view(units, channels, side, side)
    w[:, :, 4:13, 4:13] += 1.0
    return w.flatten(1)


def test_locality_must_beat_the_support_keeping_null_and_pruned_sgd():
    chapter = _chapter()
    local = lambda name, s: 0.6 + 0.01 * s if name == "S-FC beta-LASSO pull x2" else 0.1 + 0.001 * s
    key = "beta_lasso.local-filters-at-students-pull"
    # beta-LASSO's units as local as its own weights placed where the pixels vary: no locality beyond the support
    row = _card(_fake(chapter, window=local, support=lambda name, s: 0.6), chapter)[key]
    assert row.verdict != "reproduced" and dict(row.settings)["vs variance-weighted"] != "reproduced"
    assert dict(row.settings)["vs shuffled"] == "reproduced"
    # pruning SGD's trained layer to the same sparsity gives 9x9 blobs: beta-LASSO adds nothing
    few = lambda name, s: (81 * 3 / 3072, 0.7, 0.75)  # 81 pixels x 3 channels per unit
    row = _card(_fake(chapter, window=local, shares=few, sgd_weights=_local_weights), chapter)[key]
    assert dict(row.settings)["vs SGD pruned"] == "opposite" and row.verdict == "opposite"
    assert "SGD pruned 1.000" in row.why
    assert _card(_fake(chapter, window=local, shares=few), chapter)[key].verdict == "reproduced"  # spread SGD


def test_pruned_sgd_keeps_each_units_largest_weights_of_the_same_seed():
    chapter = _chapter()
    results = _fake(chapter, shares=lambda name, s: (81 * 3 / 3072, 0.7, 0.75), sgd_weights=_local_weights)
    groups = report.group(results, "cifar10", 2)
    pruned = report.pruned_values(groups["S-FC beta-LASSO pull x2"], groups["S-FC SGD"])
    assert pruned.tolist() == pytest.approx([1.0] * 3)
    lasso = groups["S-FC beta-LASSO pull x2"][0]
    lasso["unit_nonzero"] = torch.full_like(lasso["unit_nonzero"], 3072)  # nothing pruned: SGD's own layer
    assert report.pruned_window(lasso, groups["S-FC SGD"][0]) < 0.95  # the small weights outside count


def test_the_bce_claim_is_graded_on_the_bce_runs():
    chapter = _chapter()
    gain = lambda name, s: 0.40 + (0.034 + 0.001 * s if name == "BCE: S-FC beta-LASSO beta=50" else 0.0)
    row = _card(_fake(chapter, acc=gain), chapter)["beta_lasso.beats-sgd-bce"]
    assert row.verdict == "reproduced" and "+3.50" in row.ours
    assert _card(_fake(chapter), chapter)["beta_lasso.beats-sgd-beta50"].verdict == "not reproduced"  # CE rows: 0
    none = _chapter(bce_seeds=0)
    row = _card(_fake(none), none)["beta_lasso.beats-sgd-bce"]
    assert row.verdict == "not tested here" and "our run includes the BCE runs" in row.why


def test_sparsity_is_graded_layer_by_layer_on_the_run_at_the_figure_pull():
    chapter = _chapter()
    shares = lambda name, s: (0.38 + 0.001 * s, 0.72 + 0.001 * s, 0.74) if name == "S-FC beta-LASSO pull x0.5" \
        else (0.05, 0.5, 0.99)
    card = _card(_fake(chapter, shares=shares), chapter)
    for slug in ("layer1-sparse", "layer2-milder", "layer3-dense"):
        assert card[f"beta_lasso.{slug}"].verdict == "reproduced", slug
        assert "pull x0.5" in card[f"beta_lasso.{slug}"].why or "pull x0.5" in card[f"beta_lasso.{slug}"].ours
    dense = lambda name, s: (0.9 + 0.001 * s, 0.95, 1.0)  # layer 1 keeps 90%: far less sparse than the figure
    row = _card(_fake(chapter, shares=dense), chapter)["beta_lasso.layer1-sparse"]
    assert row.verdict == "weaker than reported"
    no_pulls = _chapter(pulls=[])  # the students' setting alone: 400 epochs of 98 steps is 4 x the figure's pull
    assert _card(_fake(no_pulls, shares=shares), no_pulls)["beta_lasso.layer1-sparse"].verdict == "not tested here"


def test_mnist_claims_are_beyond_the_study_and_never_decide_it():
    chapter = _chapter(datasets=["mnist"])
    gain = lambda name, s: 0.9 + (0.01 + 0.001 * s if "pull x2" in name else 0.0)
    card = _card(_fake(chapter, dataset="mnist", acc=gain), chapter)
    mnist = [r for r in card.values() if r.claim.data == "mnist"]
    assert mnist and all(r.claim.beyond and r.claim.id.endswith("-mnist") for r in mnist)
    assert card["beta_lasso.beats-sgd-at-students-pull-mnist"].verdict == "reproduced"
    study = card["beta_lasso.beats-sgd-at-students-pull"]  # no CIFAR-10 in this run: the study's claim untested
    assert not study.claim.beyond and study.verdict == "not tested here" and "not measured" in study.ours


def test_the_pull_run_graded_is_the_one_nearest_the_students_not_the_best_on_validation():
    chapter = _chapter(pulls=[1.0, 2.0])
    results = _fake(chapter, acc=lambda name, s: 0.4 + 0.001 * s)
    for r in results:
        if r["config"].pull == 1.0:
            r["val_acc"] = [0.9]          # best on validation: the prose's choice
            r["test_acc"] = 0.8           # best on test: never chosen
    row = _card(results, chapter)["beta_lasso.beats-sgd-at-students-pull"]
    assert "pull x2" in row.ours and "pull 2.00 x the bound" in row.ours
    assert "pull x1 (best on validation)" in report.findings(results, chapter)


def test_study_numbers_come_from_the_students_tables():
    assert cl.gain(50.0) == pytest.approx(0.0347) and cl.gain(0.0) == pytest.approx(0.0425)
    assert cl.gain(1.0) == pytest.approx(0.0603) and cl.paper_gain("cifar10") == pytest.approx(0.0656)
    assert cl.TABLE2_PULL == pytest.approx(2.18, abs=0.005) and cl.TABLE2_STEPS == 39_200
    assert cl.FIG2_PULL == pytest.approx(0.55, abs=0.005)
    assert report.STUDENTS_CIFAR10["S-FC beta-LASSO beta=1"] == pytest.approx(51.10)


def test_step_flops_count_what_autograd_multiplies():
    from torch.utils.flop_counter import FlopCounterMode
    widths, batch = [784, 196, 24, 10], 64
    model = nn.Sequential(nn.Linear(784, 196), nn.ReLU(), nn.Linear(196, 24), nn.ReLU(), nn.Linear(24, 10))
    with FlopCounterMode(display=False) as counter:
        model(torch.randn(batch, 784)).sum().backward()
    assert report.step_flops(widths, batch) == counter.get_total_flops()


def test_the_key_findings_quote_the_runs_and_the_verdicts_of_the_graded_claims():
    chapter = _chapter(betas=[0.0, 1.0, 50.0])
    gain = lambda name, s: 0.40 + (0.034 + 0.001 * s if name == "S-FC beta-LASSO beta=50" else 0.0)
    local = lambda name, s: 0.6 + 0.01 * s if name == "S-FC beta-LASSO pull x2" else 0.1 + 0.001 * s
    results = _fake(chapter, acc=gain, window=local)
    card = report.scorecard(results, chapter)
    verdict = {r.claim.id: r.verdict for r in card}
    text = report.key_findings(results, chapter, card)
    bullets = text.split("\n")
    assert 2 <= len(bullets) <= 4 and all(b.startswith("- **") for b in bullets)
    table2 = bullets[0]
    assert "S-FC SGD ends at 40.0" in table2
    for b, students in ((0, "+4.25"), (1, "+6.03"), (50, "+3.47")):
        assert f"the students': {students}), **{verdict[f'beta_lasso.beats-sgd-beta{b}']}**" in table2
    assert "beta = 50: +3.5 ± " in table2
    locality = next(b for b in bullets if b.startswith("- **Locality"))
    assert f"**{verdict['beta_lasso.local-filters']}**" in locality  # opposite: 0.10 is under the nulls
    assert f"**{verdict['beta_lasso.local-filters-at-students-pull']}**" in locality
    assert "window mass 0.61 against S-FC SGD's 0.10" in locality
    assert not any("MNIST" in b for b in bullets)  # not run: not said
    mnist = _chapter(datasets=["mnist"])
    only = report.key_findings(_fake(mnist, dataset="mnist"), mnist, report.scorecard(_fake(mnist, dataset="mnist"), mnist))
    assert only.startswith("- **MNIST, beyond the study**") and "Table II" not in only
