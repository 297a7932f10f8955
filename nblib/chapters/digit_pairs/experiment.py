"""Study 4 (EE-559 mini-project, 2019): weight sharing and an auxiliary loss on MNIST digit pairs.

Each input is two 14x14 MNIST digits; the target is 1 when the first digit is <= the second.
A model is two *pipes* (image -> 10 digit logits) and a *classifier* (the 20 concatenated
logits -> 2). Weight sharing uses one pipe for both images; the auxiliary loss adds the
cross-entropy of each pipe's digit prediction: loss = 0.5 * aux + 0.5 * main.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nblib import data as datasets
from nblib.errors import ParameterError
from nblib.params import TRAINING_COPIES, check_memory, param, parameter_bytes
from nblib.train import fit_many

ARCHS = ("shallow", "deep", "conv")
VARIANTS = ((False, False), (True, False), (False, True), (True, True))  # (sharing, aux): none, WS, AL, WS+AL
VARIANT_NAMES = ("none", "WS", "AL", "WS+AL")  # in VARIANTS order
KINDS = ("table", "validation", "sweep")  # the runs of Table 1, of the validation split, of the size sweep
# The seed's Table 1 (mean over 10 runs, best-on-test accuracy), in VARIANTS order.
SEED_TABLE = {"shallow": (0.8205, 0.8259, 0.8312, 0.8386), "deep": (0.8118, 0.8433, 0.8879, 0.8999),
              "conv": (0.8506, 0.8630, 0.9026, 0.9031)}
SEED_STD = {"shallow": (0.0149, 0.0122, 0.0055, 0.0182), "deep": (0.0169, 0.0132, 0.0122, 0.0124),
            "conv": (0.0115, 0.0132, 0.0137, 0.0167)}


def mnist_to_pairs(n: int, images: torch.Tensor, labels: torch.Tensor, generator: torch.Generator):
    """The course's mnist_to_pairs: 2x2 average pooling, the first 2n of a random permutation paired."""
    images = F.avg_pool2d(images.float(), kernel_size=2)  # (N, 1, 14, 14), values 0..255
    order = torch.randperm(images.shape[0], generator=generator)[:2 * n].view(n, 2)
    pairs = torch.cat((images[order[:, 0]], images[order[:, 1]]), 1)  # (n, 2, 14, 14)
    classes = labels[order]  # (n, 2)
    target = (classes[:, 0] <= classes[:, 1]).long()
    return pairs, target, classes


def mnist_pairs(n: int, seed: int, n_test: int | None = None):
    """(train_input, train_target, train_classes, test_input, test_target, test_classes): n pairs
    from MNIST train and n_test (default n) from MNIST test, a fresh draw for every seed (the
    course's generate_pair_sets(n), made deterministic)."""
    generator = torch.Generator().manual_seed(seed)
    train, test = datasets.load("mnist", True), datasets.load("mnist", False)
    n_test = n if n_test is None else n_test
    if 2 * n > len(train) or 2 * n_test > len(test):
        raise ValueError(f"{n} training and {n_test} test pairs need {2 * n} and {2 * n_test} images; "
                         f"MNIST has {len(train)} and {len(test)}")
    return (*mnist_to_pairs(n, train.images, train.labels, generator),
            *mnist_to_pairs(n_test, test.images, test.labels, generator))


def _mlp(widths: list[int]) -> nn.Sequential:
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def make_pipe(arch: str) -> nn.Module:
    """One image (B, 1, 14, 14) -> 10 digit logits."""
    if arch == "shallow":
        return nn.Sequential(nn.Flatten(), _mlp([196, 500, 10]))
    if arch == "deep":
        return nn.Sequential(nn.Flatten(), _mlp([196, 300, 100, 70, 30, 20, 10]))
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),  # 14 -> 12 -> 6
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(4),  # 6 -> 4 -> 1
        nn.Flatten(), _mlp([64, 100, 10]))


EVAL_CHUNK = 100  # pairs per evaluation batch
TRAIN_PROBE = 250  # training pairs per run on which the per-epoch training accuracy is measured
CLASSIFIERS = {"shallow": [20, 50, 2], "deep": [20, 30, 20, 10, 2], "conv": [20, 32, 2]}


class PairNet(nn.Module):
    """Two pipes (or one shared) and a classifier: x (B, 2, 14, 14) -> (main (B, 2), digits (B, 2, 10))."""

    def __init__(self, arch: str, sharing: bool):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")
        self.sharing = sharing
        self.pipes = nn.ModuleList([make_pipe(arch)] if sharing else [make_pipe(arch), make_pipe(arch)])
        self.classifier = _mlp(CLASSIFIERS[arch])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        images = x.unsqueeze(2)  # (B, 2, 1, 14, 14)
        digits = torch.stack([self.pipes[0 if self.sharing else i](images[:, i]) for i in range(2)], 1)
        return self.classifier(digits.flatten(1)), digits


def pair_loss(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor, aux: bool) -> torch.Tensor:
    """Cross-entropy of the comparison; with `aux`, 0.5 * that + 0.5 * the digits' cross-entropy.
    y: (B, 3) = (target, digit 0, digit 1)."""
    main, digits = out
    loss = F.cross_entropy(main, y[:, 0])
    if aux:
        loss = 0.5 * loss + 0.5 * F.cross_entropy(digits.flatten(0, 1), y[:, 1:].flatten())
    return loss


@dataclass(frozen=True)
class PairsConfig:
    """The seed's protocol (its defaults); n_test = 0 means as many test pairs as training pairs.
    curves=False measures the accuracies after the last epoch only (for sweeps: evaluation costs
    about a third of the training time of the ConvNet). validation > 0 holds out that share of the
    n_pairs training pairs (the last ones of each draw) and measures the main-task accuracy on them
    every epoch, so that an epoch can be selected without looking at the test set."""
    n_pairs: int = param(1000, ge=1, le=30000)
    n_test: int = param(0, ge=0, le=5000)
    runs: int = param(10, ge=1)
    epochs: int = param(50, ge=1)
    batch_size: int = param(100, ge=1)
    lr: float = param(1e-3, gt=0.0)
    seed: int = param(0, ge=0, le=2**31 - 1)
    curves: bool = True
    validation: float = param(0.0, ge=0.0, le=0.9)

    def held_out(self) -> int:
        """Training pairs per run held out as the validation split (0 without one)."""
        return round(self.validation * self.n_pairs)


@dataclass(frozen=True)
class ModelRun:
    """One of the 12 models (architecture, weight sharing, auxiliary loss), `pairs.runs` runs of it;
    `kind` says which part of the chapter it belongs to (one of KINDS)."""
    arch: str
    sharing: bool
    aux: bool
    pairs: PairsConfig
    kind: str = "table"

    def variant(self) -> str:
        """none, WS, AL or WS+AL."""
        return VARIANT_NAMES[VARIANTS.index((self.sharing, self.aux))]

    def cost(self) -> float:
        """Relative training time (measured here: a ConvNet run costs about ten FC runs; evaluating every
        epoch adds about 40%), to start the longest runs first."""
        return (self.pairs.runs * (self.pairs.n_pairs + self.pairs.n_test) * (10 if self.arch == "conv" else 1)
                * (1.4 if self.pairs.curves else 1.0))

    def reads(self) -> tuple[str, ...]:
        """The pairs are drawn from MNIST (its fingerprint is part of the cache key)."""
        return ("mnist",)


def train(run: ModelRun, device: torch.device = torch.device("cpu"), progress: bool = True) -> dict:
    """Train `runs` runs of one of the 12 models together on `device`, each on its own draw of pairs.

    Returns per-epoch accuracy of every run, (epochs, runs): on the test pairs, and on the
    first TRAIN_PROBE training pairs; for the main task and for the digits; with a validation split,
    the main-task accuracy on it (`val_acc`, else None). Run r draws the same pairs in every model
    and every kind (a validation split holds out the last of them), so runs can be paired. Pairs and
    initial weights are drawn on the CPU (the same on every device).
    """
    start = time.perf_counter()
    arch, sharing, aux, config = run.arch, run.sharing, run.aux, run.pairs
    draws = [mnist_pairs(config.n_pairs, config.seed * 1000 + r, config.n_test or None) for r in range(config.runs)]
    x, target, classes, x_test, target_test, classes_test = (torch.stack(t).to(device) for t in zip(*draws))
    n_fit = config.n_pairs - config.held_out()
    x_val, target_val, classes_val = x[:, n_fit:], target[:, n_fit:], classes[:, n_fit:]  # empty without a split
    x, target, classes = x[:, :n_fit], target[:, :n_fit], classes[:, :n_fit]
    y = torch.cat([target[..., None], classes], -1)  # (runs, n_fit, 3)

    def accuracies(stack, inputs, targets, digit_labels):
        with torch.no_grad():  # in chunks: small batches stay in cache, twice as fast as one big batch
            main, digits = (torch.cat(out, 1) for out in zip(*(stack(chunk) for chunk in inputs.split(EVAL_CHUNK, 1))))
        return ((main.argmax(-1) == targets).float().mean(-1).cpu(),
                (digits.argmax(-1) == digit_labels).float().mean((-2, -1)).cpu())

    epoch = iter(range(config.epochs))

    def record(stack):  # train accuracy on the first TRAIN_PROBE pairs of each run (evaluation is costly)
        if not config.curves and next(epoch) < config.epochs - 1:
            return torch.full((5, config.runs), math.nan)
        k = min(TRAIN_PROBE, n_fit)
        train_main, train_digit = accuracies(stack, x[:, :k], target[:, :k], classes[:, :k])
        test_main, test_digit = accuracies(stack, x_test, target_test, classes_test)
        val_main = (accuracies(stack, x_val, target_val, classes_val)[0]
                    if config.held_out() else torch.full((config.runs,), math.nan))
        return torch.stack([train_main, test_main, train_digit, test_digit, val_main])  # (5, runs)

    torch.manual_seed(config.seed)
    stack, history = fit_many(
        lambda i: PairNet(arch, sharing), config.runs, x, y, epochs=config.epochs,
        batch_size=config.batch_size, make_optimizer=lambda p: torch.optim.Adam(p, lr=config.lr),
        loss_fn=lambda out, yb: pair_loss(out, yb, aux), per_model_data=True, seed=config.seed,
        hooks={"acc": record}, progress=f"{arch} WS={sharing} AL={aux}" if progress else False)
    acc = history.stacked("acc")  # (epochs, 4, runs)
    if not config.curves:
        acc = acc[-1:]  # (1, 4, runs): only the final epoch was measured
    return {"arch": arch, "sharing": sharing, "aux": aux, "kind": run.kind, "n_pairs": config.n_pairs,
            "n_fit": n_fit, "train_acc": acc[:, 0], "test_acc": acc[:, 1],
            "train_digit_acc": acc[:, 2], "test_digit_acc": acc[:, 3],
            "val_acc": acc[:, 4] if config.held_out() else None,
            "n_params": sum(p.numel() for p in PairNet(arch, sharing).parameters()),
            "target_share": target.float().mean().item(), "seconds": time.perf_counter() - start}


@dataclass(frozen=True)
class Chapter:
    """The chapter's parameters: the seed's protocol (Table 1) with more runs than its 10, the same runs with
    a validation split held out to select the epoch, and the training-size sweep beyond the seed. Run r
    of every model and kind draws the same pairs, so every comparison is paired by run; where two models
    have different numbers of runs, their first common runs are compared."""
    n_pairs: int = param(1000, ge=2, le=5000)
    runs: int = param(40, ge=2, le=1000)
    conv_runs: int = param(20, ge=2, le=1000)
    epochs: int = param(50, ge=1)
    batch_size: int = param(100, ge=1)
    lr: float = param(1e-3, gt=0.0)
    seed: int = param(0, ge=0, le=2**31 - 1)
    validation: float = param(0.2, ge=0.0, le=0.9)
    val_runs: int = param(40, ge=2, le=1000)
    conv_val_runs: int = param(10, ge=2, le=1000)
    sweep_sizes: tuple[int, ...] = param((250, 500, 1000, 2000), ge=1, le=30000, nonempty=True)
    sweep_variants: tuple[str, ...] = param(("none", "WS", "AL"), choices=VARIANT_NAMES, nonempty=True)
    sweep_runs: int = param(20, ge=2, le=1000)
    conv_sweep_runs: int = param(8, ge=2, le=1000)

    def validate(self) -> None:
        """The runs of one model train together: their pairs, test pairs and models are in memory at once.
        A validation split must leave at least one pair on each side."""
        held = round(self.validation * self.n_pairs)
        if self.validation and not 1 <= held < self.n_pairs:
            raise ParameterError(f"parameter 'validation': got {self.validation} of n_pairs {self.n_pairs}, which "
                                 f"holds out {held} pairs; it must hold out at least 1 and leave at least 1 to train "
                                 "on (0 skips the validation split)")
        weights = max(parameter_bytes(lambda a=a, s=s: PairNet(a, s)) for a in ARCHS for s in (False, True))
        for names, runs, n_train, what in (
                (("runs", "conv_runs"), max(self.runs, self.conv_runs), self.n_pairs, "Table 1"),
                (("sweep_runs", "conv_sweep_runs", "sweep_sizes"), max(self.sweep_runs, self.conv_sweep_runs),
                 max(self.sweep_sizes), "the size sweep")):
            floats = runs * (n_train + self.n_pairs) * 2 * 14 * 14  # training and test pairs, 14x14 each
            check_memory(names, 2 * 4 * floats + runs * TRAINING_COPIES * weights,
                         f"{what}: {runs} runs of up to {n_train:,} training and {self.n_pairs:,} test pairs, trained "
                         "together")

    def runs_of(self, arch: str, kind: str) -> int:
        """Runs per model of `arch` in a kind of run (KINDS)."""
        conv = arch == "conv"
        return {"table": self.conv_runs if conv else self.runs,
                "validation": self.conv_val_runs if conv else self.val_runs,
                "sweep": self.conv_sweep_runs if conv else self.sweep_runs}[kind]

    def config(self, arch: str = "shallow", kind: str = "table", n_pairs: int | None = None) -> PairsConfig:
        """The protocol of one kind of run: Table 1's (the seed's), with the validation split held out, or one
        size of the sweep (tested on as many test pairs as Table 1, final epoch only)."""
        base = PairsConfig(n_pairs=self.n_pairs, runs=self.runs_of(arch, kind), epochs=self.epochs,
                           batch_size=self.batch_size, lr=self.lr, seed=self.seed)
        if kind == "validation":
            return dataclasses.replace(base, validation=self.validation)
        if kind == "sweep":
            return dataclasses.replace(base, n_pairs=n_pairs, n_test=self.n_pairs, curves=False)
        return base

    def table_runs(self) -> list[ModelRun]:
        """The 12 models of Table 1, in ARCHS x VARIANTS order."""
        return [ModelRun(arch, *variant, self.config(arch)) for arch in ARCHS for variant in VARIANTS]

    def validation_runs(self) -> list[ModelRun]:
        """The 12 models again with the validation split held out (none when `validation` is 0)."""
        return [ModelRun(arch, *variant, self.config(arch, "validation"), "validation")
                for arch in ARCHS for variant in VARIANTS] if self.validation else []

    def sweep_sizes_with_table(self) -> list[int]:
        """The sweep's sizes, Table 1's size included."""
        return sorted(set(self.sweep_sizes) | {self.n_pairs})

    def size_sweep(self) -> list[ModelRun]:
        """The sweep's variants of every architecture at every size but Table 1's (there Table 1's runs serve)."""
        return [ModelRun(arch, *VARIANTS[VARIANT_NAMES.index(v)], self.config(arch, "sweep", n), "sweep")
                for arch in ARCHS for v in self.sweep_variants for n in self.sweep_sizes_with_table()
                if n != self.n_pairs]

    def cells(self) -> list[ModelRun]:
        """Every run of the chapter, the longest first (a cluster then finishes sooner)."""
        return sorted(self.table_runs() + self.validation_runs() + self.size_sweep(), key=lambda r: -r.cost())


def key(result: dict) -> tuple:
    """(kind, arch, sharing, aux, n_pairs): how the chapter finds a result."""
    return result["kind"], result["arch"], result["sharing"], result["aux"], result["n_pairs"]
