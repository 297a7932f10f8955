"""Study 2's experiments: S-FC with SGD and beta-LASSO, S-CONV and S-LOCAL as references.

One `RunConfig` is one training run; `train` trains it and returns its history, sparsity
over epochs, selected test accuracy and final weights (the notebook's `Runner` caches it).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from nblib import data as datasets
from nblib.augment import random_crop_flip
from .nets import make_model, n_params
from nblib.optim import BetaLasso
from nblib.params import ParameterError, param
from .sparsity import nonzero_per_layer, weight_layers
from nblib.train import cosine_schedule, fit

DATASETS = ("cifar10", "mnist", "cifar100", "svhn")
IMAGE_SHAPES = {"cifar10": (3, 32), "mnist": (1, 28), "cifar100": (3, 32), "svhn": (3, 32)}  # (channels, side)
OPTIMIZERS = ("sgd", "beta-lasso")


@dataclass(frozen=True)
class RunConfig:
    """One training run (defaults: the paper's, at alpha = 1)."""
    dataset: str = "cifar10"
    model: str = "s-fc"
    optimizer: str = "sgd"
    beta: float = 50.0
    lam_first: float = 2e-5      # beta-LASSO lambda of the first layer
    lam_rest: float = 2e-5       # ... and of the other layers
    alpha: int = 1
    epochs: int = 400
    batch_size: int = 512
    lr: float = 0.1              # cosine schedule from here to 0
    momentum: float = 0.0        # SGD only
    weight_decay: float = 0.0    # SGD only
    augment: bool = False        # random crop (padding 4) + flip (no flip for digits)
    train_per_class: int = 0     # balanced training subset (0: all the data there is)
    val_fraction: float = 0.1    # held out of the training data for model selection
    seed: int = 0

    def reads(self) -> tuple[str, ...]:
        """The dataset the run trains and tests on (its fingerprint is part of the cache key)."""
        return (self.dataset,)


@dataclass(frozen=True)
class Chapter:
    """The chapter's parameters, checked before any training."""
    datasets: tuple[str, ...] = param(("cifar10", "mnist"), choices=DATASETS, nonempty=True)
    alpha: int = param(1, ge=1)
    epochs: int = param(400, ge=1)
    seeds: int = param(3, ge=1)
    betas: tuple[float, ...] = param((0.0, 1.0, 50.0), ge=0.0, nonempty=True)
    lam_first: float = param(2e-5, ge=0.0)
    lam_rest: float = param(2e-5, ge=0.0)
    lr: float = param(0.1, gt=0.0)
    momentum: float = param(0.0, ge=0.0, le=1.0)
    weight_decay: float = param(0.0, ge=0.0)
    batch_size: int = param(512, ge=1)
    augment: bool = False
    train_per_class: int = param(0, ge=0)
    val_fraction: float = param(0.1, gt=0.0, le=0.5)

    def validate(self) -> None:
        for name in self.datasets:
            if self.train_per_class and name in ("cifar10", "mnist"):
                available = min(datasets.class_counts(datasets.load(name, True).labels))
                if self.train_per_class > available:
                    raise ParameterError(
                        f"parameter 'train_per_class': got {self.train_per_class}; {name} here has "
                        f"at most {available} training images per class (0 = use all)")

    def runs(self, dataset: str, seed: int) -> list[RunConfig]:
        """S-FC with SGD and with beta-LASSO at every beta, S-CONV and S-LOCAL with SGD."""
        shared = dict(dataset=dataset, alpha=self.alpha, epochs=self.epochs, batch_size=self.batch_size,
                      lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay,
                      augment=self.augment, train_per_class=self.train_per_class,
                      val_fraction=self.val_fraction, seed=seed, lam_first=self.lam_first,
                      lam_rest=self.lam_rest)
        runs = [RunConfig(model="s-fc", optimizer="sgd", **shared)]
        runs += [RunConfig(model="s-fc", optimizer="beta-lasso", beta=b, **shared) for b in self.betas]
        runs += [RunConfig(model=m, optimizer="sgd", **shared) for m in ("s-conv", "s-local")]
        return runs


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


def balanced_accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 1000) -> float:
    """Mean over classes of the per-class accuracy (equals accuracy on a balanced test set)."""
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    classes = y.unique()
    return torch.stack([(pred[y == c] == c).float().mean() for c in classes]).mean().item()


def make_optimizer(model: torch.nn.Module, config: RunConfig) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    first = weight_layers(model)[0]
    first_ids = {id(p) for p in first.parameters()}
    rest = [p for p in model.parameters() if id(p) not in first_ids]
    return BetaLasso([{"params": list(first.parameters()), "lam": config.lam_first},
                      {"params": rest, "lam": config.lam_rest}],
                     lr=config.lr, lam=config.lam_rest, beta=config.beta)


def train(config: RunConfig, device: torch.device = torch.device("cpu"), progress: bool = True) -> dict:
    """Train one run on `device`; returns what the chapter shows (all tensors on the CPU).

    The model is initialised on the CPU (the same weights on every device), then moved.
    """
    split = load_split(config)
    x_train, y_train, x_val, y_val, x_test, y_test = (
        t.to(device) for t in (split.x_train, split.y_train, split.x_val, split.y_val, split.x_test, split.y_test))
    torch.manual_seed(config.seed)
    channels, side = x_train.shape[1], x_train.shape[-1]
    classes = int(y_train.max()) + 1
    model = make_model(config.model, config.alpha, side, channels, classes).to(device)
    digits = config.dataset == "mnist"
    augment = (lambda xb, g: random_crop_flip(xb, g, flip=not digits)) if config.augment else None
    start = time.perf_counter()
    history = fit(model, x_train, y_train, epochs=config.epochs, batch_size=config.batch_size,
                  optimizer=make_optimizer(model, config), schedule=cosine_schedule(config.epochs),
                  val=(x_val, y_val), hooks={"nonzero": nonzero_per_layer},
                  augment=augment, restore_best=True, seed=config.seed,
                  progress=f"{config.model} {config.optimizer}" if progress else False)
    return {
        "config": config, "seconds": time.perf_counter() - start, "note": split.note,
        "n_params": n_params(model), "layer_sizes": [m.weight.numel() for m in weight_layers(model)],
        "val_acc": history["val_acc"], "train_loss": history["train_loss"],
        "nonzero": torch.tensor(history["nonzero"]),  # (epochs, layers), after each epoch
        "best_epoch": history["best_epoch"][0],
        "test_acc": balanced_accuracy(model, x_test, y_test),
        "first_layer": weight_layers(model)[0].weight.detach().cpu().clone(),
        "final_nonzero": nonzero_per_layer(model),
    }

