"""Counting and locating the weights that beta-LASSO leaves: non-zeros per layer, and how
local each first-layer unit is (the share of its |weight| mass in its best k x k window, with
the baselines that say what a non-local unit would reach)."""
from __future__ import annotations

import torch
from torch import nn

from nblib.layers import LocallyConnected2d

WINDOW = 9  # S-CONV's kernel side: the window of the locality measure


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


def window_mass(maps: torch.Tensor, k: int = WINDOW) -> torch.Tensor:
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


def uniform_window_mass(area: torch.Tensor, k: int = WINDOW) -> float:
    """The window mass of a map spread evenly over `area` (a (side, side) bool mask, e.g. the
    pixels where the images vary): the baseline a filter with no locality would reach."""
    if not area.any():
        raise ValueError("uniform_window_mass needs a non-empty area")
    return window_mass(area[None].double(), k).item()


def active_area(images: torch.Tensor, threshold: float = 0.0) -> torch.Tensor:
    """(side, side) mask of the pixels whose value varies over `images` (N, C, side, side) by
    more than `threshold` (standard deviation, any channel): MNIST's digit area, all of CIFAR."""
    return images.float().std(0).amax(0) > threshold


def shuffled_window_mass(maps: torch.Tensor, seed: int = 0, k: int = WINDOW) -> torch.Tensor:
    """The window mass of each map after a random permutation of its pixels: (units,).

    The same weights at random places: what a unit as sparse as this one reaches with no
    locality at all (a sparse unit has a higher window mass than a uniform one by chance).
    """
    units = maps.shape[0]
    flat = maps.flatten(1)
    order = torch.argsort(torch.rand(units, flat.shape[1], generator=torch.Generator().manual_seed(seed)), dim=1)
    return window_mass(flat.gather(1, order).view_as(maps), k)


def first_layer_locality(maps: torch.Tensor, k: int = WINDOW) -> tuple[float, int]:
    """(mean window mass over live units, number of live units) of first-layer maps; a unit
    is live while any of its weights is non-zero, dead units are left out (nan if all are)."""
    mass = window_mass(maps, k)
    live = ~mass.isnan()
    return (mass[live].mean().item() if live.any() else float("nan")), int(live.sum())
