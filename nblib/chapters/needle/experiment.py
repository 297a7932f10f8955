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

import copy
import time
from dataclasses import dataclass

import torch
from torch import nn

from nblib import data as datasets
from nblib import embed
from nblib.params import TRAINING_COPIES, ParameterError, check_memory, param
from nblib.train import balanced_evaluate, evaluate, fit

__all__ = ["LAYERS", "vanilla_cnn", "param_counts", "release", "Release", "train", "Chapter",
           "masked", "ALPHAS", "first_units"]
TARGETS = ("cnn", "efcn", "elcn", "fcn", "elcn-efcn")
DATASETS = ("cifar10", "mnist")
ALPHAS = tuple(i / 8 for i in range(9))  # interpolation path: 0 = the released CNN, 1 = the trained eFCN
N_UNITS = 4  # first-layer units whose off-local weights are returned (see first_units)

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
    """One run of `epochs` epochs in all: the CNN for t_w epochs, then `to` for the rest.

    to = "cnn": the CNN throughout (t_w is ignored); "efcn" / "elcn": released at t_w into the
    exact dense / locally connected embedding; "fcn": the eFCN's architecture from a random
    initialisation (the authors' vanilla FCN; t_w is ignored); "elcn-efcn": the hierarchical
    release, CNN -> eLCN at t_w -> eFCN at t_2. SGD at a constant lr, no momentum, no
    augmentation (the authors' code).
    """
    to: str = "efcn"
    t_w: int = 0
    t_2: int = 0
    channels: int = 16
    epochs: int = 20
    batch_size: int = 250
    lr: float = 0.1
    train_per_class: int = 0
    seed: int = 0
    dataset: str = "cifar10"

    def reads(self) -> tuple[str, ...]:
        return (self.dataset,)

    def phases(self) -> list[tuple[str, int]]:
        """(architecture, epoch it trains until) for each phase of the run."""
        if self.to not in TARGETS:
            raise ValueError(f"to must be one of {TARGETS}, got {self.to!r}")
        if self.to in ("cnn", "fcn"):
            return [(self.to, self.epochs)]
        if self.to == "elcn-efcn":
            if not 0 <= self.t_w < self.t_2 < self.epochs:
                raise ValueError(f"elcn-efcn needs 0 <= t_w < t_2 < epochs, got {self.t_w}, {self.t_2}, {self.epochs}")
            return [("cnn", self.t_w), ("elcn", self.t_2), ("efcn", self.epochs)]
        return [("cnn", self.t_w), (self.to, self.epochs)]


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


def masked(model: nn.Module, keep: str) -> nn.Module:
    """A copy of a dense model keeping only the "local" or only the "off-local" weights of every
    embedded layer (biases and the last linear layer unchanged)."""
    if keep not in ("local", "off-local"):
        raise ValueError(f"keep must be 'local' or 'off-local', got {keep!r}")
    out = copy.deepcopy(model)
    with torch.no_grad():
        for module in out.modules():
            if isinstance(module, embed.DenseEmbedded):
                module.linear.weight.mul_(module.local_mask if keep == "local" else ~module.local_mask)
    return out


def first_units(model: nn.Module, n: int = N_UNITS) -> torch.Tensor:
    """Row indices of the first dense layer's units drawn as silhouettes: the unit at the centre
    of the output map in each of the first n channels."""
    first = next(m for m in model.modules() if isinstance(m, embed.DenseEmbedded))
    c, h, w = first.out_shape
    return torch.arange(min(n, c)) * h * w + (h // 2) * w + w // 2


def _interpolation(model, start: dict, x, y) -> dict:
    """Test loss and accuracy along the straight line from `start` (alpha 0) to the model's
    weights (alpha 1); the model ends with its own weights."""
    end = {k: v.detach().clone() for k, v in model.state_dict().items()}
    loss, acc = [], []
    for alpha in ALPHAS:
        model.load_state_dict({k: torch.lerp(start[k], v, alpha) if v.is_floating_point() else v
                               for k, v in end.items()})
        l, a = balanced_evaluate(model, x, y)
        loss.append(l)
        acc.append(a)
    model.load_state_dict(end)
    return {"loss": torch.tensor(loss), "acc": torch.tensor(acc)}


def train(run: Release, device: torch.device = torch.device("cpu"), progress: bool = True) -> dict:
    """Train one run; per-epoch train loss, class-balanced test loss and accuracy, delta after a dense release,
    and what the trained dense net is made of.

    The first t_w epochs train the CNN exactly as the CNN run does (same seed, same batch
    order), so every release starts from the CNN run's own snapshot. For a dense end model
    (efcn, fcn, elcn-efcn) also: test accuracy with only its local / only its off-local weights,
    the off-local part of the first layer's `first_units` (what was learned since the release),
    and, for efcn, test loss and accuracy along the line from the released CNN to the trained eFCN.
    """
    phases = run.phases()
    start = time.perf_counter()
    x, y, x_test, y_test = _split(run, device)
    shape = tuple(x.shape[1:])
    torch.manual_seed(run.seed)
    model = vanilla_cnn(run.channels, shape[0], int(y.max()) + 1).to(device)
    curves = {"train_loss": [], "test_loss": [], "test_acc": [], "delta": []}
    out = {"run": run, "t_w": phases[0][1] if len(phases) > 1 else 0, "switch_gap": [], "switch_loss": []}
    epoch, released = 0, None
    for i, (arch, until) in enumerate(phases):
        if arch != "cnn" and i > 0:  # an exact release of the model trained so far
            previous = model
            model = release(previous, arch, shape).to(device)
            with torch.no_grad():
                probe = x_test[:500]
                out["switch_gap"].append((model(probe) - previous(probe)).abs().max().item())
                out["switch_loss"].append((evaluate(model, probe, y_test[:500])[0],
                                           evaluate(previous, probe, y_test[:500])[0]))
            del previous
        elif arch == "fcn":
            model = _random_dense(release(model, "efcn", shape)).to(device)
        dense = arch in ("efcn", "fcn")
        if dense:
            out["delta_at_release"] = embed.off_local_ratio(model)
            released = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if until > epoch:
            hooks = {"test": lambda m: balanced_evaluate(m, x_test, y_test)}
            if dense:
                hooks["delta"] = embed.off_local_ratio
            history = fit(model, x, y, epochs=until - epoch, batch_size=run.batch_size, seed=run.seed + i,
                          optimizer=torch.optim.SGD(model.parameters(), lr=run.lr), hooks=hooks,
                          progress=f"{arch} epochs {epoch}-{until}" if progress else False)
            curves["train_loss"] += history["train_loss"]
            curves["test_loss"] += [loss for loss, _ in history["test"]]
            curves["test_acc"] += [acc for _, acc in history["test"]]
            curves["delta"] += history["delta"] if dense else [float("nan")] * (until - epoch)
        epoch = until
    out.update({k: torch.tensor(v) for k, v in curves.items()})
    out["n_params"] = sum(p.numel() for p in model.parameters())
    if released is not None:
        out["parts"] = {keep: balanced_evaluate(masked(model, keep), x_test, y_test)[1] for keep in ("local", "off-local")}
        name, first = next((n, m) for n, m in model.named_modules() if isinstance(m, embed.DenseEmbedded))
        units = first_units(model)
        learned = first.linear.weight.detach()[units] - released[f"{name}.linear.weight"][units]
        off_local = learned.masked_fill(first.local_mask[units], 0)
        out["silhouettes"] = off_local.view(len(units), *shape).cpu()
    if run.to == "efcn":
        out["interpolation"] = _interpolation(model, released, x_test, y_test)
    out["seconds"] = time.perf_counter() - start
    return out


@dataclass(frozen=True)
class Chapter:
    """The chapter's parameters (the paper: channels 64, 150 epochs, t_w in {0, 2, 4, 8, 13,
    23, 40, 67, 115}, the whole CIFAR-10)."""
    channels: int = param(16, ge=1, le=256)
    epochs: int = param(15, ge=1)
    t_w: tuple[int, ...] = param((0, 2, 5, 10), ge=0, nonempty=True)
    t_lcn: tuple[int, ...] = param((2,), ge=0)
    seeds: int = param(3, ge=1, le=100)
    batch_size: int = param(250, ge=1)
    lr: float = param(0.1, gt=0.0)
    train_per_class: int = param(0, ge=0)
    dataset: str = param("cifar10", choices=DATASETS)

    def validate(self) -> None:
        late = [t for t in self.t_w if t >= self.epochs]
        if late:
            raise ParameterError(f"parameter 't_w': got {list(self.t_w)}; every release time must be "
                                 f"< epochs ({self.epochs}), {late} are not")
        orphans = [t for t in self.t_lcn if t >= max(self.t_w)]
        if orphans:
            raise ParameterError(f"parameter 't_lcn': got {list(self.t_lcn)}; each eLCN release time must be "
                                 f"< the largest t_w ({max(self.t_w)}), the eFCN release that follows it; "
                                 f"{orphans} are not")
        images = len(datasets.load(self.dataset, True).labels)
        images = min(images, 10 * self.train_per_class) if self.train_per_class else images
        if self.batch_size > images:
            raise ParameterError(f"parameter 'batch_size': got {self.batch_size:,}; at most the training images "
                                 f"({images:,} here on {self.dataset}): a batch cannot hold more images than there are")
        batch = self.batch_size
        convs, _ = _shapes(self.channels, 3, 32)
        per_image = 3 * 32 * 32 + sum(self.channels * o * o for _, _, _, o in convs)  # input and conv outputs
        weights = 4 * param_counts(self.channels)["eFCN (padding inside)"]
        check_memory(("batch_size", "channels"), TRAINING_COPIES * weights + 3 * 4 * batch * per_image,
                     f"a step of the eFCN ({weights // 4:,} weights at {self.channels} channels, batch {batch:,})")
        if self.train_per_class:
            available = min(datasets.class_counts(datasets.load(self.dataset, True).labels))
            if self.train_per_class > available:
                raise ParameterError(f"parameter 'train_per_class': got {self.train_per_class}; {self.dataset} "
                                     f"here has at most {available} training images per class (0 = use all)")

    def runs(self) -> list[Release]:
        """Per seed: the CNN, the vanilla FCN, the eFCN and eLCN released at every t_w, and the
        hierarchical CNN -> eLCN (t_lcn) -> eFCN (t_w) for every later t_w."""
        common = dict(channels=self.channels, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                      train_per_class=self.train_per_class, dataset=self.dataset)
        out = []
        for seed in range(self.seeds):
            out += [Release("cnn", seed=seed, **common), Release("fcn", seed=seed, **common)]
            out += [Release(to, t, seed=seed, **common) for to in ("efcn", "elcn") for t in sorted(self.t_w)]
            out += [Release("elcn-efcn", t1, t2, seed=seed, **common)
                    for t1 in sorted(self.t_lcn) for t2 in sorted(self.t_w) if t2 > t1]
        return out
