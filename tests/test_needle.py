import pytest
import torch

from nblib.chapters import needle
from nblib.train import balanced_evaluate
from nblib.embed import DenseEmbedded, off_local_ratio
from nblib.params import ParameterError, check_params
from nblib.train import evaluate


def test_vanilla_cnn_has_the_papers_size():
    counts = needle.param_counts(64)
    assert counts["CNN"] == sum(p.numel() for p in needle.vanilla_cnn(64).parameters()) == 143_178  # "0.14M"
    assert round(counts["eFCN (authors: padding layers)"] / 1e6, 1) == 110.6  # the authors' count
    assert counts["eFCN (padding inside)"] == 73_952_522  # 73.93M weights + 23,818 biases


def test_our_efcn_count_is_what_the_embedding_builds():
    cnn = needle.vanilla_cnn(4)
    built = sum(p.numel() for p in needle.release(cnn, "efcn").parameters())
    assert built == needle.param_counts(4)["eFCN (padding inside)"]


@pytest.mark.parametrize("to", ["efcn", "elcn"])
def test_the_release_is_exact(to):
    torch.manual_seed(0)
    cnn = needle.vanilla_cnn(8)
    x = torch.randn(5, 3, 32, 32)
    released = needle.release(cnn, to)
    with torch.no_grad():
        assert (released(x) - cnn(x)).abs().max() < 1e-5
    if to == "efcn":
        assert off_local_ratio(released) == 0.0  # every off-local weight starts at exactly zero
    with pytest.raises(ValueError, match="'efcn' or 'elcn'"):
        needle.release(cnn, "fcn")


TINY = dict(channels=4, epochs=3, batch_size=50, train_per_class=20, dataset="cifar10")


def test_inputs_must_end_in_a_1x1_feature_map():
    assert needle.param_counts(4, 1, 28)["CNN"] == sum(p.numel() for p in needle.vanilla_cnn(4, 1).parameters())
    with pytest.raises(ValueError, match="1x1"):
        needle.param_counts(4, 3, 24)


@pytest.mark.parametrize("to", ["efcn", "elcn"])
def test_a_release_continues_the_cnn_runs_own_trajectory(to):
    cnn = needle.train(needle.Release(to="cnn", **TINY), progress=False)
    released = needle.train(needle.Release(to=to, t_w=2, **TINY), progress=False)
    assert len(released["test_acc"]) == len(cnn["test_acc"]) == 3
    assert torch.equal(released["train_loss"][:2], cnn["train_loss"][:2])  # the same CNN up to t_w
    assert torch.equal(released["test_acc"][:2], cnn["test_acc"][:2])
    (gap,), ((a, b),) = released["switch_gap"], released["switch_loss"]
    assert gap < 1e-4 and abs(a - b) < 1e-4
    if to == "efcn":
        assert released["delta_at_release"] == 0.0
        assert torch.isnan(released["delta"][:2]).all() and 0 < released["delta"][2] < 1
        assert released["n_params"] == needle.param_counts(4)["eFCN (padding inside)"]
        path = released["interpolation"]["acc"]
        assert len(path) == len(needle.ALPHAS)
        # the path starts at the released CNN and ends at the trained eFCN
        assert path[0] == pytest.approx(cnn["test_acc"][1].item()) and path[-1] == pytest.approx(released["test_acc"][-1].item())
        # the second path starts at the CNN at the end of its own run (replayed exactly)
        end = released["interpolation_end"]
        assert end["loss"][0] == pytest.approx(cnn["test_loss"][-1].item(), rel=1e-5)
        assert end["acc"][-1] == pytest.approx(released["test_acc"][-1].item())
        assert 0 < released["local_change"] < 10
        assert released["silhouettes"].shape == (4, 3, 32, 32)
    else:
        assert "interpolation" not in released and "parts" not in released


def test_the_chain_releases_twice_exactly():
    chain = needle.train(needle.Release(to="elcn-efcn", t_w=1, t_2=2, **TINY), progress=False)
    elcn = needle.train(needle.Release(to="elcn", t_w=1, **TINY), progress=False)
    assert len(chain["switch_gap"]) == 2 and max(chain["switch_gap"]) < 1e-4
    assert torch.equal(chain["train_loss"][:2], elcn["train_loss"][:2])  # the eLCN phase is the eLCN run's
    assert chain["delta_at_release"] == 0.0 and set(chain["parts"]) == {"local", "off-local"}
    with pytest.raises(ValueError, match="t_w < t_2 < epochs"):
        needle.Release(to="elcn-efcn", t_w=2, t_2=2, epochs=3).phases()


def test_the_vanilla_fcn_starts_from_random_weights():
    fcn = needle.train(needle.Release(to="fcn", **TINY), progress=False)
    assert fcn["switch_gap"] == [] and fcn["delta_at_release"] > 0.5
    assert not torch.isnan(fcn["delta"]).any()
    with pytest.raises(ValueError, match="to must be one of"):
        needle.train(needle.Release(to="mlp"), progress=False)


def test_local_and_off_local_parts_add_up_to_the_net():
    torch.manual_seed(0)
    dense = needle.release(needle.vanilla_cnn(4), "efcn")
    with torch.no_grad():
        for m in dense.modules():
            if isinstance(m, DenseEmbedded):
                m.linear.weight.add_(torch.randn_like(m.linear.weight))  # off-local weights become non-zero
    local, off = needle.masked(dense, "local"), needle.masked(dense, "off-local")
    for whole, a, b in zip(dense.modules(), local.modules(), off.modules()):
        if isinstance(whole, DenseEmbedded):
            assert torch.equal(a.linear.weight + b.linear.weight, whole.linear.weight)
            assert not a.linear.weight[~whole.local_mask].any() and not b.linear.weight[whole.local_mask].any()
    with pytest.raises(ValueError, match="'local' or 'off-local'"):
        needle.masked(dense, "both")


def test_balanced_accuracy_weighs_every_class_equally():
    class Always(torch.nn.Module):  # predicts class 0 whatever the input
        def forward(self, x):
            return torch.nn.functional.one_hot(torch.zeros(len(x), dtype=torch.long), 3).float()
    y = torch.tensor([0] * 8 + [1, 2])  # class 0 is 80% of this test set
    loss, acc = balanced_evaluate(Always(), torch.zeros(10, 1), y)
    assert acc == pytest.approx(1 / 3)  # plain accuracy would say 0.8
    assert evaluate(Always(), torch.zeros(10, 1), y)[1] == pytest.approx(0.8)


def test_chapter_parameters_are_checked_before_any_work():
    ok = check_params(needle.Chapter, epochs=6, t_w=[0, 2, 4], t_lcn=[1], t_chain=[], seeds=2)
    runs = ok.runs()
    # CNN, FCN, eFCN and eLCN at 3 t_w, three lr controls at 3 t_w, the chain 1 -> {2, 4}, and at lr / 10 after
    # the release the eFCN at t_w > 0 and both chains
    assert len(runs) == 2 * (2 + 2 * 3 + 3 * 3 + 2 + 2 + 2)
    assert {(r.to, r.t_w, r.t_2) for r in runs if r.release_lr == 0.1} == \
        {("efcn", 2, 0), ("efcn", 4, 0), ("elcn-efcn", 1, 2), ("elcn-efcn", 1, 4)}
    assert {(r.to, r.t_w, r.t_2) for r in runs if r.to == "elcn-efcn"} == {("elcn-efcn", 1, 2), ("elcn-efcn", 1, 4)}
    chain = check_params(needle.Chapter, epochs=6, t_w=[0, 2, 4], t_lcn=[1], t_chain=[2], lr_controls=[], seeds=1)
    assert {(r.to, r.t_w, r.t_2) for r in chain.runs() if r.to not in ("cnn", "fcn", "efcn", "elcn")} == \
        {("elcn-efcn", 1, 2)}  # only the chosen chain, and no control
    for bad, message in [(dict(t_w=[0, 6]), "'t_w'.*< epochs"), (dict(t_lcn=[4], t_chain=[]), "'t_lcn'.*largest"),
                         (dict(t_chain=[3]), "'t_chain'.*one of t_w"), (dict(lr_controls=["0.5"]), "'lr_controls'"),
                         (dict(channels=0), "'channels'.*>= 1"), (dict(dataset="svhn"), "'dataset'.*allowed"),
                         (dict(train_per_class=5000), "'train_per_class'.*at most"), (dict(t_w=[]), "'t_w'.*empty"),
                         (dict(slow_release=1.0), "'slow_release'.*below 1"), (dict(slow_release=2.0), "'slow_release'")]:
        with pytest.raises(ParameterError, match=message):
            check_params(needle.Chapter, **{"epochs": 6, "t_w": [0, 2, 4], "t_lcn": [1], "t_chain": [], **bad})


def test_the_papers_scale_passes_the_chapters_checks():
    paper = check_params(needle.Chapter, channels=64, epochs=150, t_w=[0, 2, 4, 8, 13, 23, 40, 67, 115], t_lcn=[4],
                         t_chain=[23], batch_size=250, train_per_class=0, test_per_class=0)
    assert len(paper.runs()) == 3 * (2 + 2 * 9 + 3 * 9 + 1 + 8 + 1)  # with the slow releases: t_w > 0 and the chain
    # dense epochs per seed: the vanilla FCN, the nine eFCNs and the chain's eFCN, each again released slowly but t_w = 0
    assert paper.dense_epochs() == 150 + 2 * (sum(150 - t for t in paper.t_w) + (150 - 23)) - 150


def test_positions_per_layer_are_the_kernels_copies():
    assert needle.positions() == (289, 64, 9)
    assert needle.positions(1, 28) == (225, 49, 9)


def test_the_lr_control_continues_the_cnn_with_the_releases_batch_order():
    cnn = needle.train(needle.Release(to="cnn", **TINY), progress=False)
    slow = needle.train(needle.Release(to="cnn-lr", t_w=2, control="0.01", **TINY), progress=False)
    same = needle.train(needle.Release(to="cnn-lr", t_w=2, control="positions", **TINY), progress=False)
    assert torch.equal(slow["train_loss"][:2], cnn["train_loss"][:2])  # the CNN run itself up to t_w
    assert slow["train_loss"][2] != cnn["train_loss"][2] and slow["train_loss"][2] != same["train_loss"][2]
    assert slow["switch_gap"] == [] and "parts" not in slow
    with pytest.raises(ValueError, match="control must be one of"):
        needle.Release(to="cnn-lr", t_w=1, control="0.5", epochs=3).phases()


def test_the_test_set_is_evaluated_every_eval_every_epochs_and_at_each_phases_ends():
    run = needle.train(needle.Release(to="efcn", t_w=2, eval_every=4, **{**TINY, "epochs": 6}), progress=False)
    # CNN epochs 1-2 (its first and last), eFCN epochs 3-6: 3 (first), 4 (every fourth), 6 (last); not 5
    assert torch.isnan(run["test_acc"]).tolist() == [False, False, False, False, True, False]
    assert torch.isfinite(run["train_loss"]).all() and torch.isnan(run["test_loss"][4])


def test_a_slow_release_trains_only_the_released_net_at_the_reduced_rate():
    fast = needle.train(needle.Release(to="efcn", t_w=2, **TINY), progress=False)
    frozen = needle.train(needle.Release(to="efcn", t_w=2, release_lr=0.0, **TINY), progress=False)
    assert torch.equal(frozen["train_loss"][:2], fast["train_loss"][:2])  # the CNN phase at the full rate
    assert frozen["delta"][-1] == 0 and fast["delta"][-1] > 0  # at rate 0 no off-local weight moves after the release
    with pytest.raises(ValueError, match="release_lr applies to a release"):
        needle.Release(to="cnn-lr", t_w=1, control="0.1", release_lr=0.1, epochs=3).phases()


def test_the_reduced_rates_divide_each_conv_layer_by_its_positions():
    cnn = needle.vanilla_cnn(4)
    groups = needle.experiment._reduced_lr(cnn, 0.1, "positions", 32)
    assert [g["lr"] for g in groups] == pytest.approx([0.1 / 289, 0.1 / 64, 0.1 / 9, 0.1])
    assert sum(p.numel() for g in groups for p in g["params"]) == sum(p.numel() for p in cnn.parameters())
    assert [g["lr"] for g in needle.experiment._reduced_lr(cnn, 0.1, "0.1", 32)] == pytest.approx([0.01])
