"""Study 3: a converged CNN freed of weight sharing (building on Ott et al. 2020).

The CNN is trained, every convolution is replaced by the locally connected layer holding a
copy of its kernel at every position (the "free" net: the same function at the switch), and
training goes on. Do the copies drift apart, and does the freedom help?

This module holds what the chapter's runs need: Ott's two nets, the switch, the noise
augmentation, the clean split and, to show why the seed's accuracies are impossible, a
faithful reproduction of the split its code made.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from nblib import data as datasets
from nblib import embed
from nblib.attacks import fgsm
from nblib.augment import random_crop_flip
from nblib.layers import LocallyConnected2d
from nblib.params import ParameterError, param
from nblib.train import EarlyStopping, balanced_evaluate, evaluate, fit

__all__ = ["DATASETS", "ott_net", "free", "merged", "leaky_shuffle", "leaky_split", "leak_stats",
           "clean_split", "add_noise", "conv_shapes", "distances", "study_distances", "drift", "first_kernel",
           "matched_distance", "balanced_accuracy", "random_free", "robustness", "Run", "train", "LeakDemo",
           "train_leak", "Chapter"]
RINGS = (1, 4)  # ring distances between positions whose filters are compared (the seed's)
SIDES = {"cifar10": 32, "mnist": 28}
DATASETS = ("cifar10", "mnist")


def ott_net(dataset: str = "cifar10") -> nn.Sequential:
    """Ott et al.'s nets, valid convolutions with ReLU, dense 1024, 10 outputs.

    CIFAR-10: conv 5x5 64 stride 2, conv 5x5 128 stride 2, conv 3x3 256 stride 1 (Ott's).
    MNIST: 3x3 convs with 32, 64 and 128 channels (Ott's); their strides are not stated, we use
    the CIFAR net's pattern (2, 2, 1).
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    if dataset == "cifar10":
        in_channels, side, convs = 3, 32, ((64, 5, 2), (128, 5, 2), (256, 3, 1))
    else:
        in_channels, side, convs = 1, 28, ((32, 3, 2), (64, 3, 2), (128, 3, 1))
    layers, width = [], in_channels
    for channels, kernel, stride in convs:
        layers += [nn.Conv2d(width, channels, kernel, stride), nn.ReLU()]
        width, side = channels, (side - kernel) // stride + 1
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(width * side * side, 1024), nn.ReLU(), nn.Linear(1024, 10))


def conv_shapes(dataset: str) -> list[tuple[int, int]]:
    """(output side, channels) of each convolution of `ott_net(dataset)`."""
    shape = (3, 32, 32) if dataset == "cifar10" else (1, 28, 28)
    x, out = torch.zeros(1, *shape), []
    for layer in ott_net(dataset):
        x = layer(x)
        if isinstance(layer, nn.Conv2d):
            out.append((x.shape[-1], x.shape[1]))
    return out


def free(cnn: nn.Module, input_shape) -> nn.Module:
    """The free net: every convolution replaced by its exact locally connected copy."""
    return embed.elcn(cnn, input_shape)


def random_free(cnn: nn.Module, input_shape) -> nn.Module:
    """A free net of the CNN's shape with every position's filter drawn on its own (Conv2d's
    default range, 1/sqrt(fan_in)): Ott's free net trained from scratch."""
    model = free(cnn, input_shape)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, LocallyConnected2d):
                bound = 1 / math.sqrt(layer.weight.shape[-1])
                layer.weight.uniform_(-bound, bound)
                layer.bias.uniform_(-bound, bound)
    return model


def add_noise(x: torch.Tensor, sigma: float, generator: torch.Generator) -> torch.Tensor:
    """The seed's noise augmentation: N(0, sigma^2) added to every pixel of inputs in [0, 1]
    ("30%" is sigma = 0.3); no clipping, as in the seed's code."""
    if sigma == 0:
        return x
    noise = torch.randn(x.shape, generator=generator).to(x.device, x.dtype)
    return x + sigma * noise


# --- the data ----------------------------------------------------------------------------------

def merged(dataset: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Train and test images (uint8) and labels in one pair of tensors, train first (the seed's
    first step)."""
    train, test = datasets.load(dataset, True), datasets.load(dataset, False)
    return torch.cat([train.images, test.images]), torch.cat([train.labels, test.labels])


def leaky_shuffle(images: np.ndarray, labels: np.ndarray, seed: int) -> None:
    """The seed's shuffle, reproduced as its code ran it, in place.

    A Python list of (image, label) pairs is built whose entries are *views* into the rows of
    the arrays (the labels are one-hot rows, as Keras's `to_categorical` gives, so they are
    views too); `random.shuffle` permutes the list; the pairs are then written back into the
    same arrays row by row. A row overwritten early is read again later through its view, so
    rows are duplicated and others lost.
    """
    pairs = list(zip(images, labels))  # views, not copies
    random.Random(seed).shuffle(pairs)
    for i, (image, label) in enumerate(pairs):
        images[i] = image
        labels[i] = label


def leaky_split(dataset: str, seed: int = 0, val_fraction: float = 0.2):
    """The seed's train / "validation" split: merged train + test, the leaky shuffle, then the
    first 1 - val_fraction for training. Returns (x_train, y_train, x_val, y_val), uint8 images."""
    images, labels = merged(dataset)
    images = images.numpy().copy()
    one_hot = np.eye(int(labels.max()) + 1, dtype=np.float32)[labels.numpy()]
    leaky_shuffle(images, one_hot, seed)
    y = torch.from_numpy(one_hot.argmax(1))
    x = torch.from_numpy(images)
    cut = int(round((1 - val_fraction) * len(x)))
    return x[:cut], y[:cut], x[cut:], y[cut:]


def _row_keys(x: torch.Tensor) -> list[bytes]:
    return [row.tobytes() for row in x.reshape(len(x), -1).numpy()]


def leak_stats(x_train: torch.Tensor, x_val: torch.Tensor) -> dict[str, float]:
    """Distinct images among train + validation, and the share of validation images with an
    identical copy (every pixel equal) in training."""
    train, val = _row_keys(x_train), _row_keys(x_val)
    seen = set(train)
    return {"images": len(train) + len(val), "distinct": len(seen | set(val)),
            "val_in_train": sum(k in seen for k in val) / len(val)}


def clean_split(dataset: str, val_fraction: float = 0.1, seed: int = 0):
    """Training images split into train and validation (for early stopping) by a seeded
    permutation; the test set untouched. Returns (x_train, y_train, x_val, y_val, x_test, y_test)
    as floats in [0, 1] (the seed's scaling)."""
    train, test = datasets.load(dataset, True), datasets.load(dataset, False)
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))
    cut = len(train) - int(round(val_fraction * len(train)))
    x = train.float()
    return (x[order[:cut]], train.labels[order[:cut]], x[order[cut:]], train.labels[order[cut:]],
            test.float(), test.labels)


# --- the runs ----------------------------------------------------------------------------------

def distances(model: nn.Module, rings: tuple[int, ...] = RINGS) -> dict[str, float]:
    """Mean Euclidean and cosine distance between the filters of positions at each ring distance
    in `rings`, for every locally connected layer where that ring fits ('l1 euclid r4', ...), and
    the study's two definitions on the first layer ('l1 study-cosine r1', ...: `study_distances`)."""
    out = {}
    layers = [m for m in model.modules() if isinstance(m, LocallyConnected2d)]
    for i, layer in enumerate(layers, 1):
        for ring in rings:
            if ring < min(layer.out_size):
                out[f"l{i} euclid r{ring}"], out[f"l{i} cosine r{ring}"] = embed.filter_distances(layer, ring)
    for ring in rings:
        if 2 * ring < min(layers[0].out_size):
            out[f"l1 study-euclid r{ring}"], out[f"l1 study-cosine r{ring}"] = study_distances(layers[0], ring)
    return out


def study_distances(local: LocallyConnected2d, ring: int) -> tuple[float, float]:
    """The study's distances between the filters of positions at ring distance `ring` (STUDIES.md):
    only interior positions (every neighbour at that ring inside the layer); a position's filter is
    its whole block (C_out x C_in x kh x kw numbers, flattened) for the cosine distance; the Euclidean
    distance is taken after dividing the layer's weight by its global norm. Means over pairs."""
    w = local.weight.detach().double()
    w = (w / w.norm()).reshape(*local.out_size, -1)  # (H', W', C_out * K)
    oh, ow = local.out_size
    centre = w[ring:oh - ring, ring:ow - ring]
    euclid, cosine, count = 0.0, 0.0, 0
    for di in range(-ring, ring + 1):
        for dj in range(-ring, ring + 1):
            if max(abs(di), abs(dj)) != ring:
                continue
            other = w[ring + di:oh - ring + di, ring + dj:ow - ring + dj]
            euclid += (centre - other).norm(dim=-1).sum().item()
            cosine += (1 - torch.nn.functional.cosine_similarity(centre, other, dim=-1)).sum().item()
            count += centre.shape[0] * centre.shape[1]
    if count == 0:
        raise ValueError(f"no interior position at ring distance {ring} in a {oh}x{ow} layer")
    return euclid / count, cosine / count


def first_kernel(model: nn.Module) -> torch.Tensor:
    """The first layer's filters as (positions, C_out, C_in * kh * kw): one position for a CNN."""
    layer = next(m for m in model.modules() if isinstance(m, (nn.Conv2d, LocallyConnected2d)))
    if isinstance(layer, nn.Conv2d):
        return layer.weight.detach().reshape(1, layer.out_channels, -1)
    return layer.weight.detach().reshape(-1, layer.out_channels, layer.weight.shape[-1])


def drift(model: nn.Module, switch: torch.Tensor) -> dict[str, float]:
    """How far the first layer's filters moved from the kernel at the switch (C_out, C_in, kh, kw):
    the cosine distance per position and output channel (ours), and per position with the whole
    block flattened (the study's), means over positions and channels. The CNN continued's drift is
    the yardstick for the free net's divergence: how far training moves one shared kernel."""
    now = first_kernel(model).double()
    then = switch.reshape(1, switch.shape[0], -1).double().to(now.device).expand_as(now)
    cosine = lambda a, b: (1 - torch.nn.functional.cosine_similarity(a, b, dim=-1)).mean().item()
    return {"drift cosine": cosine(now, then), "drift study-cosine": cosine(now.flatten(1), then.flatten(1))}


def matched_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean cosine distance between the filters of two kernels (C_out, C_in, kh, kw) learnt apart,
    after pairing each filter of `a` with one of `b`, greedily by highest cosine similarity (a
    net's channels come in any order): how far apart two independently trained CNNs' filters are."""
    a, b = a.flatten(1).double(), b.flatten(1).double()
    similarity = torch.nn.functional.normalize(a, dim=1) @ torch.nn.functional.normalize(b, dim=1).T
    total = 0.0
    for _ in range(len(a)):
        i, j = divmod(int(similarity.argmax()), similarity.shape[1])
        total += 1 - similarity[i, j].item()
        similarity[i, :], similarity[:, j] = -math.inf, -math.inf
    return total / len(a)


@dataclass(frozen=True)
class Run:
    """One run: the CNN trained to a validation plateau (at most `cnn_epochs`), then `after_epochs`
    more epochs of both the free net made from it and the CNN itself (the fair comparison).

    init = "random": Ott's setting instead, a free net from a random initialisation trained to a
    validation plateau like the CNN (at most cnn_epochs + after_epochs; the divergence baseline). sigma: Gaussian noise augmentation of
    every training batch; shift: random translations up to `shift` pixels (beyond the seed).
    train_per_class / eval_per_class: a balanced subset of the training / the validation and test
    images (0 = all; at most as many per class as the smallest class has).
    lr and batch_size 0 mean Ott's: Adam 1e-4 / batch 128 (CIFAR-10), 1e-3 / 256 (MNIST).
    """
    dataset: str = "cifar10"
    sigma: float = 0.0
    shift: int = 0
    cnn_epochs: int = 100
    after_epochs: int = 50
    patience: int = 10
    lr: float = 0.0
    batch_size: int = 0
    val_fraction: float = 0.1
    train_per_class: int = 0
    eval_per_class: int = 0
    init: str = "cnn"
    rings: tuple[int, ...] = RINGS
    seed: int = 0

    def reads(self) -> tuple[str, ...]:
        return (self.dataset,)

    def optimizer_settings(self) -> tuple[float, int]:
        lr, batch = (1e-4, 128) if self.dataset == "cifar10" else (1e-3, 256)
        return self.lr or lr, self.batch_size or batch


def _augment(run: Run):
    def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if run.shift:
            x = random_crop_flip(x, generator, padding=run.shift, flip=False)
        return add_noise(x, run.sigma, generator)
    return augment if (run.shift or run.sigma) else None


EPS = (0.01, 0.03)  # FGSM budgets (L-inf, on [0, 1] inputs)
TEST_SIGMAS = (0.1, 0.3)  # Gaussian noise on the test images
PROBE = 500  # training images evaluated (clean) after every epoch


def robustness(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: tuple[float, ...] = EPS,
               sigmas: tuple[float, ...] = TEST_SIGMAS, seed: int = 0) -> dict[str, float]:
    """Class-balanced test accuracy under FGSM (L-inf budget eps on [0, 1] inputs) and under
    Gaussian noise."""
    out, generator = {}, torch.Generator().manual_seed(seed)
    for e in eps:
        adversarial = torch.cat([fgsm(model, x[i:i + 500], y[i:i + 500], e) for i in range(0, len(x), 500)])
        out[f"fgsm {e:g}"] = balanced_evaluate(model, adversarial, y)[1]
    for sigma in sigmas:
        out[f"noise {sigma:g}"] = balanced_evaluate(model, add_noise(x, sigma, generator), y)[1]
    return out


def train(run: Run, device: torch.device = torch.device("cpu"), progress: bool = True) -> dict:
    """Train one run; per-branch curves per epoch (the augmented batches' mean loss, clean loss and
    accuracy on the first `PROBE` training images, validation loss and accuracy), filter distances
    per epoch for the free net, each branch's drift from the kernel at the switch, class-balanced
    test accuracy and robustness at the end (the CIFAR-10 copy's test classes are unequal), and the
    first layer's kernel at the switch."""
    if run.init not in ("cnn", "random"):
        raise ValueError(f"init must be 'cnn' or 'random', got {run.init!r}")
    start = time.perf_counter()
    x, y, x_val, y_val, x_test, y_test = (t.to(device) for t in clean_split(run.dataset, run.val_fraction, run.seed))
    if run.train_per_class:
        keep = datasets.balanced_subset(y.cpu(), run.train_per_class, run.seed).to(device)
        x, y = x[keep], y[keep]
    if run.eval_per_class:
        def fewer(labels, seed):
            per_class = min(run.eval_per_class, *datasets.class_counts(labels.cpu()))
            return datasets.balanced_subset(labels.cpu(), per_class, seed).to(device)
        keep_val, keep_test = fewer(y_val, run.seed), fewer(y_test, 0)
        x_val, y_val, x_test, y_test = x_val[keep_val], y_val[keep_val], x_test[keep_test], y_test[keep_test]
    shape, (lr, batch) = tuple(x.shape[1:]), run.optimizer_settings()
    torch.manual_seed(run.seed)
    cnn = ott_net(run.dataset).to(device)

    def phase(model, epochs, seed, label, stop=True, divergence=False, switch=None):
        hooks = {"train_clean": lambda m: evaluate(m, x[:PROBE], y[:PROBE])}
        if divergence:
            hooks["distances"] = lambda m: distances(m, run.rings)
        if switch is not None:
            hooks["drift"] = lambda m: drift(m, switch)
        history = fit(model, x, y, epochs=epochs, batch_size=batch, seed=seed,
                      optimizer=torch.optim.Adam(model.parameters(), lr=lr), val=(x_val, y_val),
                      early_stopping=EarlyStopping(run.patience) if stop else None, augment=_augment(run),
                      hooks=hooks, progress=label if progress else False)
        curves = {k: torch.tensor(history[k]) for k in ("train_loss", "val_loss", "val_acc")}
        curves["train_clean_loss"], curves["train_clean_acc"] = torch.tensor(history["train_clean"]).T
        for name in ("distances", "drift"):
            if name in hooks:
                curves[name] = {k: torch.tensor([d[k] for d in history[name]]) for k in history[name][0]}
        return curves

    def finish(model) -> dict:
        return {"test_acc": balanced_evaluate(model, x_test, y_test)[1], "robustness": robustness(model, x_test, y_test)}

    out = {"run": run, "sizes": {"train": len(x), "val": len(x_val), "test": len(x_test)}}
    if run.init == "random":
        model = random_free(cnn, shape)
        out["free"] = phase(model, run.cnn_epochs + run.after_epochs, run.seed, "free from random init",
                            divergence=True)
        out["free"].update(finish(model))
    else:
        out["cnn"] = phase(cnn, run.cnn_epochs, run.seed, "CNN to a plateau")
        out["switch_epoch"] = len(out["cnn"]["train_loss"])
        out["cnn"]["test_acc"] = balanced_evaluate(cnn, x_test, y_test)[1]  # the CNN at its plateau
        freed = free(cnn, shape)
        with torch.no_grad():
            out["switch_gap"] = (freed(x_test[:500]) - cnn(x_test[:500])).abs().max().item()
        switch = cnn[0].weight.detach().clone()
        out["switch_kernel"] = switch.cpu()  # the first layer at the switch: independent seeds' CNNs compare
        out["free"] = phase(freed, run.after_epochs, run.seed + 1, "free net", stop=False, divergence=True,
                            switch=switch)
        out["free"].update(finish(freed))
        out["cnn_after"] = phase(cnn, run.after_epochs, run.seed + 1, "CNN continued", stop=False, switch=switch)
        out["cnn_after"].update(finish(cnn))
    out["seconds"] = time.perf_counter() - start
    return out


@dataclass(frozen=True)
class LeakDemo:
    """Ott's CNN trained on the study's leaky split (no augmentation) until it has memorised its
    training images, to show what the leak does to the 'validation' accuracy the study reported:
    it stops after the first epoch at which its accuracy on LEAK_PROBE training images reaches
    `memorised` (0: never stops early), or after `epochs`. lr 0 means Ott's (Adam 1e-4 CIFAR-10,
    1e-3 MNIST)."""
    dataset: str = "cifar10"
    epochs: int = 10
    lr: float = 0.0
    seed: int = 0
    memorised: float = 0.0

    def reads(self) -> tuple[str, ...]:
        return (self.dataset,)


LEAK_PROBE = 2000  # leaky-split training images whose accuracy is measured after every epoch (memorisation)


@torch.no_grad()
def _predictions(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    was_training = model.training
    model.eval()
    out = torch.cat([model(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return out


def balanced_accuracy(correct: torch.Tensor, y: torch.Tensor) -> float:
    """Mean over the classes present in y of each class's accuracy (nan for no images)."""
    classes = y.unique()
    if len(classes) == 0:
        return math.nan
    return torch.stack([correct[y == c].double().mean() for c in classes]).mean().item()


def train_leak(demo: LeakDemo, device: torch.device = torch.device("cpu"), progress: bool = True) -> dict:
    """The CNN on the study's leaky split ("validation" = its last 20%), per epoch: the plain
    'validation' accuracy (the study's number); plain and class-balanced accuracy on the validation
    images with an identical copy in training ("copied") and on those without ("unseen"); the
    class-balanced accuracy on the copied images of the classes the unseen images cover ("copied
    covered": against "balanced unseen" it compares like with like, since on the CIFAR-10 copy the
    unseen images come from the merged array's class-skewed test part); and the accuracy on
    LEAK_PROBE training images (has the net memorised its training set?)."""
    start, out = time.perf_counter(), {"demo": demo}
    lr, batch = Run(demo.dataset, lr=demo.lr).optimizer_settings()
    x, y, x_val, y_val = leaky_split(demo.dataset, demo.seed)
    out["stats"] = leak_stats(x, x_val)
    seen = set(_row_keys(x))
    copied = torch.tensor([k in seen for k in _row_keys(x_val)])
    covered = torch.isin(y_val, y_val[~copied].unique())
    parts = {"copied": copied, "unseen": ~copied, "copied covered": copied & covered}
    x, x_val = (t.float().div(255).to(device) for t in (x, x_val))
    y, y_val = y.to(device), y_val.to(device)

    def measure(model) -> dict[str, float]:
        right = (_predictions(model, x_val) == y_val).cpu()
        labels = y_val.cpu()
        values = {"val_acc": right.double().mean().item(),
                  "train_acc": (_predictions(model, x[:LEAK_PROBE]) == y[:LEAK_PROBE]).double().mean().item()}
        for part, keep in parts.items():
            values[f"plain {part}"] = right[keep].double().mean().item() if keep.any() else math.nan
            values[f"balanced {part}"] = balanced_accuracy(right[keep], labels[keep])
        return values

    torch.manual_seed(demo.seed)
    model = ott_net(demo.dataset).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    bar = tqdm(range(demo.epochs), desc=f"leaky split, {demo.dataset}", disable=not progress, leave=False)
    for epoch in bar:  # one epoch at a time (one Adam state throughout), to stop once memorised
        history += fit(model, x, y, epochs=1, batch_size=batch, seed=demo.seed * 10_000 + epoch, optimizer=optimizer,
                       hooks={"leak": measure}, progress=False)["leak"]
        bar.set_postfix(train=f"{history[-1]['train_acc']:.3f}")
        if demo.memorised and history[-1]["train_acc"] >= demo.memorised:
            break
    out["leaky"] = {k: torch.tensor([h[k] for h in history]) for k in history[0]}
    out["leaky"].update(train_size=len(x), val_size=len(x_val), copied=int(copied.sum()),
                        unseen_classes=y_val[~copied.to(y_val.device)].unique().cpu())
    out["seconds"] = time.perf_counter() - start
    return out


@dataclass(frozen=True)
class Chapter:
    """The chapter's parameters (the seed: CIFAR-10, noise 0 / 0.3 / 0.5, the CNN for 100 epochs or
    to a validation plateau, the free net after it, rings 1 and 4)."""
    datasets: tuple[str, ...] = param(("cifar10", "mnist"), choices=DATASETS, nonempty=True)
    sigmas: tuple[float, ...] = param((0.0, 0.3, 0.5), ge=0.0, nonempty=True)
    shifts: tuple[int, ...] = param((0,), ge=0, le=8, nonempty=True)
    cnn_epochs: int = param(100, ge=1)
    after_epochs: int = param(50, ge=1)
    patience: int = param(10, ge=1)
    lr: float = param(0.0, ge=0.0)
    rings: tuple[int, ...] = param(RINGS, ge=1, nonempty=True)
    seeds: int = param(3, ge=1, le=100)
    train_per_class: int = param(0, ge=0)
    leak_epochs: int = param(10, ge=1)
    leak_memorised: float = param(0.99, ge=0.0, le=1.0)
    leak_datasets: tuple[str, ...] = param(DATASETS, choices=DATASETS)
    leak_seeds: int = param(3, ge=1, le=100)
    eval_per_class: int = param(0, ge=0)

    def validate(self) -> None:
        for name in self.datasets:
            largest = max(side for side, _ in conv_shapes(name))
            too_far = [r for r in self.rings if r >= largest]
            if too_far:
                raise ParameterError(f"parameter 'rings': got {list(self.rings)}; on {name} the largest layer has "
                                     f"{largest}x{largest} positions, so a ring must be < {largest} ({too_far} are not)")
            if self.train_per_class:
                available = min(datasets.class_counts(datasets.load(name, True).labels))
                if self.train_per_class > available:
                    raise ParameterError(f"parameter 'train_per_class': got {self.train_per_class}; {name} here has "
                                         f"at most {available} training images per class (0 = use all)")

    def runs(self) -> list[Run]:
        """Per dataset and seed: the CNN then free / CNN continued at every noise level; the same
        without noise at every shift > 0 (translation augmentation, beyond the seed); and the free
        net from a random initialisation without augmentation (Ott's setting, the divergence
        baseline)."""
        common = dict(cnn_epochs=self.cnn_epochs, after_epochs=self.after_epochs, patience=self.patience,
                      lr=self.lr, rings=self.rings, train_per_class=self.train_per_class,
                      eval_per_class=self.eval_per_class)
        out = []
        for name in self.datasets:
            for seed in range(self.seeds):
                out += [Run(name, sigma, 0, seed=seed, **common) for sigma in self.sigmas]
                out += [Run(name, 0.0, shift, seed=seed, **common) for shift in self.shifts if shift > 0]
                out.append(Run(name, 0.0, 0, init="random", seed=seed, **common))
        return out

    def leak_demos(self) -> list[LeakDemo]:
        """The leak on every dataset of `leak_datasets` (CIFAR-10 and MNIST by default, whatever `datasets`
        trains), `leak_seeds` shuffles each, at the chapter's learning rate, each until memorised
        (`leak_memorised`) or `leak_epochs`."""
        return [LeakDemo(name, self.leak_epochs, self.lr, seed, self.leak_memorised) for name in self.leak_datasets
                for seed in range(self.leak_seeds)]
