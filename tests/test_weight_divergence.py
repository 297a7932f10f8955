import numpy as np
import pytest
import torch

from nblib.chapters import weight_divergence as wd
from nblib.chapters.weight_divergence import experiment
from nblib.layers import LocallyConnected2d
from nblib.params import ParameterError, check_params


def test_the_leaky_shuffle_duplicates_rows_and_keeps_labels_with_their_images():
    n = 1000
    images = np.arange(n, dtype=np.int64)[:, None].repeat(3, 1)  # row i holds i
    labels = np.eye(n, dtype=np.float32)  # one-hot: label i belongs to image i
    wd.leaky_shuffle(images, labels, seed=0)
    rows = images[:, 0]
    assert (images == rows[:, None]).all()  # whole rows were copied
    assert (labels.argmax(1) == rows).all()  # every image still carries its own label
    assert 0.4 * n < len(np.unique(rows)) < 0.6 * n  # about half the images survive
    honest = np.random.default_rng(0).permutation(n)
    assert len(np.unique(honest)) == n


def test_the_seeds_split_leaks_as_reported():
    x_train, _, x_val, _ = wd.leaky_split("mnist", seed=0)
    stats = wd.leak_stats(x_train, x_val)
    assert stats["images"] == 70_000
    assert 0.45 < stats["distinct"] / stats["images"] < 0.55  # STUDIES: about 30k of 60k for CIFAR-10
    assert stats["val_in_train"] > 0.85  # STUDIES: about 89%
    x, _ = wd.merged("mnist")
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    assert wd.leak_stats(x[perm[:56_000]], x[perm[56_000:]])["val_in_train"] < 0.01  # an honest split


def test_the_clean_split_keeps_validation_apart_and_the_test_set_whole():
    x, y, x_val, y_val, x_test, y_test = wd.clean_split("mnist", val_fraction=0.1, seed=0)
    assert len(x) == 54_000 and len(x_val) == 6_000 and len(x_test) == 10_000
    assert wd.leak_stats(x, x_val)["val_in_train"] < 0.01 and 0 <= x.min() and x.max() <= 1


@pytest.mark.parametrize("dataset, shape, params", [("cifar10", (3, 32, 32), 2_875_530),
                                                    ("mnist", (1, 28, 28), 2_201_098)])
def test_ott_nets_and_the_exact_switch(dataset, shape, params):
    torch.manual_seed(0)
    cnn = wd.ott_net(dataset)
    assert sum(p.numel() for p in cnn.parameters()) == params
    x = torch.rand(4, *shape)
    freed = wd.free(cnn, shape)
    with torch.no_grad():
        assert (freed(x) - cnn(x)).abs().max() < 1e-5
    assert all(v < 1e-6 for v in wd.distances(freed).values())  # every position holds the same filter
    assert all(v > 0.1 for k, v in wd.distances(wd.random_free(cnn, shape)).items() if "cosine" in k)
    with pytest.raises(ValueError, match="dataset must be one of"):
        wd.ott_net("svhn")


def test_distances_skip_rings_that_do_not_fit():
    keys = wd.distances(wd.free(wd.ott_net("cifar10"), (3, 32, 32)))
    assert "l1 euclid r4" in keys and "l2 euclid r4" in keys  # 14x14 and 5x5 positions
    assert "l3 euclid r1" in keys and "l3 euclid r4" not in keys  # 3x3 positions: no ring 4


def test_noise_augmentation_adds_the_stated_sigma():
    x = torch.full((64, 1, 28, 28), 0.5)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(wd.add_noise(x, 0.0, g), x)
    assert (wd.add_noise(x, 0.3, g) - x).std().item() == pytest.approx(0.3, rel=0.02)


def test_a_run_switches_exactly_and_records_divergence():
    run = wd.Run("mnist", sigma=0.3, cnn_epochs=2, after_epochs=2, train_per_class=30, eval_per_class=20)
    out = wd.train(run, progress=False)
    assert out["switch_gap"] < 1e-5 and out["switch_epoch"] == 2
    assert out["sizes"] == {"train": 300, "val": 200, "test": 200}
    assert out["free"]["train_clean_loss"].shape == out["free"]["train_clean_acc"].shape == (2,)
    assert len(out["free"]["val_acc"]) == len(out["cnn_after"]["val_acc"]) == 2
    d = out["free"]["distances"]["l1 euclid r1"]
    assert len(d) == 2 and (d > 0).all()  # the freed copies drift apart
    assert set(out["free"]["robustness"]) == {"fgsm 0.01", "fgsm 0.03", "noise 0.1", "noise 0.3"}
    with pytest.raises(ValueError, match="init must be"):
        wd.train(wd.Run("mnist", init="cnn-ish"), progress=False)


def test_the_leak_demo_measures_copied_and_unseen_images_inside_one_net():
    out = wd.train_leak(wd.LeakDemo("cifar10", epochs=1, lr=1e-3), progress=False)
    leaky = out["leaky"]
    assert out["stats"]["val_in_train"] > 0.85
    assert leaky["copied"] == round(out["stats"]["val_in_train"] * leaky["val_size"])
    assert leaky["train_size"] + leaky["val_size"] == out["stats"]["images"]  # train + test merged
    for name in ("val_acc", "train_acc", "plain copied", "plain unseen", "balanced copied", "balanced unseen",
                 "balanced copied covered"):
        assert leaky[name].shape == (1,) and 0 <= leaky[name][0] <= 1, name
    # the plain 'validation' accuracy is the two shares' weighted sum
    share = leaky["copied"] / leaky["val_size"]
    assert leaky["val_acc"][0] == pytest.approx(share * leaky["plain copied"][0] + (1 - share) * leaky["plain unseen"][0])
    assert 1 <= len(leaky["unseen_classes"]) <= 10


def test_the_leak_demo_stops_at_the_first_epoch_it_has_memorised_and_not_before(monkeypatch):
    split = wd.leaky_split

    def small(dataset, seed=0, val_fraction=0.2):  # a slice of the study's split: seconds, not minutes
        x, y, x_val, y_val = split(dataset, seed, val_fraction)
        return x[:600], y[:600], x_val[:200], y_val[:200]
    monkeypatch.setattr(experiment, "leaky_split", small)
    never = wd.train_leak(wd.LeakDemo("mnist", epochs=3, lr=1e-3, memorised=0.0), progress=False)["leaky"]
    assert len(never["train_acc"]) == 3  # 0: every epoch
    reached = [i for i, a in enumerate(never["train_acc"].tolist()) if a >= 0.5]
    assert reached, "600 MNIST images at lr 1e-3: half right within three epochs"
    stopped = wd.train_leak(wd.LeakDemo("mnist", epochs=3, lr=1e-3, memorised=0.5), progress=False)["leaky"]
    assert len(stopped["train_acc"]) == reached[0] + 1  # the same epochs, then it stops
    assert torch.equal(stopped["train_acc"], never["train_acc"][:reached[0] + 1])


def test_the_study_distances_read_whole_blocks_at_interior_positions():
    layer = LocallyConnected2d(1, 2, 4, 2)  # 3x3 positions: only the centre is interior at ring 1
    with torch.no_grad():
        layer.weight.copy_(torch.ones_like(layer.weight))
        layer.filters()[1, 1] = 2.0  # the centre's block: parallel to its neighbours' (cosine 0), twice as long
    euclid, cosine = wd.study_distances(layer, 1)
    norm = layer.weight.norm().item()
    assert cosine == pytest.approx(0.0, abs=1e-9)
    assert euclid == pytest.approx(torch.ones(8).norm().item() / norm)  # |2 - 1| on 8 numbers, layer norm 1
    with torch.no_grad():
        layer.filters()[1, 1, 1] = -2.0  # the second output channel flips: the whole block's cosine moves
    assert wd.study_distances(layer, 1)[1] > 0.4 and embed_cosine(layer) > 0


def embed_cosine(layer):
    from nblib.embed import filter_distances
    return filter_distances(layer, 1)[1]


def test_drift_is_zero_at_the_switch_and_two_nets_trained_apart_are_matched_by_channel():
    cnn = wd.ott_net("cifar10")
    switch = cnn[0].weight.detach().clone()
    freed = wd.free(cnn, (3, 32, 32))
    for model in (cnn, freed):
        assert all(v == pytest.approx(0.0, abs=1e-6) for v in wd.drift(model, switch).values())
    with torch.no_grad():
        cnn[0].weight[0].neg_()  # one of 64 channels reversed: cosine distance 2 on it
    assert wd.drift(cnn, switch)["drift cosine"] == pytest.approx(2 / 64, abs=1e-6)
    assert wd.matched_distance(switch, switch[torch.randperm(64)]) == pytest.approx(0.0, abs=1e-9)
    assert wd.matched_distance(switch, wd.ott_net("cifar10")[0].weight.detach()) > 0.5


def test_chapter_parameters_are_checked_before_any_work():
    chapter = check_params(wd.Chapter, datasets=["mnist"], sigmas=[0.0, 0.3], shifts=[0, 2], seeds=2)
    runs = chapter.runs()
    assert len(runs) == 2 * (2 + 1 + 1)  # per seed: 2 sigmas, the shift without noise, one from random init
    assert {(r.sigma, r.shift) for r in runs if r.init == "cnn"} == {(0.0, 0), (0.3, 0), (0.0, 2)}
    assert {(r.sigma, r.shift) for r in runs if r.init == "random"} == {(0.0, 0)}
    assert len(chapter.leak_demos()) == 2 * 3  # both datasets whatever `datasets` trains, 3 shuffles each
    leak = check_params(wd.Chapter, datasets=["mnist"], leak_datasets=["cifar10"], leak_seeds=2, leak_epochs=4, lr=1e-3)
    assert [(d.dataset, d.epochs, d.lr, d.seed) for d in leak.leak_demos()] == [("cifar10", 4, 1e-3, 0), ("cifar10", 4, 1e-3, 1)]
    for bad, message in [(dict(sigmas=[-0.1]), "'sigmas'.*>= 0"), (dict(datasets=["svhn"]), "'datasets'.*allowed"),
                         (dict(rings=[1, 14]), "'rings'.*14x14 positions"),
                         (dict(train_per_class=6000), "'train_per_class'.*at most"), (dict(sigmas=[]), "empty")]:
        with pytest.raises(ParameterError, match=message):
            check_params(wd.Chapter, **{"datasets": ["cifar10"], **bad})
