"""The one trainer: data in memory, batches by index permutation, any torch optimiser.

Three entry points share one epoch loop (`_epochs`):
- `fit(model, ...)`: one model, with validation, early stopping on a plateau, per-epoch
  metric hooks, checkpoints at chosen epochs and resuming after an interruption;
- `fit_many(make_model, n_models, ...)`: M copies of one architecture trained together, with
  `torch.func.vmap` over stacked parameters where that is faster (e.g. a seeds sweep);
- `train_stacked(model, ...)`: a module that already holds M models in batched layers
  (parameters with a leading dimension M), as the binary-tree chapter's nets do.
For M models the loss is the sum of the per-model mean losses and every model draws its own
batch order, so with an element-wise optimiser (SGD, Adam, BetaLasso) each model gets
exactly the update it would get alone.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from nblib.layers import LocallyConnected2d


def mse_per_model(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the last (batch) dimension: (..., M, B) -> (..., M)."""
    return (pred - target).pow(2).mean(dim=-1)


def step_schedule(epochs: int, drop_at: float = 0.5, factor: float = 0.1) -> Callable[[int], float]:
    """lr multiplier: 1 before `drop_at * epochs`, then `factor` (the seed's 1e-3 -> 1e-4)."""
    return lambda epoch: 1.0 if epoch < int(drop_at * epochs) else factor


def cosine_schedule(epochs: int) -> Callable[[int], float]:
    """lr multiplier following half a cosine from 1 to 0 over `epochs`."""
    return lambda epoch: 0.5 * (1 + math.cos(math.pi * epoch / epochs))


def minibatches(n_models: int | None, n: int, batch_size: int, generator: torch.Generator):
    """A random order of range(n) per model, cut into batches: (b,) or (M, b) index tensors."""
    order = torch.argsort(torch.rand(n_models or 1, n, generator=generator), dim=1)  # (M, n)
    for start in range(0, n, batch_size):
        idx = order[:, start:start + batch_size]
        yield idx if n_models else idx[0]


def _epochs(batch_loss: Callable, n: int, *, epochs: int, batch_size: int, optimizer,
            schedule: Callable[[int], float], generator: torch.Generator, n_models: int | None,
            device: torch.device, start_epoch: int = 0,
            end_of_epoch: Callable[[int, torch.Tensor], bool] = lambda e, l: False,
            progress: bool | str = True) -> None:
    """The shared loop: lr from the schedule, one pass in random order, then `end_of_epoch`
    (which returns True to stop early) with the mean training loss of the epoch. Batch orders
    are drawn on the CPU (the same on every device) and sent to the data's `device`."""
    base_lrs = [group.setdefault("initial_lr", group["lr"]) for group in optimizer.param_groups]
    bar = tqdm(range(start_epoch, epochs), desc=progress if isinstance(progress, str) else "epochs",
               disable=not progress, leave=False, initial=start_epoch, total=epochs)
    for epoch in bar:
        for group, lr in zip(optimizer.param_groups, base_lrs):
            group["lr"] = lr * schedule(epoch)
        total, batches = 0.0, 0
        for idx in minibatches(n_models, n, batch_size, generator):
            loss = batch_loss(idx.to(device))  # () or (..., M)
            optimizer.zero_grad(set_to_none=True)
            loss.sum().backward()
            optimizer.step()
            total, batches = total + loss.detach(), batches + 1
        if end_of_epoch(epoch, total / batches):
            break


# --- many models in batched layers -------------------------------------------------------------

@dataclass
class History:
    """Per-epoch records: name -> list of values (floats, or tensors over models)."""
    records: dict[str, list] = field(default_factory=dict)

    def log(self, **values) -> None:
        for name, value in values.items():
            self.records.setdefault(name, []).append(value)

    def __getitem__(self, name: str) -> list:
        return self.records[name]

    def stacked(self, name: str = "train_loss") -> torch.Tensor:
        return torch.stack([torch.as_tensor(v) for v in self.records[name]])


def train_stacked(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, epochs: int,
                  batch_size: int, optimizer: torch.optim.Optimizer,
                  schedule: Callable[[int], float] = lambda epoch: 1.0,
                  loss_fn: Callable = mse_per_model, seed: int = 0,
                  progress: bool | str = True) -> History:
    """Train a stacked model (M models in batched layers) on per-model data x (M, n, ...), y (M, n, ...)."""
    n_models, n = x.shape[:2]
    rows = torch.arange(n_models, device=x.device)[:, None]
    history = History()
    _epochs(lambda idx: loss_fn(model(x[rows, idx]), y[rows, idx]), n, epochs=epochs,
            batch_size=batch_size, optimizer=optimizer, schedule=schedule,
            generator=torch.Generator().manual_seed(seed), n_models=n_models, device=x.device,
            end_of_epoch=lambda epoch, loss: history.log(train_loss=loss), progress=progress)
    return history


# --- many copies of one architecture, with torch.func.vmap -----------------------------------

# When stacking loses on a CPU (benchmarks/bench_stacking.py, model by model): a vmapped
# convolution becomes one grouped convolution and a vmapped LocallyConnected2d gathers every
# model's patches at once, and a dense weight too large for the cache (image nets' FCNet, 0.2M
# to 3.6M weights per layer: 1.3x to 3x slower stacked) is moved once more per model by the
# batched matmul's backward; M small steps one after another stay in cache. Small dense nets
# (digit pairs' MLPs, up to 0.1M weights: 0.5x to 0.6x) and WeightNet's FFT convolution (0.35x to
# 0.8x) win stacked.
_LOOP_ON_CPU = (torch.nn.Conv1d, torch.nn.Conv2d, LocallyConnected2d)
LARGEST_STACKED_WEIGHT = 2 ** 18  # floats (1 MiB): the largest dense weight that stacks on a CPU


def stacking_wins(model: torch.nn.Module, device: torch.device | str) -> bool:
    """Whether M copies of `model` train faster stacked (vmap) than one after another. On a CPU,
    only nets without convolutions or locally connected layers whose dense weights are all at
    most LARGEST_STACKED_WEIGHT (the rule bench_stacking.py checks, model by model); on a GPU
    always (one kernel launch for M models; not measured on the machine that wrote this)."""
    if torch.device(device).type != "cpu":
        return True
    if any(isinstance(m, _LOOP_ON_CPU) for m in model.modules()):
        return False
    return all(m.weight.numel() <= LARGEST_STACKED_WEIGHT for m in model.modules()
               if isinstance(m, torch.nn.Linear))


class ModelStack:
    """M independent copies of one architecture, called as one: x (M, B, ...) -> (M, B, ...).

    Stacked (`stacked=True`): the parameters are stacked (name -> (M, ...)) and the models
    called with vmap. Looped (`stacked=False`): M ordinary modules called one after another.
    Both train identically (to float rounding); `stacked=None` picks the faster for this model
    and device (`stacking_wins`). The models are built (and initialised) on the CPU, the same
    numbers on every device and either way, and live on `device`.
    """

    def __init__(self, make_model: Callable[[int], torch.nn.Module], n_models: int,
                 device: torch.device | str = "cpu", stacked: bool | None = None):
        models = [make_model(i).to(device) for i in range(n_models)]
        if any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in models[0].modules()):
            raise ValueError("fit_many cannot vmap BatchNorm (its running statistics update in place); "
                             "train such models with fit, or write them with batched layers")
        self.stacked = stacking_wins(models[0], device) if stacked is None else stacked
        self.n_models = n_models
        if self.stacked:
            self.params, self.buffers = torch.func.stack_module_state(models)  # name -> (M, ...)
            self.base = models[0].to("meta")
        else:
            self.models = models

    def parameters(self) -> list[torch.Tensor]:
        if self.stacked:
            return list(self.params.values())
        return [p for m in self.models for p in m.parameters()]

    def __call__(self, x: torch.Tensor):
        """x (M, B, ...) -> outputs (M, B, ...) (or a tuple of them, as the model returns)."""
        if self.stacked:
            call = lambda p, b, xb: torch.func.functional_call(self.base, (p, b), (xb,))
            return torch.vmap(call)(self.params, self.buffers, x)
        outs = [m(xi) for m, xi in zip(self.models, x)]
        if isinstance(outs[0], tuple):
            return tuple(torch.stack(parts) for parts in zip(*outs))
        return torch.stack(outs)

    def state_dict(self, i: int) -> dict[str, torch.Tensor]:
        """Model i's parameters and buffers (views into the stack, or the module's own)."""
        if self.stacked:
            return {k: v[i] for k, v in {**self.params, **self.buffers}.items()}
        return dict(self.models[i].state_dict())

    def model(self, i: int, make_model: Callable[[int], torch.nn.Module]) -> torch.nn.Module:
        """Model i as an ordinary module (for evaluation, plots, saving)."""
        module = make_model(i)
        state = self.state_dict(i)
        # the module's own state (its persistent entries): non-persistent buffers, such as a
        # locally connected layer's patch index, are rebuilt by make_model
        module.load_state_dict({k: state[k].detach().clone() for k in module.state_dict()})
        return module


def fit_many(make_model: Callable[[int], torch.nn.Module], n_models: int, x: torch.Tensor,
             y: torch.Tensor, *, epochs: int, batch_size: int,
             make_optimizer: Callable[[list], torch.optim.Optimizer],
             schedule: Callable[[int], float] = lambda epoch: 1.0,
             loss_fn: Callable = F.cross_entropy, per_model_data: bool = False,
             hooks: dict[str, Callable[[ModelStack], torch.Tensor]] | None = None, seed: int = 0,
             progress: bool | str = True, stacked: bool | None = None) -> tuple[ModelStack, History]:
    """Train M copies of an architecture (model i = make_model(i)) together.

    x, y: one dataset (n, ...) shared by all models, or with `per_model_data` one per model
    (M, n, ...); y may be any tensor that `loss_fn(output, y)` understands for one model.
    Model i sees its own batch order. Returns the stack and the history: the per-epoch loss
    of every model, and per hook (name -> hook(stack), e.g. test accuracy of every model).
    `stacked`: vmap the models (True), loop over them (False), or the faster for this model
    and device (None, `stacking_wins`); the updates are the same either way.
    """
    stack = ModelStack(make_model, n_models, device=x.device, stacked=stacked)
    if not per_model_data:
        x, y = x.expand(n_models, *x.shape), y.expand(n_models, *y.shape)  # shared data, no copy
    rows = torch.arange(n_models, device=x.device)[:, None]
    per_model = torch.vmap(lambda out, target: loss_fn(out, target))
    optimizer = make_optimizer(stack.parameters())
    history = History()
    _epochs(lambda idx: per_model(stack(x[rows, idx]), y[rows, idx]), x.shape[1], epochs=epochs,
            batch_size=batch_size, optimizer=optimizer, schedule=schedule,
            generator=torch.Generator().manual_seed(seed), n_models=n_models, device=x.device,
            end_of_epoch=lambda epoch, loss: history.log(
                train_loss=loss, **{name: hook(stack) for name, hook in (hooks or {}).items()}),
            progress=progress)
    return stack, history


# --- one model, with everything -------------------------------------------------------------------

@dataclass(frozen=True)
class EarlyStopping:
    """Stop when the validation loss has not improved by `min_delta` for `patience` epochs."""
    patience: int = 10
    min_delta: float = 0.0


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn=F.cross_entropy,
             batch_size: int = 1024) -> tuple[float, float]:
    """(mean loss, accuracy) of a classifier on (x, y), in eval mode, in batches."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        out = model(x[start:start + batch_size])
        total += loss_fn(out, y[start:start + batch_size], reduction="sum").item()
        correct += (out.argmax(1) == y[start:start + batch_size]).sum().item()
    model.train(was_training)
    return total / len(x), correct / len(x)


@torch.no_grad()
def balanced_evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000):
    """(loss, accuracy) with every class weighted equally (eval mode): on a test set whose
    classes are unequal, as in the partial CIFAR-10 copy, what the balanced set would give."""
    was_training = model.training
    model.eval()
    counts = torch.bincount(y).double()
    weight = 1 / ((counts > 0).sum() * counts[y])
    loss, acc = 0.0, 0.0
    for i in range(0, len(x), batch_size):
        out, w = model(x[i:i + batch_size]), weight[i:i + batch_size]
        loss += (w * F.cross_entropy(out, y[i:i + batch_size], reduction="none").double()).sum().item()
        acc += (w * (out.argmax(1) == y[i:i + batch_size]).double()).sum().item()
    model.train(was_training)
    return loss, acc


def _save_atomic(state: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def fit(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int,
        optimizer: torch.optim.Optimizer, schedule: Callable[[int], float] = lambda epoch: 1.0,
        loss_fn: Callable = F.cross_entropy, val: tuple[torch.Tensor, torch.Tensor] | None = None,
        early_stopping: EarlyStopping | None = None,
        hooks: dict[str, Callable[[torch.nn.Module], float]] | None = None,
        augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
        restore_best: bool = False, checkpoint_dir: str | os.PathLike | None = None,
        save_at: tuple[int, ...] = (), seed: int = 0, progress: bool | str = True) -> History:
    """Train one model on in-memory tensors; returns the per-epoch history.

    history: train_loss, lr, and with `val` val_loss / val_acc, plus one entry per hook
    (name -> hook(model), e.g. non-zero weights per layer, filter distances, delta).
    With `checkpoint_dir`, the full state (model, optimiser, history, batch-order RNG) is saved
    after every epoch to `last.pt`, and a rerun resumes from it: an interrupted run continues
    exactly where it stopped. The model alone is also saved after each epoch in `save_at`
    (counted from 1: save_at=(8,) saves the model after 8 epochs) as `epoch_<t>.pt`.
    With `restore_best` (needs `val`), the model ends with the weights of its epoch of best
    validation accuracy (model selection on held-out data); history["best_epoch"] says which.
    """
    generator = torch.Generator().manual_seed(seed)
    history, start_epoch = History(), 0
    best, since_best = math.inf, 0
    best_acc, best_state = -1.0, None
    if restore_best and val is None:
        raise ValueError("fit(restore_best=True) needs validation data (val=...)")
    folder = Path(checkpoint_dir) if checkpoint_dir else None
    if folder and (folder / "last.pt").exists():
        state = torch.load(folder / "last.pt", weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"])
        history, start_epoch = state["history"], state["epoch"]
        best, since_best = state["best"], state["since_best"]
        best_acc, best_state = state.get("best_acc", -1.0), state.get("best_state")

    def batch_loss(idx):
        xb = x[idx] if augment is None else augment(x[idx], generator)
        return loss_fn(model(xb), y[idx])

    def end_of_epoch(epoch: int, train_loss: torch.Tensor) -> bool:
        nonlocal best, since_best, best_acc, best_state
        history.log(epoch=epoch + 1, train_loss=train_loss.item(), lr=optimizer.param_groups[0]["lr"])
        if val is not None:
            val_loss, val_acc = evaluate(model, *val, loss_fn=loss_fn)
            history.log(val_loss=val_loss, val_acc=val_acc)
            if restore_best and val_acc > best_acc:
                best_acc, best_state = val_acc, {k: v.detach().clone() for k, v in model.state_dict().items()}
                history.records["best_epoch"] = [epoch + 1]
            if val_loss < best - (early_stopping.min_delta if early_stopping else 0.0):
                best, since_best = val_loss, 0
            else:
                since_best += 1
        for name, hook in (hooks or {}).items():
            history.log(**{name: hook(model)})
        stop = early_stopping is not None and since_best >= early_stopping.patience
        if folder:
            folder.mkdir(parents=True, exist_ok=True)
            if epoch + 1 in save_at:
                _save_atomic({"model": model.state_dict(), "epoch": epoch + 1}, folder / f"epoch_{epoch + 1}.pt")
            _save_atomic({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                          "generator": generator.get_state(), "history": history,
                          "epoch": epochs if stop else epoch + 1, "best": best, "since_best": since_best,
                          "best_acc": best_acc, "best_state": best_state},
                         folder / "last.pt")
        return stop

    model.train()
    _epochs(batch_loss, len(x), epochs=epochs, batch_size=batch_size, optimizer=optimizer,
            schedule=schedule, generator=generator, n_models=None, device=x.device, start_epoch=start_epoch,
            end_of_epoch=end_of_epoch, progress=progress)
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
    return history
