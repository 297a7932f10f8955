import pytest
import torch
from torch import nn

from nblib.layers import LocallyConnected2d
from nblib.chapters.beta_lasso.sparsity import (first_layer_locality, first_layer_maps, nonzero_per_layer,
                                                prune_per_unit, shuffled_window_mass, support_window_mass,
                                                unit_nonzero, window_mass)


def test_nonzero_per_layer_counts_weights_not_biases():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        model[0].weight[:2] = 0
        model[0].bias.zero_()
    assert nonzero_per_layer(model) == [4, 6]


def test_maps_of_dense_and_local_first_layers():
    dense = nn.Sequential(nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    assert first_layer_maps(dense, 2, 4).shape == (3, 4, 4)
    local = nn.Sequential(LocallyConnected2d(2, 3, 8, 3, stride=2, padding=1))
    maps = first_layer_maps(local, 2, 8)  # (3 channels * 4 * 4 positions, 8, 8)
    assert maps.shape == (48, 8, 8)
    assert ((maps > 0).sum((1, 2)) <= 9).all()  # a 3x3 window at most (less at the border)


def test_window_mass_is_one_for_a_local_filter_and_small_for_a_spread_one():
    from nblib.chapters.beta_lasso.sparsity import window_mass
    local = torch.zeros(1, 28, 28)
    local[0, 3:12, 10:19] = torch.rand(9, 9) + 0.1  # inside one 9x9 window
    spread = torch.ones(1, 28, 28)
    two = torch.zeros(1, 28, 28)
    two[0, 0, 0], two[0, 27, 27] = 1.0, 3.0  # two far-apart weights: the window holds the larger
    dead = torch.zeros(1, 28, 28)
    share = window_mass(torch.cat([local, spread, two, dead]), 9)
    assert share[0] == pytest.approx(1.0)
    assert share[1] == pytest.approx(81 / 784)
    assert share[2] == pytest.approx(0.75)
    assert torch.isnan(share[3])
    with pytest.raises(ValueError, match="window side"):
        window_mass(local, 29)


def test_s_local_filters_are_local_by_this_measure():
    from nblib.chapters.beta_lasso.nets import make_model
    from nblib.chapters.beta_lasso.sparsity import first_layer_maps, window_mass
    torch.manual_seed(0)
    model = make_model("s-local", 1, side=16, in_channels=1)
    share = window_mass(first_layer_maps(model, 1, 16), 9)
    assert torch.allclose(share, torch.ones_like(share))  # every unit sees one 9x9 patch (borders padded)
    dense = make_model("s-fc", 1, side=16, in_channels=1)
    assert window_mass(first_layer_maps(dense, 1, 16), 9).mean() < 0.5  # a random dense unit is not local


def test_the_uniform_baseline_and_the_active_area():
    from nblib.chapters.beta_lasso.sparsity import active_area, uniform_window_mass
    images = torch.zeros(5, 1, 28, 28)
    images[:, :, 4:24, 4:24] = torch.rand(5, 1, 20, 20)  # the digit area: 20x20 pixels that vary
    area = active_area(images)
    assert area.sum() == 400 and area[4:24, 4:24].all()
    assert uniform_window_mass(area, 9) == pytest.approx(81 / 400)
    with pytest.raises(ValueError, match="non-empty"):
        uniform_window_mass(torch.zeros(28, 28, dtype=torch.bool))


def test_shuffling_keeps_a_units_weights_and_removes_its_locality():
    local = torch.zeros(3, 28, 28)
    local[:, 3:12, 10:19] = torch.rand(3, 9, 9) + 0.1
    shuffled = shuffled_window_mass(local, seed=1)
    assert (window_mass(local) == 1).all() and (shuffled < 0.5).all()  # 81 weights scattered over 784 pixels
    assert torch.equal(shuffled_window_mass(local, seed=1), shuffled)   # a fixed generator
    uniform = torch.ones(2, 28, 28)
    assert torch.allclose(shuffled_window_mass(uniform), window_mass(uniform))  # nothing to move
    sparse = torch.zeros(1, 28, 28)
    sparse[0, 0, 0] = 1.0  # one weight left: local by any measure, and by chance too
    assert shuffled_window_mass(sparse).item() == 1.0
    assert torch.isnan(shuffled_window_mass(torch.zeros(1, 28, 28))).all()


def test_locality_leaves_dead_units_out_and_counts_the_live_ones():
    maps = torch.zeros(4, 28, 28)
    maps[0, 3:12, 3:12] = 1.0     # local: 1
    maps[1] = 1.0                 # uniform: 81 / 784
    mass, live = first_layer_locality(maps)
    assert live == 2 and mass == pytest.approx((1 + 81 / 784) / 2)
    mass, live = first_layer_locality(torch.zeros(2, 28, 28))
    assert live == 0 and mass != mass  # nan when every unit is dead


def test_the_support_keeping_null_places_weights_where_the_pixels_vary():
    maps = torch.rand(200, 28, 28) * (torch.rand(200, 28, 28, generator=torch.Generator().manual_seed(1)) < 0.03)
    var = torch.zeros(28, 28)
    var[10:19, 10:19] = 1.0  # only a 9x9 patch varies (a tiny digit area)
    few = maps.flatten(1).count_nonzero(1) <= 81
    null = support_window_mass(maps, var, seed=0)
    assert torch.allclose(null[few], torch.ones(int(few.sum()), dtype=torch.float64))  # all inside the patch
    flat = support_window_mass(maps, torch.ones(28, 28), seed=0)  # constant variance: the shuffled null
    assert abs(flat.nanmean() - shuffled_window_mass(maps, seed=0).nanmean()) < 0.01
    assert flat.nanmean() < 0.5
    weight = torch.rand(28, 28)
    assert support_window_mass(maps, weight, seed=3).equal(support_window_mass(maps, weight, seed=3))  # seeded
    assert not support_window_mass(maps, weight, seed=3).equal(support_window_mass(maps, weight, seed=4))
    assert support_window_mass(torch.zeros(2, 28, 28), var).isnan().all()  # dead units stay nan


def test_pruning_keeps_each_units_largest_weights():
    w = torch.tensor([[0.1, -3.0, 2.0, 0.5], [1.0, 2.0, -4.0, 3.0], [5.0, 1.0, 1.0, 1.0]])
    pruned = prune_per_unit(w, torch.tensor([2, 1, 0]))
    assert pruned.tolist() == [[0.0, -3.0, 2.0, 0.0], [0.0, 0.0, -4.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    assert prune_per_unit(w, torch.tensor([4, 4, 4])).equal(w)
    with pytest.raises(ValueError, match="one count per unit"):
        prune_per_unit(w, torch.tensor([1, 2]))
    model = nn.Sequential(nn.Linear(4, 3))
    with torch.no_grad():
        model[0].weight.copy_(pruned)
    assert unit_nonzero(model).tolist() == [2, 1, 0]
