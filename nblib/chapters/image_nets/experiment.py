"""Study 1 (Zhang 2021), second half: weight sharing vs locality on MNIST and CIFAR-10, with FGSM.

The study's four nets (its code, `imagenets/*.py`), which differ only in their two feature
stages (each a layer and a ReLU) and share LeNet-5's three dense layers (120, 84, 10):
  ConvNet:   5x5 convolutions (6 then 16 channels), each with a 2x2 max-pool   shared and local
  LocalNet:  6x6 locally connected windows, stride 2, no pool                  local, not shared
  WeightNet: convolutions whose kernel spans the whole input, zero-padded so
             that the output has the ConvNet's latent size, no pool             shared, not local
  FCNet:     a dense layer straight to the ConvNet's pooled latent              neither
Every net has the ConvNet's latent shape after each stage (6x12x12 and 16x4x4 on MNIST,
6x14x14 and 16x5x5 on CIFAR-10). The study's own WeightNet did not (13x13 and 5x5 on MNIST, a
16x5x5 = 400 latent into the dense layers): that net, bug included, is `StudyWeightNet` (MNIST),
trained once beside the others to show what the mismatch did.

Inputs are in the seed's [-1, 1] convention, so its FGSM budgets (0.1 MNIST, 0.01 CIFAR-10)
apply as they are. The seeds of one (dataset, net, n_train) cell are trained together with
`fit_many` (stacked with vmap or looped, whichever is faster for the net on the device), each on
its own balanced subset.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nblib import data as datasets
from nblib.attacks import fgsm, pgd
from nblib.layers import LocallyConnected2d, conv_output_size
from nblib.params import ParameterError, param
from nblib.train import fit_many

__all__ = ["ARCHS", "BUG_ARCH", "DATASETS", "SEED_EPS", "SEED_PROTOCOL", "SEED_TRIALS", "image_net", "latent_shapes",
           "n_params", "load_split", "Cell", "train", "Chapter"]
ARCHS = ("ConvNet", "LocalNet", "WeightNet", "FCNet")
BUG_ARCH = "StudyWeightNet"  # the study's WeightNet with its latent mismatch (MNIST only)
LOCAL_WINDOW = (6, 2)  # the study's LocalNet: window side and stride
# the study's WeightNet on MNIST: (output side) of its two whole-input convolutions (kernel 28 pad 6, kernel 13 pad 2)
STUDY_WEIGHTNET_SIDES = (13, 5)
DATASETS = ("mnist", "cifar10")
INPUT = {"mnist": (1, 28), "cifar10": (3, 32)}  # channels, side
STAGES = ((6, 5), (16, 5))  # (channels, kernel) of LeNet-5's two convolutions
SEED_EPS = {"mnist": 0.1, "cifar10": 0.01}  # the seed's FGSM budgets, L-inf in [-1, 1] units
# the seed's code: n_train (per class) -> (epochs, batch size)
SEED_PROTOCOL = {10: (40, 1), 30: (40, 1), 100: (20, 2), 300: (20, 2), 1000: (10, 4), 3000: (10, 4),
                 10000: (5, 8), 30000: (5, 8)}
# the seed's code: trials per n_train (`trial_list`); its Figure 3 and Table 2 are their means
SEED_TRIALS = {10: 11, 30: 11, 100: 8, 300: 8, 1000: 5, 3000: 5, 10000: 2, 30000: 2}
EPS_MULTIPLES = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)  # the accuracy-vs-epsilon grid, times the seed's budget
N_SAMPLES = 8  # test images attacked and kept for the epsilon slider


def _smooth_size(n: int) -> int:
    """The smallest m >= n of the form 2^a 3^b (sizes the FFT handles fastest)."""
    return min(2 ** a * 3 ** b for a in range(12) for b in range(8) if 2 ** a * 3 ** b >= n)


class WholeInputConv(nn.Module):
    """A convolution whose kernel is as large as its input, zero-padded (asymmetrically when the
    total padding is odd) so that its output has `out_side` x `out_side` positions: every output
    sees the whole image through one shared kernel (weight sharing without locality).

    Computed as a circular cross-correlation by FFT on a grid as large as the padded input (so
    nothing wraps around): the same numbers as `nn.Conv2d` on the padded input (`direct`), at a
    fraction of the cost of a 28x28 or 32x32 kernel slid over every position.
    """

    def __init__(self, in_channels: int, out_channels: int, in_side: int, out_side: int):
        super().__init__()
        self.in_side, self.out_side = in_side, out_side
        conv = nn.Conv2d(in_channels, out_channels, in_side)  # PyTorch's default initialisation
        self.weight, self.bias = conv.weight, conv.bias
        total = out_side - 1  # output = in_side + total - in_side + 1
        self.before = total // 2  # zero rows (and columns) before the image; total - before after it
        self.grid = _smooth_size(in_side + total)  # any size >= the padded input; 2^a 3^b is fastest

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C_in, H, H) -> (B, C_out, out, out)
        n = (self.grid, self.grid)
        spectrum = torch.einsum("bcuv,ocuv->bouv", torch.fft.rfft2(x, s=n), torch.fft.rfft2(self.weight, s=n).conj())
        full = torch.fft.irfft2(spectrum, s=n)  # full[p] = sum_u w[u] x[p + u], p taken mod grid
        rows = (torch.arange(self.out_side, device=x.device) - self.before) % self.grid
        return full[..., rows, :][..., rows] + self.bias[:, None, None]

    def direct(self, x: torch.Tensor) -> torch.Tensor:
        """The same layer as a padded `conv2d` (the definition; slow)."""
        after = self.out_side - 1 - self.before
        return F.conv2d(F.pad(x, (self.before, after) * 2), self.weight, self.bias)


class DenseStage(nn.Module):
    """A dense layer from a (C, H, W) input to a (C', H', W') output."""

    def __init__(self, in_shape: tuple[int, int, int], out_shape: tuple[int, int, int]):
        super().__init__()
        self.out_shape = out_shape
        self.linear = nn.Linear(math.prod(in_shape), math.prod(out_shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.flatten(1)).view(-1, *self.out_shape)


def latent_shapes(dataset: str) -> list[tuple[int, int, int]]:
    """The ConvNet's (C, H, W) after each conv + pool stage, which every net keeps."""
    channels, side = INPUT[dataset]
    shapes = []
    for out_channels, kernel in STAGES:
        side = conv_output_size(side, kernel)[0] // 2
        shapes.append((out_channels, side, side))
    return shapes


class Stage(nn.Sequential):
    """One feature stage (a layer, ReLU and maybe a pool): `stage_outputs` reads the shape after it."""


def _stage(arch: str, dataset: str, shape: tuple[int, int, int], out_channels: int, kernel: int,
           latent: tuple[int, int, int]) -> Stage:
    if arch == "FCNet":
        return Stage(DenseStage(shape, latent), nn.ReLU())
    if arch == "ConvNet":
        return Stage(nn.Conv2d(shape[0], out_channels, kernel), nn.ReLU(), nn.MaxPool2d(2))
    if arch == "LocalNet":
        window, stride = LOCAL_WINDOW
        return Stage(LocallyConnected2d(shape[0], out_channels, shape[1], window, stride=stride), nn.ReLU())
    return Stage(WholeInputConv(shape[0], out_channels, shape[1], latent[1]), nn.ReLU())  # WeightNet and the bug's


def image_net(arch: str, dataset: str) -> nn.Sequential:
    """One of the four nets (or the study's latent-mismatched WeightNet) for `dataset`, PyTorch's
    default initialisation."""
    if arch not in ARCHS + (BUG_ARCH,):
        raise ValueError(f"arch must be one of {ARCHS + (BUG_ARCH,)}, got {arch!r}")
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    if arch == BUG_ARCH and dataset != "mnist":
        raise ValueError(f"{BUG_ARCH} is the study's MNIST WeightNet; its CIFAR-10 shapes are not known here")
    channels, side = INPUT[dataset]
    latents = latent_shapes(dataset)
    if arch == BUG_ARCH:
        latents = [(c, s, s) for (c, _, _), s in zip(latents, STUDY_WEIGHTNET_SIDES)]
    stages, shape = [], (channels, side, side)
    for (out_channels, kernel), latent in zip(STAGES, latents):
        stages.append(_stage(arch, dataset, shape, out_channels, kernel, latent))
        shape = latent
    return nn.Sequential(*stages, nn.Flatten(), nn.Linear(math.prod(shape), 120), nn.ReLU(),
                         nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def n_params(arch: str, dataset: str) -> int:
    return sum(p.numel() for p in image_net(arch, dataset).parameters())


def stage_outputs(model: nn.Sequential, x: torch.Tensor) -> list[tuple[int, ...]]:
    """The (C, H, W) shape after each feature stage of `model` on input x (measured, to check the
    latents)."""
    shapes = []
    for layer in model:
        x = layer(x)
        if isinstance(layer, Stage):
            shapes.append(tuple(x.shape[1:]))
    return shapes


# --- data -----------------------------------------------------------------------------------

def to_signed(images: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float32 in the seed's [-1, 1]."""
    return images.float() / 127.5 - 1


def load_split(dataset: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """All images of one split in [-1, 1], and their labels."""
    split = datasets.load(dataset, train)
    return to_signed(split.images), split.labels


def per_class_available(dataset: str, train: bool = True) -> int:
    """Images of the smallest class of a split (the most a balanced subset can take per class)."""
    return min(datasets.class_counts(datasets.load(dataset, train).labels))


def seed_protocol(n_train: int) -> tuple[int, int]:
    """The seed's (epochs, batch size) for n_train per class; a size between the seed's uses the
    next larger one's (700 per class trains like 1000)."""
    larger = [n for n in SEED_PROTOCOL if n >= n_train]
    return SEED_PROTOCOL[min(larger)] if larger else SEED_PROTOCOL[max(SEED_PROTOCOL)]


def stable_seed(*keys) -> int:
    """A seed from a sha256 of `keys` (the same in every process, unlike hash())."""
    return int.from_bytes(hashlib.sha256(repr(keys).encode()).digest()[:8], "little") % 2 ** 62


# --- one cell: every seed of one (dataset, net, n_train) -------------------------------------

@dataclass(frozen=True)
class Cell:
    """All seeds of one net at one training size, trained together (`fit_many`).

    n_train: examples per class (a balanced subset, its own per seed, as the seed's code drew).
    epochs and batch: the seed's for this n_train, times epoch_scale and batch_scale; lr: SGD's
    (momentum 0.9), 0 meaning the seed's 1e-3 times batch_scale (the same step per example).
    eps: FGSM budgets (L-inf, [-1, 1] units) on `attack_per_class` test images per class; pgd_eps:
    the budget of a `pgd_steps`-step PGD on the first `pgd_images` of them.
    """
    dataset: str = "mnist"
    arch: str = "ConvNet"
    n_train: int = 1000
    seeds: int = 3
    epoch_scale: float = 1.0
    batch_scale: int = 16
    lr: float = 0.0
    eps: tuple[float, ...] = (0.0, 0.1)
    pgd_eps: float = 0.1
    pgd_steps: int = 10
    pgd_images: int = 200
    attack_per_class: int = 80
    eval_per_class: int = 0
    seed: int = 0
    min_steps: int = 0

    def reads(self) -> tuple[str, ...]:
        return (self.dataset,)

    def scale(self) -> int:
        """The batch scale this cell trains with: `batch_scale`, halved while a run would make fewer
        than `min_steps` SGD steps (a 16 times larger batch at the smallest sizes leaves a few hundred
        steps, too few to fit the training set as the study's batch does)."""
        epochs, batch = seed_protocol(self.n_train)
        epochs, scale = max(1, round(epochs * self.epoch_scale)), self.batch_scale
        while scale > 1 and epochs * math.ceil(10 * self.n_train / (batch * scale)) < self.min_steps:
            scale //= 2
        return scale

    def schedule(self) -> tuple[int, int, float]:
        """(epochs, batch size, learning rate) of this cell: the study's epochs and batch, the batch
        times `scale()` and the learning rate with it (the study's 1e-3) unless `lr` is given."""
        epochs, batch = seed_protocol(self.n_train)
        scale = self.scale()
        return (max(1, round(epochs * self.epoch_scale)), min(batch * scale, 10 * self.n_train),
                self.lr or 1e-3 * scale)


class Stacked(nn.Module):
    """A ModelStack seen as one classifier of (M, B, ...) inputs with (M * B, 10) outputs, so that
    the attacks of `nblib.attacks` perturb every model's copy of the images against that model."""

    def __init__(self, stack):
        super().__init__()
        self.stack = stack

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stack(x).flatten(0, 1)


def _accuracy(scores: torch.Tensor, y: torch.Tensor, balanced: bool) -> torch.Tensor:
    """Per-model accuracy (M,) of scores (M, n, 10); class-balanced if asked (each class weighs 1/10)."""
    correct = (scores.argmax(-1) == y).double()
    if not balanced:
        return correct.mean(-1)
    counts = torch.bincount(y).double()
    weight = 1 / ((counts > 0).sum() * counts[y])
    return (correct * weight).sum(-1)


@torch.no_grad()
def _scores(net: Stacked, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """(M, n, 10) outputs of every model on the same images x (n, ...)."""
    m = net.stack.n_models
    return torch.cat([net(x[i:i + batch].expand(m, *x[i:i + batch].shape)).view(m, -1, 10)
                      for i in range(0, len(x), batch)], dim=1)


def _attacked(net: Stacked, x: torch.Tensor, y: torch.Tensor, eps: float, attack, batch: int = 250, **kw):
    """Every model's adversarial copy of x: (M, n, ...)."""
    m, out = net.stack.n_models, []
    for i in range(0, len(x), batch):
        xb, yb = x[i:i + batch], y[i:i + batch]
        out.append(attack(net, xb.expand(m, *xb.shape), yb.expand(m, len(yb)).flatten(), eps,
                          clamp=(-1.0, 1.0), **kw) if eps > 0 else xb.expand(m, *xb.shape))
    return torch.cat(out, dim=1)


def _adversarial_accuracy(net: Stacked, x_adv: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        scores = torch.cat([net(x_adv[:, i:i + 250]).view(x_adv.shape[0], -1, 10)
                            for i in range(0, x_adv.shape[1], 250)], dim=1)
    return _accuracy(scores, y, balanced=False)  # the attacked images are a balanced subset


def train(cell: Cell, device: torch.device = torch.device("cpu"), progress: bool = True) -> dict:
    """Train every seed of one cell together; clean test accuracy (class-balanced: the CIFAR-10
    copy's test classes are unequal), FGSM accuracy at every eps and PGD accuracy on a balanced
    test subset, the per-epoch training loss, and a few attacked test images with every model's
    predictions (seed 0's attack) for the figures."""
    if cell.arch not in ARCHS + (BUG_ARCH,) or cell.dataset not in DATASETS:
        raise ValueError(f"Cell: arch must be one of {ARCHS} and dataset one of {DATASETS}, got {cell!r}")
    start = time.perf_counter()
    x_all, y_all = load_split(cell.dataset, True)
    keys = [stable_seed(cell.seed, "subset", cell.dataset, cell.n_train, s) for s in range(cell.seeds)]
    subsets = [datasets.balanced_subset(y_all, cell.n_train, k) for k in keys]
    x = torch.stack([x_all[i] for i in subsets]).to(device)  # (M, 10 n, C, H, W): each seed its own subset
    y = torch.stack([y_all[i] for i in subsets]).to(device)
    del x_all, y_all
    epochs, batch, lr = cell.schedule()

    def make_model(s: int) -> nn.Module:
        torch.manual_seed(stable_seed(cell.seed, "init", cell.dataset, cell.arch, cell.n_train, s))
        return image_net(cell.arch, cell.dataset)

    stack, history = fit_many(
        make_model, cell.seeds, x, y, epochs=epochs, batch_size=batch, per_model_data=True,
        make_optimizer=lambda params: torch.optim.SGD(params, lr=lr, momentum=0.9),
        seed=stable_seed(cell.seed, "order", cell.dataset, cell.arch, cell.n_train),
        progress=f"{cell.dataset} {cell.arch} n={cell.n_train}" if progress else False)
    net = Stacked(stack).eval()
    x_test, y_test = load_split(cell.dataset, False)
    if cell.eval_per_class:
        keep = datasets.balanced_subset(y_test, cell.eval_per_class, stable_seed(cell.seed, "eval"))
        x_test, y_test = x_test[keep], y_test[keep]
    x_test, y_test = x_test.to(device), y_test.to(device)
    clean = _accuracy(_scores(net, x_test), y_test, balanced=True)
    with torch.no_grad():  # every seed on its own training subset
        train_scores = torch.cat([net(x[:, i:i + 500]).view(cell.seeds, -1, 10) for i in range(0, x.shape[1], 500)], 1)
    train_acc = _accuracy(train_scores, y, balanced=False)  # (M,)
    pick = datasets.balanced_subset(y_test.cpu(), cell.attack_per_class, stable_seed(cell.seed, "attack")).to(device)
    x_att, y_att = x_test[pick], y_test[pick]
    fgsm_acc, samples = [], []
    sample = torch.stack([(y_att == c).nonzero()[0, 0] for c in range(N_SAMPLES)])  # the first of classes 0, 1, ...
    for eps in cell.eps:
        adversarial = _attacked(net, x_att, y_att, eps, fgsm)
        fgsm_acc.append(_adversarial_accuracy(net, adversarial, y_att))
        with torch.no_grad():
            samples.append({"images": adversarial[0, sample].cpu(),
                            "predictions": net(adversarial[:, sample]).view(cell.seeds, -1, 10).argmax(-1).cpu()})
    n_pgd = min(cell.pgd_images, len(pick))
    pgd_pick = torch.randperm(len(pick), generator=torch.Generator().manual_seed(0))[:n_pgd].to(device)
    x_pgd, y_pgd = x_att[pgd_pick], y_att[pgd_pick]
    pgd_acc = _adversarial_accuracy(net, _attacked(net, x_pgd, y_pgd, cell.pgd_eps, pgd, steps=cell.pgd_steps), y_pgd)
    fgsm_same = _adversarial_accuracy(net, _attacked(net, x_pgd, y_pgd, cell.pgd_eps, fgsm), y_pgd)
    return {
        "cell": cell, "epochs": epochs, "batch": batch, "lr": lr,
        "train_size": x.shape[1], "test_size": len(y_test), "attack_size": len(pick), "pgd_size": n_pgd,
        "clean": clean.cpu(), "train_acc": train_acc.cpu(),
        "fgsm": torch.stack(fgsm_acc).cpu(),                    # (E, M)
        "pgd": pgd_acc.cpu(), "fgsm_on_pgd_images": fgsm_same.cpu(),  # (M,)
        "train_loss": history.stacked().cpu(),                 # (epochs, M)
        "samples": samples, "sample_labels": y_att[sample].cpu(),
        "seconds": time.perf_counter() - start,  # training and attacks
    }


# --- the chapter's parameters ------------------------------------------------------------------

@dataclass(frozen=True)
class Chapter:
    """The chapter's parameters; the defaults are the seed's grid where the data allows."""
    datasets: tuple[str, ...] = param(DATASETS, choices=DATASETS, nonempty=True)
    mnist_n_train: tuple[int, ...] = param((10, 30, 100, 300, 1000, 3000), ge=1, nonempty=True)
    cifar10_n_train: tuple[int, ...] = param((10, 30, 100, 300, 700), ge=1, nonempty=True)
    archs: tuple[str, ...] = param(ARCHS, choices=ARCHS, nonempty=True)
    seeds: int = param(0, ge=0, le=50)  # runs per cell; 0: the study's count at each size (11, 11, 8, 8, 5, 5, 2, 2)
    batch_check_n_train: tuple[int, ...] = param((10, 30, 100), ge=1)  # also trained at the study's batch and lr (those in each *_n_train)
    batch_check_seeds: int = param(3, ge=1, le=50)
    study_weightnet: bool = True  # also train the study's latent-mismatched WeightNet (MNIST, largest size)
    epoch_scale: float = param(1.0, gt=0.0, le=10.0)
    batch_scale: int = param(16, ge=1, le=256)
    min_steps: int = param(1000, ge=0)  # the batch scale halves while a run would make fewer SGD steps
    lr: float = param(0.0, ge=0.0)
    eps_scale: tuple[float, ...] = param(EPS_MULTIPLES, ge=0.0, nonempty=True)
    pgd_steps: int = param(10, ge=1, le=1000)
    pgd_images: int = param(200, ge=1)
    attack_per_class: int = param(80, ge=1)
    eval_per_class: int = param(0, ge=0)

    def n_train(self, dataset: str) -> tuple[int, ...]:
        return self.mnist_n_train if dataset == "mnist" else self.cifar10_n_train

    def validate(self) -> None:
        if 1.0 not in self.eps_scale:
            raise ParameterError(f"parameter 'eps_scale': got {list(self.eps_scale)}; it must contain 1 "
                                 "(the seed's budget, 0.1 on MNIST and 0.01 on CIFAR-10, for its Table 2)")
        for name in self.datasets:
            available = per_class_available(name, True)
            too_many = [n for n in self.n_train(name) if n > available]
            if too_many:
                raise ParameterError(f"parameter '{name}_n_train': got {list(self.n_train(name))}; {name} here has "
                                     f"at most {available} training images per class ({too_many} are more)")
            test_available = per_class_available(name, False)
            for field in ("attack_per_class", "eval_per_class"):
                if getattr(self, field) > test_available:
                    raise ParameterError(f"parameter '{field}': got {getattr(self, field)}; {name} here has at "
                                         f"most {test_available} test images per class")

    def eps(self, dataset: str) -> tuple[float, ...]:
        """The FGSM budgets on `dataset` in [-1, 1] units: eps_scale times the seed's, with 0 (the
        clean accuracy of the attacked images) always first."""
        return tuple(m * SEED_EPS[dataset] for m in sorted({0.0, *self.eps_scale}))

    def seeds_at(self, n_train: int) -> int:
        """Runs per cell at n_train: `seeds`, or the study's trial count at that size (a size between
        the study's counts as the next larger one, as in `seed_protocol`)."""
        if self.seeds:
            return self.seeds
        larger = [n for n in SEED_TRIALS if n >= n_train]
        return SEED_TRIALS[min(larger)] if larger else SEED_TRIALS[max(SEED_TRIALS)]

    def _cell(self, name: str, arch: str, n: int, seeds: int, batch_scale: int, lr: float) -> Cell:
        return Cell(name, arch, n, seeds, self.epoch_scale, batch_scale, lr, self.eps(name), SEED_EPS[name],
                    self.pgd_steps, self.pgd_images, self.attack_per_class, self.eval_per_class,
                    min_steps=self.min_steps)

    def grid(self) -> list[Cell]:
        """The chapter's grid: one cell per dataset, n_train and net (all seeds of a cell train together)."""
        return [self._cell(name, arch, n, self.seeds_at(n), self.batch_scale, self.lr)
                for name in self.datasets for n in self.n_train(name) for arch in self.archs]

    def batch_check(self) -> list[Cell]:
        """The small sizes again at the study's batch (batch_scale 1) and learning rate (1e-3), the first
        `batch_check_seeds` seeds (the same subsets and initial weights as the grid's): does the
        grid's 16x batch and 16x learning rate train as the study's protocol does?"""
        if self.batch_scale == 1:
            return []
        return [self._cell(name, arch, n, min(self.batch_check_seeds, self.seeds_at(n)), 1, 0.0)
                for name in self.datasets for n in self.batch_check_n_train if n in self.n_train(name)
                for arch in self.archs]

    def bug_cells(self) -> list[Cell]:
        """The study's latent-mismatched WeightNet at MNIST's largest size, the grid's seeds."""
        if not self.study_weightnet or "mnist" not in self.datasets:
            return []
        n = max(self.mnist_n_train)
        return [self._cell("mnist", BUG_ARCH, n, self.seeds_at(n), self.batch_scale, self.lr)]

    def cells(self) -> list[Cell]:
        """Every cell of the chapter, the longest first (a cluster then finishes sooner)."""
        def work(c: Cell) -> float:
            epochs, batch, _ = c.schedule()
            return c.seeds * c.n_train * epochs * (1 + 8 / batch)  # small batches cost more per example
        return sorted(self.grid() + self.batch_check() + self.bug_cells(), key=lambda c: -work(c))

    def split(self, results: list[dict]) -> dict[str, list[dict]]:
        """Results by part: 'grid', 'batch_check', 'bug' (the order of `cells`, any subset)."""
        parts = {"grid": self.grid(), "batch_check": self.batch_check(), "bug": self.bug_cells()}
        return {k: [r for r in results if r["cell"] in cells] for k, cells in parts.items()}
