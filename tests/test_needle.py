import pytest
import torch

from nblib.chapters import needle
from nblib.embed import off_local_ratio


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
    assert released["switch_gap"] < 1e-4
    a, b = released["switch_loss"]
    assert abs(a - b) < 1e-4
    if to == "efcn":
        assert len(released["delta"]) == 1 and 0 < released["delta"][0] < 1
        assert released["n_params"] == needle.param_counts(4)["eFCN (padding inside)"]


def test_the_vanilla_fcn_starts_from_random_weights():
    fcn = needle.train(needle.Release(to="fcn", **TINY), progress=False)
    assert fcn["t_w"] == 0 and fcn["switch_gap"] > 1e-3 and fcn["delta"][0] > 0.5
    with pytest.raises(ValueError, match="to must be one of"):
        needle.train(needle.Release(to="mlp"), progress=False)
