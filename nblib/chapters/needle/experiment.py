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

__all__ = ["LAYERS", "LR_CONTROLS", "vanilla_cnn", "param_counts", "positions", "release", "Release", "train",
           "Chapter", "masked", "ALPHAS", "first_units", "capped_subset", "local_change"]
TARGETS = ("cnn", "efcn", "elcn", "fcn", "elcn-efcn", "cnn-lr")
# The learning-rate controls: the CNN continued from t_w at a reduced rate. "positions": every conv layer's lr
# divided by its number of output positions (the factor by which untying slows a shared kernel's motion);
# "0.1", "0.01": the whole net at lr x 0.1, x 0.01.
LR_CONTROLS = ("positions", "0.1", "0.01")
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


def positions(in_channels: int = 3, side: int = 32) -> tuple[int, ...]:
    """Output positions of each convolution (289, 64 and 9 at 32x32 input): how many copies of
    its kernel the eFCN and the eLCN hold."""
    convs, _ = _shapes(1, in_channels, side)
    return tuple(o * o for _, _, _, o in convs)


def _reduced_lr(cnn: nn.Sequential, lr: float, control: str, side: int) -> list[dict]:
    """Parameter groups of the CNN continued at a reduced learning rate (one of LR_CONTROLS)."""
    if control != "positions":
        return [{"params": list(cnn.parameters()), "lr": lr * float(control)}]
    convs = [m for m in cnn if isinstance(m, nn.Conv2d)]
    groups = [{"params": list(m.parameters()), "lr": lr / p}
              for m, p in zip(convs, positions(convs[0].in_channels, side))]
    head = [p for m in cnn if not isinstance(m, nn.Conv2d) for p in m.parameters()]
    return groups + [{"params": head, "lr": lr}]


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
    release, CNN -> eLCN at t_w -> eFCN at t_2; "cnn-lr": the CNN continued from t_w at the
    reduced learning rate `control` (one of LR_CONTROLS), with the batch order a release at t_w
    sees, so it pairs with that release. SGD at a constant lr, no momentum, no augmentation
    (the authors' code). `test_per_class`: test images per class (at most; 0 = all), the same
    images for every run of a seed. `eval_every`: the test set is evaluated every that many epochs
    and at the first and last epoch of every phase (NaN in the other epochs): on the eFCN an
    evaluation costs about a fifth of a training epoch. `release_lr`: the released net (efcn, elcn,
    and the chain's eFCN) trains at lr times this after its last release (1: the paper's protocol).
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
    control: str = ""
    test_per_class: int = 0
    eval_every: int = 1
    release_lr: float = 1.0

    def reads(self) -> tuple[str, ...]:
        return (self.dataset,)

    def phases(self) -> list[tuple[str, int]]:
        """(architecture, epoch it trains until) for each phase of the run."""
        if self.to not in TARGETS:
            raise ValueError(f"to must be one of {TARGETS}, got {self.to!r}")
        if self.release_lr != 1.0 and self.to in ("cnn", "fcn", "cnn-lr"):
            raise ValueError(f"release_lr applies to a release (efcn, elcn, elcn-efcn), not to {self.to!r}")
        if self.to in ("cnn", "fcn"):
            return [(self.to, self.epochs)]
        if self.to == "cnn-lr":
            if self.control not in LR_CONTROLS:
                raise ValueError(f"control must be one of {LR_CONTROLS}, got {self.control!r}")
            return [("cnn", self.t_w), ("cnn-lr", self.epochs)]
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
    keep = capped_subset(test.labels, run.test_per_class) if run.test_per_class else torch.arange(len(test))
    return ((x - mean) / std).to(device), train.labels[idx].to(device), \
        ((test.float()[keep] - mean) / std).to(device), test.labels[keep].to(device)


def capped_subset(labels: torch.Tensor, per_class: int) -> torch.Tensor:
    """Indices of the first `per_class` examples of every class (all of a class that has fewer)."""
    return torch.cat([(labels == c).nonzero().squeeze(1)[:per_class] for c in labels.unique(sorted=True).tolist()])


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


def local_change(model: nn.Module, start: dict) -> float:
    """||θ_local(T) - θ_local(t_w)|| / ||θ_local(t_w)|| over the local weights of every embedded
    dense layer: how far the weights inside the receptive fields moved since the release."""
    moved, norm = 0.0, 0.0
    for name, module in model.named_modules():
        if isinstance(module, embed.DenseEmbedded):
            mask = module.local_mask
            before = start[f"{name}.linear.weight"][mask]
            moved += (module.linear.weight.detach()[mask] - before).pow(2).sum().item()
            norm += before.pow(2).sum().item()
    return (moved / norm) ** 0.5


def _eval_epochs(start: int, until: int, every: int) -> set[int]:
    """The epochs (counted from 1) of a phase that trains from epoch `start` to `until` whose end
    is evaluated: every `every`-th epoch of the run, and the phase's first and last."""
    return {e for e in range(start + 1, until + 1) if e % every == 0 or e in (start + 1, until)}


def _sparse(hook, epochs: set[int], start: int):
    """A per-epoch hook that runs only at `epochs` (counted from 1 over the whole run) and returns
    (NaN, NaN) at the others; the phase starts after epoch `start`."""
    counter = iter(range(start + 1, 10 ** 9))
    return lambda model: hook(model) if next(counter) in epochs else (float("nan"), float("nan"))


def _cnn_at_end(run: Release, x, y, shape, device) -> dict:
    """The weights of the CNN run of this seed after all its epochs (replayed: the same
    initialisation and batch order), embedded as an eFCN: the start of the second
    interpolation path."""
    torch.manual_seed(run.seed)
    cnn = vanilla_cnn(run.channels, shape[0], int(y.max()) + 1).to(device)
    fit(cnn, x, y, epochs=run.epochs, batch_size=run.batch_size, seed=run.seed,
        optimizer=torch.optim.SGD(cnn.parameters(), lr=run.lr), progress=False)
    return {k: v.detach().clone() for k, v in release(cnn, "efcn", shape).to(device).state_dict().items()}


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
        if arch not in ("cnn", "cnn-lr") and i > 0:  # an exact release of the model trained so far
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
            hooks = {"test": _sparse(lambda m: balanced_evaluate(m, x_test, y_test),
                                     _eval_epochs(epoch, until, run.eval_every), epoch)}
            if dense:
                hooks["delta"] = embed.off_local_ratio
            groups = _reduced_lr(model, run.lr, run.control, shape[-1]) if arch == "cnn-lr" else model.parameters()
            lr = run.lr * (run.release_lr if i == len(phases) - 1 and arch in ("efcn", "elcn") else 1.0)
            history = fit(model, x, y, epochs=until - epoch, batch_size=run.batch_size, seed=run.seed + i,
                          optimizer=torch.optim.SGD(groups, lr=lr), hooks=hooks,
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
        out["local_change"] = local_change(model, released)
    if run.to == "efcn":
        out["interpolation"] = _interpolation(model, released, x_test, y_test)
        out["interpolation_end"] = _interpolation(model, _cnn_at_end(run, x, y, shape, device), x_test, y_test)
    out["seconds"] = time.perf_counter() - start
    return out


@dataclass(frozen=True)
class Chapter:
    """The chapter's parameters; the defaults are the published run's (the paper: channels 64,
    150 epochs, t_w in {0, 2, 4, 8, 13, 23, 40, 67, 115}, batch 250, the whole CIFAR-10; here a
    class-balanced 70 images per class and batch 100, so that the CNN reaches zero training loss
    within the 150 epochs, and three of the paper's nine release times, 0, 23 and 115: the first,
    an intermediate one and the last).
    t_chain: the eFCN release times of the CNN -> eLCN (t_lcn) -> eFCN chain (empty: every t_w).
    eval_every: the test set is evaluated every that many epochs (and at each phase's ends).
    slow_release: the released nets also trained at lr times this after the release (0: not run), from every
    t_w > 0 and every chain: at the paper's rate, releases close to convergence diverged here."""
    channels: int = param(16, ge=1, le=256)
    epochs: int = param(150, ge=1)
    t_w: tuple[int, ...] = param((0, 23, 115), ge=0, nonempty=True)
    t_lcn: tuple[int, ...] = param((23,), ge=0)
    t_chain: tuple[int, ...] = param((115,), ge=0)
    lr_controls: tuple[str, ...] = param(LR_CONTROLS, choices=LR_CONTROLS)
    seeds: int = param(3, ge=1, le=100)
    batch_size: int = param(100, ge=1)
    lr: float = param(0.1, gt=0.0)
    train_per_class: int = param(70, ge=0)
    test_per_class: int = param(100, ge=0)
    dataset: str = param("cifar10", choices=DATASETS)
    eval_every: int = param(5, ge=1)
    slow_release: float = param(0.1, ge=0.0, le=1.0)

    def validate(self) -> None:
        if self.slow_release == 1.0:
            raise ParameterError("parameter 'slow_release': got 1; the releases at the paper's rate are always run, "
                                 "so give a factor below 1 (0.1: lr / 10 after the release) or 0 for none")
        late = [t for t in self.t_w if t >= self.epochs]
        if late:
            raise ParameterError(f"parameter 't_w': got {list(self.t_w)}; every release time must be "
                                 f"< epochs ({self.epochs}), {late} are not")
        strays = [t for t in self.t_chain if t not in self.t_w]
        if strays:
            raise ParameterError(f"parameter 't_chain': got {list(self.t_chain)}; each chain's eFCN release time must "
                                 f"be one of t_w {sorted(self.t_w)} (the chain is compared with that release), "
                                 f"{strays} are not")
        orphans = [t for t in self.t_lcn if t >= max(self.t_chain or self.t_w)]
        if orphans:
            raise ParameterError(f"parameter 't_lcn': got {list(self.t_lcn)}; each eLCN release time must be "
                                 f"< the largest eFCN release time of the chain ({max(self.t_chain or self.t_w)}, t_chain or else "
                                 f"t_w), the release that follows it; "
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
        """Per seed: the CNN, the vanilla FCN, the eFCN and eLCN released at every t_w, the CNN
        continued from every t_w at each reduced learning rate of `lr_controls`, and the
        hierarchical CNN -> eLCN (t_lcn) -> eFCN (t_chain, or every t_w when empty) for every later
        eFCN time."""
        common = dict(channels=self.channels, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                      train_per_class=self.train_per_class, test_per_class=self.test_per_class,
                      dataset=self.dataset, eval_every=self.eval_every)
        out = []
        for seed in range(self.seeds):
            out += [Release("cnn", seed=seed, **common), Release("fcn", seed=seed, **common)]
            out += [Release(to, t, seed=seed, **common) for to in ("efcn", "elcn") for t in sorted(self.t_w)]
            out += [Release("cnn-lr", t, seed=seed, control=c, **common)
                    for c in self.lr_controls for t in sorted(self.t_w)]
            chains = [(t1, t2) for t1 in sorted(self.t_lcn) for t2 in sorted(self.t_chain or self.t_w) if t2 > t1]
            out += [Release("elcn-efcn", t1, t2, seed=seed, **common) for t1, t2 in chains]
            if self.slow_release:
                slow = dict(common, release_lr=self.slow_release)
                out += [Release("efcn", t, seed=seed, **slow) for t in sorted(self.t_w) if t > 0]
                out += [Release("elcn-efcn", t1, t2, seed=seed, **slow) for t1, t2 in chains]
        return out

    def dense_epochs(self) -> int:
        """Epochs of eFCN-sized nets (vanilla FCN, eFCNs, chains after their eFCN release) in one seed."""
        return sum(r.epochs - (r.t_2 if r.to == "elcn-efcn" else r.t_w if r.to == "efcn" else 0)
                   for r in self.runs()[: len(self.runs()) // self.seeds] if r.to in ("fcn", "efcn", "elcn-efcn"))
