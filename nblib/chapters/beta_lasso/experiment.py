"""Study 2's experiments: S-FC with SGD and beta-LASSO, S-CONV and S-LOCAL as references.

Two settings per dataset. The students' setting: beta-LASSO at their betas for `epochs` epochs,
at their L1 pull and threshold: lambda scaled so that the first layer's pull over the run equals
theirs (`students_pull`, 2.18 x the initial bound: lambda 2e-5 over their 39,200 steps), and beta
divided by the same factor so that the threshold beta * lambda is theirs; with S-FC SGD, the
students' BCE loss for a few seeds, and a control run at their own lambda for as many epochs as
their pull takes. The pull setting: lambda chosen so that the L1 pull over the run,
lambda * sum_t lr_t, is a stated multiple of the first layer's initial-weight bound (enough to
zero any weight the gradient leaves alone), with the threshold beta * lambda held fixed well
below that bound, so that weights are zeroed by the pull accumulated during training and not
by their initial size. One `RunConfig` is one training run; `train` returns its history, the
locality of its first layer over epochs and its final-epoch numbers (the notebook's `Runner`
caches it).
"""
from __future__ import annotations

import math
import time
import dataclasses
from dataclasses import dataclass

import torch

from nblib import data as datasets
from nblib.augment import random_crop_flip
from .nets import make_model, n_params
from nblib.optim import BetaLasso, lambda_for_pull, total_lr
from nblib.params import TRAINING_COPIES, ParameterError, check_memory, param, parameter_bytes
from .sparsity import (WINDOW, active_area, first_layer_locality, first_layer_maps, nonzero_per_layer,
                       shuffled_window_mass, support_window_mass, uniform_window_mass, unit_nonzero, weight_layers,
                       window_mass)
from nblib.train import balanced_evaluate, cosine_schedule, evaluate, fit

DATASETS = ("cifar10", "mnist", "cifar100", "svhn")
IMAGE_SHAPES = {"cifar10": (3, 32), "mnist": (1, 28), "cifar100": (3, 32), "svhn": (3, 32)}  # (channels, side)
OPTIMIZERS = ("sgd", "beta-lasso")
LOSSES = ("ce", "bce")  # softmax cross-entropy; the students' BCE with logits on one-hot targets
STUDENT_DATASETS = ("cifar10", "svhn")  # the datasets of the students' Table II and figures
SNAPSHOT_FRACTIONS = (0, 1 / 64, 1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 3 / 4, 1)  # of a run's epochs


@dataclass(frozen=True)
class RunConfig:
    """One training run (defaults: the students' setting, alpha = 1)."""
    dataset: str = "cifar10"
    model: str = "s-fc"
    optimizer: str = "sgd"
    beta: float = 50.0
    lam_first: float = 2e-5      # beta-LASSO lambda of the first layer's weights
    lam_rest: float = 2e-5       # ... and of the other layers' weights (biases and BatchNorm: none)
    pull: float = 0.0            # the pull / initial bound that chose lambda (0: lambda given)
    pull_match: float = 0.0      # > 0: lambdas scaled to reach this pull / bound, beta divided by the same
    loss: str = "ce"             # one of LOSSES
    alpha: int = 1
    epochs: int = 400
    batch_size: int = 512
    lr: float = 0.1              # cosine schedule from here to 0
    momentum: float = 0.0        # SGD only
    weight_decay: float = 0.0    # SGD only
    augment: bool = False        # random crop (padding 4) + flip (no flip for digits)
    train_per_class: int = 0     # balanced training subset (0: all the data there is)
    val_fraction: float = 0.1    # held out of the training data for model selection
    snapshots: tuple[int, ...] = ()  # epochs (0: at initialisation) whose first-layer maps are kept
    seed: int = 0
    record_every: int = 1        # validation and first-layer locality after every that many epochs and the last

    def reads(self) -> tuple[str, ...]:
        """The dataset the run trains and tests on (its fingerprint is part of the cache key)."""
        return (self.dataset,)


def init_bound(dataset: str) -> float:
    """The first layer's initial-weight bound, 1 / sqrt(fan-in): PyTorch draws S-FC's first
    weights from U(-bound, bound)."""
    channels, side = IMAGE_SHAPES[dataset]
    return 1 / math.sqrt(channels * side * side)


def steps_per_epoch(config: RunConfig) -> int:
    return math.ceil(split_sizes(config)[0] / config.batch_size)


def lr_sum(config: RunConfig) -> float:
    """sum_t lr_t over a run's steps (cosine schedule over its epochs)."""
    return total_lr(config.lr, cosine_schedule(config.epochs), config.epochs, steps_per_epoch(config))


def effective(config: RunConfig) -> tuple[float, float, float]:
    """(lam_first, lam_rest, beta) that a run trains with: as given, or with `pull_match` both
    lambdas scaled so that the first layer's pull is pull_match x its initial bound and beta
    divided by the same factor (the threshold beta * lam_first is unchanged)."""
    if not config.pull_match or config.optimizer != "beta-lasso":
        return config.lam_first, config.lam_rest, config.beta
    scale = lambda_for_pull(config.pull_match, init_bound(config.dataset), lr_sum(config)) / config.lam_first
    return config.lam_first * scale, config.lam_rest * scale, config.beta / scale


def pull(config: RunConfig) -> float:
    """The first layer's L1 pull over the run, lambda * sum_t lr_t, in units of its initial bound."""
    return effective(config)[0] * lr_sum(config) / init_bound(config.dataset)


def epochs_for_pull(config: RunConfig, target: float) -> int:
    """The fewest epochs at which `config`'s own first-layer lambda pulls by `target` x the bound."""
    per_epoch = config.lam_first * config.lr / 2 * steps_per_epoch(config) / init_bound(config.dataset)
    epochs = max(1, math.floor(target / per_epoch))
    while pull(dataclasses.replace(config, epochs=epochs, pull_match=0.0)) < target:
        epochs += 1
    return epochs


@dataclass(frozen=True)
class Chapter:
    """The chapter's parameters, checked before any training."""
    datasets: tuple[str, ...] = param(("mnist", "cifar10"), choices=DATASETS, nonempty=True)
    alpha: int = param(1, ge=1)
    epochs: int = param(400, ge=1)
    seeds: int = param(3, ge=1, le=100)
    betas: tuple[float, ...] = param((0.0, 1.0, 50.0), ge=0.0, nonempty=True)
    beyond_betas: tuple[float, ...] = param((50.0,), ge=0.0, nonempty=True)
    students_pull: float = param(2.18, ge=0.0)
    bce_seeds: int = param(3, ge=0, le=100)
    control_seeds: int = param(1, ge=0, le=100)
    lam_first: float = param(2e-5, ge=0.0)
    lam_rest: float = param(2e-5, ge=0.0)
    pulls: tuple[float, ...] = param((0.5, 1.0, 2.0, 4.0), gt=0.0)
    threshold: float = param(1e-3, gt=0.0)
    pull_epochs: int = param(30, ge=1)
    lr: float = param(0.1, gt=0.0)
    momentum: float = param(0.0, ge=0.0, le=1.0)
    weight_decay: float = param(0.0, ge=0.0)
    batch_size: int = param(512, ge=1)
    augment: bool = False
    train_per_class: int = param(0, ge=0)
    beyond_per_class: int = param(500, ge=0)
    val_fraction: float = param(0.1, gt=0.0, le=0.5)
    record_every: int = param(5, ge=1)

    def validate(self) -> None:
        if (self.students_pull or self.control_seeds) and self.lam_first <= 0:
            raise ParameterError(f"parameter 'lam_first': got {self.lam_first:g}; students_pull > 0 and the control "
                                 "run scale or use the students' lambda, which must be above 0 (or set "
                                 "students_pull 0 and control_seeds 0)")
        for name in self.datasets:
            channels, side = (1, 28) if name == "mnist" else (3, 32)
            weights = max(parameter_bytes(lambda m=m: make_model(m, self.alpha, side, channels))
                          for m in ("s-fc", "s-conv", "s-local"))
            check_memory("alpha", TRAINING_COPIES * weights,
                         f"alpha {self.alpha} (the largest net on {name} has {weights // 4:,} weights, each held "
                         f"{TRAINING_COPIES} times in training)")
            per_class, which = ((self.train_per_class, "train_per_class") if name in STUDENT_DATASETS
                                else (self.beyond_per_class, "beyond_per_class"))
            if per_class and name in ("cifar10", "mnist"):
                available = min(datasets.class_counts(datasets.load(name, True).labels))
                if per_class > available:
                    raise ParameterError(
                        f"parameter '{which}': got {per_class}; {name} here has "
                        f"at most {available} training images per class (0 = use all)")
            if self.pulls and self.threshold >= init_bound(name) / 4:
                raise ParameterError(
                    f"parameter 'threshold': got {self.threshold:g}; the pull runs need beta * lambda well "
                    f"below {name}'s first-layer initial bound {init_bound(name):.4f} (at most a quarter "
                    f"of it: {init_bound(name) / 4:.4f}), or the threshold, not the pull, zeroes the weights")

    def runs(self, dataset: str, seed: int) -> list[RunConfig]:
        """The students' setting (S-FC SGD and beta-LASSO at every beta, `epochs` epochs, at the
        students' pull; `beyond_betas` on a dataset the students never used), on the students'
        datasets the students' BCE loss (SGD and the largest beta, seeds below `bce_seeds`) and the
        control (the largest beta at the students' own lambda for as many epochs as their pull
        takes, seeds below `control_seeds`), then the pull setting (S-FC beta-LASSO at every pull,
        S-FC SGD, S-CONV and S-LOCAL, `pull_epochs`)."""
        theirs = dataset in STUDENT_DATASETS
        shared = dict(dataset=dataset, alpha=self.alpha, batch_size=self.batch_size, lr=self.lr,
                      momentum=self.momentum, weight_decay=self.weight_decay, augment=self.augment,
                      train_per_class=self.train_per_class if theirs else self.beyond_per_class,
                      val_fraction=self.val_fraction, seed=seed, record_every=self.record_every)
        # seed 0 of the students' beta-LASSO runs keeps its first layer at a few epochs (the slider)
        snapshots = tuple(sorted({round(f * self.epochs) for f in SNAPSHOT_FRACTIONS})) if seed == 0 else ()
        lasso = lambda beta, **kw: RunConfig(model="s-fc", optimizer="beta-lasso", beta=beta, lam_first=self.lam_first,
                                             lam_rest=self.lam_rest, **{**shared, **kw})
        students = [RunConfig(model="s-fc", optimizer="sgd", epochs=self.epochs, **shared)]
        students += [lasso(b, epochs=self.epochs, pull_match=self.students_pull, snapshots=snapshots)
                     for b in (self.betas if theirs else self.beyond_betas)]
        if theirs and seed < self.bce_seeds:
            students += [RunConfig(model="s-fc", optimizer="sgd", epochs=self.epochs, loss="bce", **shared),
                         lasso(max(self.betas), epochs=self.epochs, pull_match=self.students_pull, loss="bce")]
        if theirs and seed < self.control_seeds and self.students_pull:
            control = lasso(max(self.betas), epochs=self.epochs)
            students.append(dataclasses.replace(control, epochs=epochs_for_pull(control, self.students_pull)))
        if not self.pulls:
            return students
        probe = RunConfig(epochs=self.pull_epochs, **shared)
        probe_sum = lr_sum(probe)
        pulled = []
        for multiple in self.pulls:
            lam = lambda_for_pull(multiple, init_bound(dataset), probe_sum)
            pulled.append(RunConfig(model="s-fc", optimizer="beta-lasso", beta=self.threshold / lam, lam_first=lam,
                                    lam_rest=lam, pull=multiple, epochs=self.pull_epochs, **shared))
        references = [RunConfig(model=m, optimizer="sgd", epochs=self.pull_epochs, **shared)
                      for m in ("s-fc", "s-conv", "s-local")]
        return students + pulled + [r for r in references if r not in students]


@dataclass
class Split:
    """Normalised tensors of one dataset: train / validation / test, and where they came from."""
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    note: str


def split_sizes(config: RunConfig) -> tuple[int, int]:
    """(training, validation) sizes of a run's split of the training data."""
    labels = datasets.load(config.dataset, True).labels
    total = config.train_per_class * len(labels.unique()) if config.train_per_class else len(labels)
    n_val = int(round(config.val_fraction * total))
    return total - n_val, n_val


def load_split(config: RunConfig) -> Split:
    """Balanced training subset, a validation split held out of it, and the whole test split."""
    train, test = datasets.load(config.dataset, True), datasets.load(config.dataset, False)
    idx = (datasets.balanced_subset(train.labels, config.train_per_class, config.seed)
           if config.train_per_class else torch.arange(len(train)))
    idx = idx[torch.randperm(len(idx), generator=torch.Generator().manual_seed(config.seed))]
    n_val = split_sizes(config)[1]
    x = train.float()
    mean, std = x[idx[n_val:]].mean((0, 2, 3), keepdim=True), x[idx[n_val:]].std((0, 2, 3), keepdim=True)
    norm = lambda images: (images - mean) / std  # statistics of the training part only
    note = (f"{train.note}; used {len(idx) - n_val:,} for training and {n_val:,} for validation; "
            f"test: {test.note}")
    return Split(norm(x[idx[n_val:]]), train.labels[idx[n_val:]], norm(x[idx[:n_val]]),
                 train.labels[idx[:n_val]], norm(test.float()), test.labels, note)


def make_optimizer(model: torch.nn.Module, config: RunConfig) -> torch.optim.Optimizer:
    """SGD, or beta-LASSO on the weight matrices only (the paper's algorithm acts on weights):
    the first layer's at lam_first, the others' at lam_rest; biases and BatchNorm parameters
    take the same plain gradient step, with no L1 pull and no threshold."""
    lam_first, lam_rest, beta = effective(config)
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    first, *rest = [m.weight for m in weight_layers(model)]
    weights = {id(first)} | {id(w) for w in rest}
    others = [p for p in model.parameters() if id(p) not in weights]
    return BetaLasso([{"params": [first], "lam": lam_first},
                      {"params": rest, "lam": lam_rest},
                      {"params": others, "lam": 0.0, "beta": 0.0}],
                     lr=config.lr, lam=lam_rest, beta=beta)


def loss_function(config: RunConfig, classes: int):
    """Softmax cross-entropy, or the students' `BCEWithLogitsLoss` on one-hot targets (mean over
    the batch and the classes, as theirs)."""
    if config.loss == "ce":
        return torch.nn.functional.cross_entropy
    if config.loss == "bce":
        def bce(out: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
            per_image = torch.nn.functional.binary_cross_entropy_with_logits(
                out, torch.nn.functional.one_hot(y, classes).to(out.dtype), reduction="none").mean(1)
            return per_image.sum() if reduction == "sum" else per_image.mean()
        return bce
    raise ValueError(f"loss must be one of {LOSSES}, got {config.loss!r}")


def _every(hook, config: RunConfig, skipped):
    """A per-epoch hook that runs after every `config.record_every`-th epoch and the last, and returns
    `skipped` after the others."""
    epochs = iter(range(1, config.epochs + 1))
    return lambda m: hook(m) if (e := next(epochs)) % config.record_every == 0 or e == config.epochs else skipped


def train(config: RunConfig, device: torch.device = torch.device("cpu"), progress: bool = True) -> dict:
    """Train one run on `device`; returns what the chapter shows (all tensors on the CPU).

    Every number is the final epoch's (validation accuracy is recorded for choosing beta or
    the pull, never to pick an epoch). The model is initialised on the CPU (the same weights
    on every device), then moved.
    """
    split = load_split(config)
    x_train, y_train, x_val, y_val, x_test, y_test = (
        t.to(device) for t in (split.x_train, split.y_train, split.x_val, split.y_val, split.x_test, split.y_test))
    torch.manual_seed(config.seed)
    channels, side = x_train.shape[1], x_train.shape[-1]
    classes = int(y_train.max()) + 1
    model = make_model(config.model, config.alpha, side, channels, classes).to(device)
    maps = lambda m: first_layer_maps(m, channels, side).cpu()
    hooks = {"nonzero": nonzero_per_layer,
             "val": _every(lambda m: evaluate(m, x_val, y_val), config, (math.nan, math.nan))}
    if config.model != "s-conv":  # a convolution is local by construction: window mass 1
        hooks["locality"] = _every(lambda m: first_layer_locality(maps(m)), config, (math.nan, 0))
    snapshots = {0: maps(model)} if 0 in config.snapshots else {}
    epochs = iter(range(1, config.epochs + 1))

    def snapshot(m: torch.nn.Module) -> None:  # called once after every epoch
        if (epoch := next(epochs)) in config.snapshots:
            snapshots[epoch] = maps(m)

    hooks["snapshot"] = snapshot
    digits = config.dataset == "mnist"
    augment = (lambda xb, g: random_crop_flip(xb, g, flip=not digits)) if config.augment else None
    start = time.perf_counter()
    history = fit(model, x_train, y_train, epochs=config.epochs, batch_size=config.batch_size,
                  optimizer=make_optimizer(model, config), schedule=cosine_schedule(config.epochs),
                  loss_fn=loss_function(config, classes),
                  hooks=hooks, augment=augment, seed=config.seed,
                  progress=f"{config.model} {config.optimizer} {config.epochs} ep" if progress else False)
    seconds = time.perf_counter() - start
    area = active_area(split.x_train)
    pixel_var = split.x_train.var(0).mean(0)  # (side, side): the support-keeping null's weights
    final = maps(model) if config.model != "s-conv" else None
    dense = config.model == "s-fc"
    return {
        "config": config, "seconds": seconds, "note": split.note,
        "n_params": n_params(model), "layer_sizes": [m.weight.numel() for m in weight_layers(model)],
        "steps_per_epoch": steps_per_epoch(config),
        "val_acc": [acc for _, acc in history["val"]], "train_loss": history["train_loss"],
        "nonzero": torch.tensor(history["nonzero"]),  # (epochs, layers), after each epoch
        "locality": torch.tensor(history["locality"]) if "locality" in hooks else None,  # (epochs, 2), nan: not recorded
        "test_acc": balanced_evaluate(model, x_test, y_test)[1],
        "final_nonzero": nonzero_per_layer(model),
        "window": window_mass(final) if final is not None else None,  # (units,), nan: dead unit
        "shuffled_window": shuffled_window_mass(final, config.seed) if final is not None else None,
        "support_window": support_window_mass(final, pixel_var, config.seed) if final is not None else None,
        "unit_nonzero": unit_nonzero(model).cpu() if dense else None,  # (units,): the pruning null's sizes
        # SGD's trained first layer, for the null that prunes it to a beta-LASSO run's sparsity
        "first_weight": weight_layers(model)[0].weight.detach().cpu().clone() if dense and config.optimizer == "sgd"
        else None,
        "pixel_var": pixel_var,
        "uniform_window": uniform_window_mass(area, WINDOW),
        "maps": final, "snapshots": snapshots,
    }
