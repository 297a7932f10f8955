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


def support_window_mass(maps: torch.Tensor, pixel_var: torch.Tensor, seed: int = 0, k: int = WINDOW) -> torch.Tensor:
    """The window mass of each map after moving its non-zero pixels to random places drawn in
    proportion to the pixels' variance over the training images: (units,).

    A null that keeps the data's support: under L1 a weight on a pixel that never varies gets
    no gradient and dies, so a unit with no locality at all still ends up on the pixels that
    vary (MNIST's digit area). Each unit's k non-zero values, in random order, go to k distinct
    pixels sampled without replacement with probability proportional to `pixel_var` (side, side)
    (Efraimidis-Spirakis keys); pixels of zero variance are used only once the others run out.
    With a constant variance this is `shuffled_window_mass`'s null.
    """
    units = maps.shape[0]
    flat = maps.flatten(1)
    generator = torch.Generator().manual_seed(seed)
    weight = pixel_var.flatten().double().clamp_min(0)[None]
    keys = torch.rand(units, flat.shape[1], generator=generator, dtype=torch.float64).log() / weight
    places = torch.argsort(keys, dim=1, descending=True)  # pixel of the j-th draw
    order = torch.argsort(torch.where(flat > 0, torch.rand(flat.shape, generator=generator, dtype=flat.dtype),
                                      torch.full_like(flat, -1.0)), dim=1, descending=True)
    values = flat.gather(1, order)  # non-zero values first, in random order
    return window_mass(torch.zeros_like(flat).scatter(1, places, values).view_as(maps), k)


def prune_per_unit(weight: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """`weight` (units, inputs) with each row cut to its `keep[u]` largest |weights| (the rest
    zero): magnitude pruning of a trained layer, unit by unit, to a given sparsity."""
    if keep.shape != weight.shape[:1]:
        raise ValueError(f"keep must give one count per unit ({weight.shape[0]}), got shape {tuple(keep.shape)}")
    size = weight.abs()
    ranked = size.sort(dim=1, descending=True).values
    cut = ranked.gather(1, (keep.long().clamp(1, weight.shape[1]) - 1)[:, None])  # the keep[u]-th largest
    kept = (size >= cut) & (keep[:, None] > 0)
    return torch.where(kept, weight, torch.zeros_like(weight))


def unit_nonzero(model: nn.Module) -> torch.Tensor:
    """Non-zero weights of each first-layer unit of a dense first layer: (units,)."""
    layer = weight_layers(model)[0]
    if not isinstance(layer, nn.Linear):
        raise TypeError(f"unit_nonzero needs a dense first layer, got {type(layer).__name__}")
    return (layer.weight != 0).sum(1)
