import torch
from torch import nn

from nblib.layers import LocallyConnected2d
from nblib.chapters.beta_lasso.sparsity import first_layer_maps, nonzero_per_layer, spatial_spread


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


def test_spread_of_a_point_is_zero_and_of_a_spread_map_is_large():
    point = torch.zeros(1, 9, 9)
    point[0, 4, 4] = 1
    uniform = torch.ones(1, 9, 9)
    assert spatial_spread(point).item() == 0
    # radius of gyration of a 9x9 square: sqrt(2 * (81 - 1) / 12)
    assert abs(spatial_spread(uniform).item() - (2 * 80 / 12) ** 0.5) < 1e-5
    assert torch.isnan(spatial_spread(torch.zeros(1, 3, 3))).all()
