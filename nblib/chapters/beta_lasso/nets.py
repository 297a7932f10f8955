"""Study 2 (Neyshabur 2020, "Towards learning convolutions from scratch"): the S- and D- nets.

Every family comes in three connectivities with the same layer sizes: CONV (local, shared),
LOCAL (local, unshared: `LocallyConnected2d`) and FC (dense). alpha is the number of base
channels, s the image side, c the number of classes; BatchNorm + ReLU follow every layer but
the last; there is no pooling.

  S-CONV:  conv 9x9, alpha channels, stride 2, padding 4 -> fc 24*alpha -> fc c
  S-FC:    3 s^2 -> alpha s^2 / 4 -> 24 alpha -> c
  D-CONV:  eight 3x3 convs, (channels, stride) = (a,1),(2a,2),(2a,1),(4a,2),(4a,1),(8a,2),(8a,1),(16a,2)
           -> fc 64a -> fc c
  D-FC:    widths s^2 a, s^2 a / 2 (x2), s^2 a / 4 (x2), s^2 a / 8 (x2), s^2 a / 16, 64a, c
"""
from __future__ import annotations

from torch import nn

from nblib.layers import LocallyConnected2d

MODELS = ("s-conv", "s-local", "s-fc", "d-conv", "d-local", "d-fc")
D_LAYERS = ((1, 1), (2, 2), (2, 1), (4, 2), (4, 1), (8, 2), (8, 1), (16, 2))  # (channels / alpha, stride)


def _spatial(kind: str, c_in: int, c_out: int, side: int, kernel: int, stride: int, padding: int):
    """A conv or locally connected layer + BatchNorm + ReLU, and its output side."""
    out_side = (side + 2 * padding - kernel) // stride + 1
    layer = (nn.Conv2d(c_in, c_out, kernel, stride, padding) if kind == "conv"
             else LocallyConnected2d(c_in, c_out, side, kernel, stride, padding))
    return [layer, nn.BatchNorm2d(c_out), nn.ReLU()], out_side


def _dense(widths: list[int]) -> list[nn.Module]:
    """Linear layers through `widths`, BatchNorm + ReLU after all but the last."""
    layers = []
    for i, (d_in, d_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(d_in, d_out))
        if i < len(widths) - 2:
            layers += [nn.BatchNorm1d(d_out), nn.ReLU()]
    return layers


def make_model(name: str, alpha: int, side: int = 32, in_channels: int = 3, classes: int = 10) -> nn.Sequential:
    """One of MODELS for images (in_channels, side, side); `side` must be divisible by 16 for D nets."""
    if name not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {name!r}")
    family, kind = name.split("-")
    pixels = side * side
    if family == "s":
        if kind == "fc":
            return nn.Sequential(nn.Flatten(), *_dense([in_channels * pixels, alpha * pixels // 4, 24 * alpha, classes]))
        layers, out_side = _spatial(kind, in_channels, alpha, side, 9, 2, 4)
        return nn.Sequential(*layers, nn.Flatten(), *_dense([alpha * out_side ** 2, 24 * alpha, classes]))
    if side % 16:
        raise ValueError(f"D nets halve the image four times: side must be divisible by 16, got {side}")
    if kind == "fc":
        # layer i of D-FC has as many units as D-CONV's layer i has outputs
        widths = [in_channels * pixels] + [c * alpha * (side // _cum_stride(i)) ** 2
                                           for i, (c, _) in enumerate(D_LAYERS)]
        return nn.Sequential(nn.Flatten(), *_dense(widths + [64 * alpha, classes]))
    layers, c_in, s = [], in_channels, side
    for c, stride in D_LAYERS:
        block, s = _spatial(kind, c_in, c * alpha, s, 3, stride, 1)
        layers += block
        c_in = c * alpha
    return nn.Sequential(*layers, nn.Flatten(), *_dense([c_in * s * s, 64 * alpha, classes]))


def _cum_stride(i: int) -> int:
    """Product of the D-net strides up to and including layer i."""
    total = 1
    for _, stride in D_LAYERS[:i + 1]:
        total *= stride
    return total


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
