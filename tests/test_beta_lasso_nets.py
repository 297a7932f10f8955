import pytest
import torch
from torch import nn

from nblib.chapters.beta_lasso.nets import MODELS, make_model, n_params
from nblib.layers import LocallyConnected2d


def params_at(name, alpha, side=32):
    with torch.device("meta"):
        return n_params(make_model(name, alpha, side))


@pytest.mark.parametrize("name, paper", [("s-conv", 138e6), ("s-local", 147e6), ("s-fc", 256e6)])
def test_alpha_150_matches_the_paper_within_one_percent(name, paper):
    assert abs(params_at(name, 150) - paper) / paper < 0.01


def test_students_s_fc_and_layer_shapes():
    fc = make_model("s-fc", 1)
    assert [m.out_features for m in fc if isinstance(m, nn.Linear)] == [256, 24, 10]
    dfc = make_model("d-fc", 1)
    assert [m.out_features for m in dfc if isinstance(m, nn.Linear)] == [1024, 512, 512, 256, 256, 128, 128, 64, 64, 10]


@pytest.mark.parametrize("name", MODELS)
def test_every_model_runs_on_colour_and_grey_images(name):
    side = 32 if name.startswith("d") else 28
    model = make_model(name, 2, side=side, in_channels=1 if side == 28 else 3)
    out = model(torch.randn(4, 1 if side == 28 else 3, side, side))
    assert out.shape == (4, 10)
    norms = [m for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    weights = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d, LocallyConnected2d))]
    assert len(norms) == len(weights) - 1  # BatchNorm after every layer but the last


def test_local_has_the_convs_connectivity_without_sharing():
    conv, local = make_model("s-conv", 4), make_model("s-local", 4)
    assert isinstance(local[0], LocallyConnected2d) and local[0].out_size == (16, 16)
    assert local[0].weight.numel() == 256 * conv[0].weight.numel()
    assert params_at("d-local", 1) > params_at("d-conv", 1)


def test_bad_names_and_sizes():
    with pytest.raises(ValueError, match="s-fc"):
        make_model("s-mlp", 1)
    with pytest.raises(ValueError, match="divisible by 16"):
        make_model("d-conv", 1, side=28)
