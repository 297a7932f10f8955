"""Study 5 (d'Ascoli, Sagun, Bruna, Biroli, NeurIPS 2019): finding the needle in the haystack.

A CNN trained for t_w epochs is switched to its equivalent fully connected net (eFCN: every
convolution written as the dense matrix of its input Jacobian) or to its locally connected
net (eLCN), which compute exactly the same function, and training goes on unconstrained.

The VanillaCNN of the authors' code, `channels` wide (64 in the paper): pad 2, conv 4x4
stride 2, maxpool 3/2; pad 2, conv 5x5, maxpool 3/2; pad 1, conv 3x3, maxpool 3/2; linear
channels -> 10; ReLU after every conv. Here the padding is inside each convolution, so the
eFCN's matrices have no columns for padded zeros: 73.9M weights at 64 channels where the
authors' separate padding layers give 110.6M (`param_counts` reports both). Either is an
exact embedding; ours is the smaller.
"""
from __future__ import annotations

from torch import nn

from nblib import embed

__all__ = ["LAYERS", "vanilla_cnn", "param_counts", "release"]

# (kernel, stride, padding) of the three convolutions; each is followed by ReLU and maxpool 3/2
LAYERS = ((4, 2, 2), (5, 1, 2), (3, 1, 1))


def vanilla_cnn(channels: int = 64, in_channels: int = 3, classes: int = 10) -> nn.Sequential:
    """The authors' VanillaCNN for 32x32 inputs, padding inside the convolutions."""
    layers, width = [], in_channels
    for kernel, stride, padding in LAYERS:
        layers += [nn.Conv2d(width, channels, kernel, stride, padding), nn.ReLU(), nn.MaxPool2d(3, 2)]
        width = channels
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels, classes))


def _shapes(channels: int, in_channels: int, side: int):
    """(input channels, input side, padding, output side) of each convolution."""
    out, width = [], in_channels
    for kernel, stride, padding in LAYERS:
        conv_side = (side + 2 * padding - kernel) // stride + 1
        out.append((width, side, padding, conv_side))
        side, width = (conv_side - 3) // 2 + 1, channels
    return out, side


def param_counts(channels: int = 64, in_channels: int = 3, side: int = 32, classes: int = 10) -> dict[str, int]:
    """Parameters of the CNN, of our eFCN and of the authors' eFCN (padding as separate layers),
    from the layer shapes (nothing is built)."""
    convs, last = _shapes(channels, in_channels, side)
    if last != 1:
        raise ValueError(f"VanillaCNN needs inputs whose last feature map is 1x1, got {last}x{last}")
    head = channels * classes + classes
    cnn = sum(w * channels * k * k + channels for (w, _, _, _), (k, _, _) in zip(convs, LAYERS)) + head
    ours = sum(w * s * s * channels * o * o + channels * o * o for w, s, _, o in convs) + head
    authors = sum(w * (s + 2 * p) ** 2 * channels * o * o + channels * o * o for w, s, p, o in convs) + head
    return {"CNN": cnn, "eFCN (padding inside)": ours, "eFCN (authors: padding layers)": authors}


def release(cnn: nn.Module, to: str = "efcn", input_shape=(3, 32, 32)) -> nn.Module:
    """A copy of the CNN as its eFCN ("efcn") or eLCN ("elcn"): the same function, untied weights."""
    if to == "efcn":
        return embed.efcn(cnn, input_shape)
    if to == "elcn":
        return embed.elcn(cnn, input_shape)
    raise ValueError(f"to must be 'efcn' or 'elcn', got {to!r}")
