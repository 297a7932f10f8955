import pytest
import torch
import torch.nn.functional as F

from nblib import data
from nblib.chapters import digit_pairs as dp


def test_pairs_follow_the_course_semantics():
    x, target, classes, xt, tt, ct = dp.mnist_pairs(300, seed=4)
    assert x.shape == (300, 2, 14, 14) and classes.shape == (300, 2) and xt.shape == (300, 2, 14, 14)
    assert x.dtype == torch.float32 and x.min() == 0 and x.max() <= 255
    assert torch.equal(target, (classes[:, 0] <= classes[:, 1]).long())
    assert torch.equal(tt, (ct[:, 0] <= ct[:, 1]).long())
    # each pair is two distinct pooled MNIST train images with their labels: find them back
    train = data.load("mnist", True)
    pooled = F.avg_pool2d(train.images.float(), 2).flatten(1)  # (60000, 196)
    probe = torch.randn(196, dtype=torch.float64)
    signature = pooled.double() @ probe
    for i in range(20):
        found = [((signature - x[i, j].flatten().double() @ probe).abs() < 1e-6).nonzero().flatten() for j in range(2)]
        assert all(len(f) >= 1 for f in found)
        assert train.labels[found[0][0]] == classes[i, 0] and train.labels[found[1][0]] == classes[i, 1]
        assert not torch.equal(x[i, 0], x[i, 1]) or found[0][0] != found[1][0]


def test_a_fresh_draw_per_seed_and_the_same_draw_again():
    a, b, c = dp.mnist_pairs(50, 1), dp.mnist_pairs(50, 1), dp.mnist_pairs(50, 2)
    assert torch.equal(a[0], b[0]) and not torch.equal(a[0], c[0])


@pytest.mark.parametrize("arch, without, with_", [("shallow", 208_172, 104_662), ("deep", 199_942, 100_712),
                                                  ("conv", 136_206, 68_472)])
def test_parameter_counts_are_the_seeds(arch, without, with_):
    count = lambda sharing: sum(p.numel() for p in dp.PairNet(arch, sharing).parameters())
    assert (count(False), count(True)) == (without, with_)


def test_sharing_uses_one_pipe_for_both_images():
    net = dp.PairNet("shallow", sharing=True)
    x = torch.randn(3, 2, 14, 14)
    main, digits = net(x)
    assert main.shape == (3, 2) and digits.shape == (3, 2, 10)
    assert torch.allclose(digits[:, 1], net.pipes[0](x[:, 1:2]))
    swapped = net(x.flip(1))[1]
    assert torch.allclose(swapped[:, 0], digits[:, 1])


def test_auxiliary_loss_is_the_half_half_mix():
    main, digits = torch.randn(4, 2), torch.randn(4, 2, 10)
    y = torch.tensor([[1, 3, 5], [0, 7, 2], [1, 1, 1], [0, 9, 0]])
    plain = F.cross_entropy(main, y[:, 0])
    aux = F.cross_entropy(digits.flatten(0, 1), y[:, 1:].flatten())
    assert torch.allclose(dp.pair_loss((main, digits), y, aux=False), plain)
    assert torch.allclose(dp.pair_loss((main, digits), y, aux=True), 0.5 * plain + 0.5 * aux)


def test_training_runs_together_is_deterministic_and_learns():
    config = dp.PairsConfig(n_pairs=200, runs=2, epochs=3)
    a = dp.train(dp.ModelRun("shallow", True, True, config), progress=False)
    b = dp.train(dp.ModelRun("shallow", True, True, config), progress=False)
    assert torch.equal(a["test_acc"], b["test_acc"]) and a["test_acc"].shape == (3, 2)
    assert (a["test_digit_acc"][-1] > 0.5).all()   # the auxiliary task is learned fast
    assert 0.4 < a["target_share"] < 0.7


def test_sweep_config_measures_only_the_final_epoch_with_the_same_result():
    chapter = dp.Chapter(n_pairs=200, runs=2, epochs=3, sweep_runs=2)
    curves = dp.train(dp.ModelRun("shallow", False, True, chapter.config()), progress=False)
    sweep = chapter.config("shallow", "sweep", 200)
    assert (sweep.runs, sweep.n_test, sweep.curves) == (2, 200, False)
    final_only = dp.train(dp.ModelRun("shallow", False, True, sweep), progress=False)
    assert final_only["test_acc"].shape == (1, 2)
    assert torch.equal(final_only["test_acc"][-1], curves["test_acc"][-1])  # evaluating changes no training


def test_a_validation_split_trains_on_the_first_pairs_of_the_same_draw_and_scores_the_rest():
    # 250 pairs with 20% held out train exactly as 200 pairs without a split (same draw, init, batches)
    split = dp.train(dp.ModelRun("shallow", True, False, dp.PairsConfig(n_pairs=250, n_test=100, runs=2, epochs=3,
                                                                       validation=0.2), "validation"), progress=False)
    plain = dp.train(dp.ModelRun("shallow", True, False, dp.PairsConfig(n_pairs=200, n_test=100, runs=2, epochs=3)),
                     progress=False)
    assert (split["n_fit"], split["n_pairs"], split["kind"]) == (200, 250, "validation")
    assert torch.equal(split["test_acc"], plain["test_acc"]) and plain["val_acc"] is None
    assert split["val_acc"].shape == (3, 2)
    held = (split["val_acc"] * 50)  # accuracies on the 50 held-out pairs: multiples of 1/50
    assert torch.allclose(held, held.round(), atol=1e-4) and not torch.equal(split["val_acc"], split["test_acc"])


def test_the_chapter_runs_every_kind_longest_first_with_its_runs_per_architecture():
    chapter = dp.Chapter()
    cells = chapter.cells()
    kinds = [c.kind for c in cells]
    assert (kinds.count("table"), kinds.count("validation"), kinds.count("sweep")) == (12, 12, 3 * 3 * 3)
    assert [c.cost() for c in cells] == sorted((c.cost() for c in cells), reverse=True)
    runs = {(c.kind, c.arch): c.pairs.runs for c in cells}
    assert runs[("table", "deep")] == 40 and runs[("table", "conv")] == 20 and runs[("validation", "conv")] == 10
    assert {c.pairs.n_pairs for c in cells if c.kind == "sweep"} == {250, 500, 2000}
    assert all(c.pairs.held_out() == 200 for c in cells if c.kind == "validation")
    assert dp.Chapter(validation=0.0).validation_runs() == []


def test_a_validation_split_that_leaves_nothing_is_refused_naming_the_parameter():
    from nblib.errors import ParameterError
    from nblib.params import check_params
    with pytest.raises(ParameterError, match="'validation'"):
        check_params(dp.Chapter, n_pairs=2, validation=0.1)  # holds out 0 pairs
    with pytest.raises(ParameterError, match="'sweep_variants'"):
        check_params(dp.Chapter, sweep_variants=["both"])


def test_the_setting_sentence_says_what_was_reduced():
    from nblib.chapters.digit_pairs import report
    assert report.setting(dp.Chapter()).startswith("Table 1 here is the study's protocol")
    assert "40 runs per FC model and 20 per ConvNet model (the study: 10)" in report.setting(dp.Chapter())
    reduced = report.setting(dp.Chapter(n_pairs=100, runs=2, epochs=2))
    assert reduced.startswith("Table 1 here is NOT") and "epochs 2 (the study: 50)" in reduced
    assert "fewer than the study" in reduced
