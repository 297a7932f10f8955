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

import time
from dataclasses import dataclass

import torch
from torch import nn

from nblib import data as datasets
from nblib import embed
from nblib.train import evaluate, fit

__all__ = ["LAYERS", "vanilla_cnn", "param_counts", "release", "Release", "train"]
TARGETS = ("cnn", "efcn", "elcn", "fcn")

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


@dataclass(frozen=True)
class Release:
    """One run: the CNN trained for t_w epochs, then released into `to` for the rest of `epochs`.

    to = "cnn": the CNN throughout (t_w is ignored); "fcn": the eFCN's architecture from a
    random initialisation (the authors' vanilla FCN; t_w is ignored). SGD at a constant lr,
    no momentum, no augmentation (the authors' code).
    """
    to: str = "efcn"
    t_w: int = 0
    channels: int = 16
    epochs: int = 20
    batch_size: int = 250
    lr: float = 0.1
    train_per_class: int = 0
    seed: int = 0
    dataset: str = "cifar10"

    def reads(self) -> tuple[str, ...]:
        return (self.dataset,)


def _split(run: Release, device):
    train, test = datasets.load(run.dataset, True), datasets.load(run.dataset, False)
    idx = (datasets.balanced_subset(train.labels, run.train_per_class, run.seed)
           if run.train_per_class else torch.arange(len(train)))
    x = train.float()[idx]
    mean, std = x.mean((0, 2, 3), keepdim=True), x.std((0, 2, 3), keepdim=True)
    return ((x - mean) / std).to(device), train.labels[idx].to(device), \
        ((test.float() - mean) / std).to(device), test.labels.to(device)


def _random_dense(efcn: nn.Module) -> nn.Module:
    """The eFCN's architecture with every dense layer re-initialised (PyTorch's Linear default)."""
    for module in efcn.modules():
        if isinstance(module, embed.DenseEmbedded):
            module.linear.reset_parameters()
    return efcn


def train(run: Release, device: torch.device = torch.device("cpu"), progress: bool = True) -> dict:
    """Train one run; per-epoch train loss, test loss and accuracy, and (after the release) delta.

    The first t_w epochs train the CNN exactly as the CNN run does (same seed, same batch
    order), so every release starts from the CNN run's own snapshot.
    """
    if run.to not in TARGETS:
        raise ValueError(f"to must be one of {TARGETS}, got {run.to!r}")
    start = time.perf_counter()
    x, y, x_test, y_test = _split(run, device)
    shape = tuple(x.shape[1:])
    torch.manual_seed(run.seed)
    model = vanilla_cnn(run.channels, shape[0], int(y.max()) + 1).to(device)
    t_w = {"cnn": run.epochs, "fcn": 0}.get(run.to, run.t_w)
    curves = {"train_loss": [], "test_loss": [], "test_acc": []}

    def phase(model, epochs, seed, label, hooks=None):
        history = fit(model, x, y, epochs=epochs, batch_size=run.batch_size, seed=seed,
                      optimizer=torch.optim.SGD(model.parameters(), lr=run.lr), val=(x_test, y_test),
                      hooks=hooks, progress=f"{label}" if progress else False)
        curves["train_loss"] += history["train_loss"]
        curves["test_loss"] += history["val_loss"]
        curves["test_acc"] += history["val_acc"]
        return history

    if t_w > 0:
        phase(model, t_w, run.seed, f"CNN to t_w={t_w}")
    out = {"run": run, "t_w": t_w, "n_params": sum(p.numel() for p in model.parameters())}
    if run.to != "cnn":
        cnn = model
        model = release(cnn, "efcn" if run.to == "fcn" else run.to, shape).to(device)
        if run.to == "fcn":
            model = _random_dense(model)
        with torch.no_grad():
            probe = x_test[:500]
            out["switch_gap"] = (model(probe) - cnn(probe)).abs().max().item()
            out["switch_loss"] = (evaluate(model, probe, y_test[:500])[0], evaluate(cnn, probe, y_test[:500])[0])
        del cnn
        hooks = {"delta": embed.off_local_ratio} if run.to in ("efcn", "fcn") else None
        history = phase(model, run.epochs - t_w, run.seed + 1, f"{run.to} after t_w={t_w}", hooks)
        out["delta"] = history["delta"] if hooks else []
        out["n_params"] = sum(p.numel() for p in model.parameters())
    out.update({k: torch.tensor(v) for k, v in curves.items()})
    out["seconds"] = time.perf_counter() - start
    return out
