"""Counting and locating the weights that beta-LASSO leaves: non-zeros per layer and the
spatial spread of first-layer filters."""
from __future__ import annotations

import torch
from torch import nn

from nblib.layers import LocallyConnected2d


def weight_layers(model: nn.Module) -> list[nn.Module]:
    """The Linear, Conv2d and LocallyConnected2d layers of a model, in order."""
    return [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d, LocallyConnected2d))]


def nonzero_per_layer(model: nn.Module) -> list[int]:
    """Number of non-zero weights (biases excluded) of each weight layer."""
    return [int((m.weight != 0).sum()) for m in weight_layers(model)]


def first_layer_maps(model: nn.Module, in_channels: int, side: int) -> torch.Tensor:
    """Each first-layer unit's weights as an image over the input: (units, side, side), |w| summed over channels.

    For a dense first layer a unit is a row of the matrix; for a locally connected one, a
    (position, output channel) pair whose kernel is placed where it reads the input.
    """
    layer = weight_layers(model)[0]
    if isinstance(layer, nn.Linear):
        return layer.weight.detach().abs().view(-1, in_channels, side, side).sum(1)
    if isinstance(layer, LocallyConnected2d):
        from nblib.embed import to_dense
        linear, _ = to_dense(layer)
        maps = linear.weight.detach().abs().view(layer.out_channels, *layer.out_size, in_channels, side, side)
        return maps.sum(3).flatten(0, 2)
    raise TypeError(f"first layer {type(layer).__name__} has no per-unit input map")


def spatial_spread(maps: torch.Tensor) -> torch.Tensor:
    """Radius of gyration of each map's weight mass, in pixels: (units,). Small = local.

    sqrt(sum_p m(p) |p - centre|^2 / sum_p m(p)) with centre the map's centre of mass; a
    unit with no weight left gets nan.
    """
    units, h, w = maps.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=maps.dtype), torch.arange(w, dtype=maps.dtype), indexing="ij")
    mass = maps.sum((1, 2))
    cy, cx = (maps * ys).sum((1, 2)) / mass, (maps * xs).sum((1, 2)) / mass
    var = (maps * ((ys - cy[:, None, None]) ** 2 + (xs - cx[:, None, None]) ** 2)).sum((1, 2)) / mass
    return var.sqrt()


def window_mass(maps: torch.Tensor, k: int = 9) -> torch.Tensor:
    """Share of each map's weight mass inside its best k x k window: (units,). 1 = local.

    The window slides over every position where it fits in the image; a unit with no weight
    left (a dead unit) gets nan, so that callers decide how to count it.
    """
    units, h, w = maps.shape
    if not 1 <= k <= min(h, w):
        raise ValueError(f"window side k must be in 1..{min(h, w)}, got {k}")
    maps = maps.double()
    windows = torch.nn.functional.avg_pool2d(maps[:, None], k, stride=1)[:, 0] * (k * k)  # sums over each window
    mass = maps.sum((1, 2))
    share = windows.flatten(1).max(1).values / mass
    return torch.where(mass > 0, share, torch.full_like(share, float("nan")))


def uniform_window_mass(area: torch.Tensor, k: int = 9) -> float:
    """The window mass of a map spread evenly over `area` (a (side, side) bool mask, e.g. the
    pixels where the images vary): the baseline a filter with no locality would reach."""
    if not area.any():
        raise ValueError("uniform_window_mass needs a non-empty area")
    return window_mass(area[None].double(), k).item()


def active_area(images: torch.Tensor, threshold: float = 0.0) -> torch.Tensor:
    """(side, side) mask of the pixels whose value varies over `images` (N, C, side, side) by
    more than `threshold` (standard deviation, any channel): MNIST's digit area, all of CIFAR."""
    return images.float().std(0).amax(0) > threshold
