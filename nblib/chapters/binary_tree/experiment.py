"""Study 1 (Zhang 2021): is weight sharing or locality harder to learn? The binary-tree task.

x ~ N(0, I_64) and f_theta is a depth-6 binary tree read bottom-up. Level 1 combines pairs
of raw inputs, z_i = theta_11 * x_{2i-1} + theta_12 * x_{2i}; every later level k combines
pairs of the level below through tanh, z_i = theta_k1 * tanh(z_{2i-1}) + theta_k2 * tanh(z_{2i}).
Every left edge of a level shares theta_k1, every right edge theta_k2; theta ~ U(0, 2)^12.
This is exactly OracleNet (tanh between layers, none on the input or output) with the true
theta, so OracleNet can represent f_theta exactly.

The four nets of the seed's Table 1, each 6 bias-free layers 64 -> 32 -> ... -> 1:
  OracleNet: z'_i = <w, (z_{2i-1}, z_{2i})>            shared and local  (2 params/layer)
  LocalNet:  z'_i = <w_i, (z_{2i-1}, z_{2i})>          local, unshared   (in params/layer)
  WeightNet: z'_i = <w, C(z, 2(i-1))>, C = cyclic shift  shared, dense    (in params/layer)
  FCNet:     z' = W z                                   neither          (in*out params/layer)
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from nblib.params import ParameterError, check_memory, param
from nblib.train import step_schedule, train_stacked

ARCHS = ("OracleNet", "LocalNet", "WeightNet", "FCNet")
DEPTH = 6
N_INPUTS = 2 ** DEPTH  # 64
SEED_EPOCHS = {64: 800, 128: 700, 256: 600, 512: 500, 1024: 400, 2048: 300, 4096: 200}
NOISE_KINDS = ("independent", "constant")  # constant: the seed code's single draw added to every label
# the sweep's three kinds of run: the study's grid; the same sizes trained for one fixed number of
# Adam steps (so that examples and steps separate); sizes beyond the study's at eps = 0
KINDS = ("study", "equal_steps", "more_data")
CLEAN = [("independent", 0.0)]  # the noise variant of the control runs


def hash_int(*keys) -> int:
    """A stable 64-bit hash of `keys` (the same in every process, unlike hash())."""
    return int.from_bytes(hashlib.sha256(repr(keys).encode()).digest()[:8], "little")


def rng(*keys) -> torch.Generator:
    """A generator seeded by a stable hash of `keys` (so adding a trial or an eps changes no other draw)."""
    return torch.Generator().manual_seed(hash_int(*keys))


def sample_theta(trials: int, seed: int) -> torch.Tensor:
    """theta ~ U(0, 2)^12 per trial: (trials, DEPTH, 2), theta[t, k-1] = (theta_k1, theta_k2)."""
    return torch.stack([2 * torch.rand(DEPTH, 2, generator=rng(seed, "theta", t)) for t in range(trials)])


def tree_function(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """f_theta(x) for x (T, n, 64) and theta (T, DEPTH, 2): (T, n)."""
    z = x
    for k in range(DEPTH):
        if k > 0:
            z = torch.tanh(z)
        pairs = z.unflatten(-1, (-1, 2))  # (T, n, width/2, 2)
        z = (pairs * theta[:, None, None, k]).sum(-1)
    return z.squeeze(-1)


def epochs_for(n_train: int, scale: float = 1.0) -> int:
    """The seed's schedule 800, 700, ..., 200 epochs for n_train = 64 ... 4096, times `scale`."""
    base = 800 - 100 * math.log2(n_train / 64)
    return max(1, round(min(800, max(200, base)) * scale))


# --- the four nets, M independent copies each -------------------------------------------------

class StackedTreeLayer(nn.Module):
    """One layer (in -> in/2 units) of one of the four nets, for M models at once."""

    def __init__(self, arch: str, n_models: int, width_in: int, generator: torch.Generator):
        super().__init__()
        self.arch, self.width_in, self.width_out = arch, width_in, width_in // 2
        shape, fan_in = {
            "OracleNet": ((n_models, 2), 2),
            "LocalNet": ((n_models, self.width_out, 2), 2),
            "WeightNet": ((n_models, width_in), width_in),
            "FCNet": ((n_models, self.width_out, width_in), width_in),
        }[arch]
        bound = 1 / math.sqrt(fan_in)  # PyTorch's nn.Linear default range for this fan-in
        self.weight = nn.Parameter((2 * torch.rand(shape, generator=generator) - 1) * bound)
        if arch == "WeightNet":
            # row i reads w at cyclic offset 2i: W[i, j] = w[(j - 2i) mod in]
            rows = torch.arange(self.width_out)[:, None]
            cols = torch.arange(width_in)[None, :]
            self.register_buffer("shift_index", (cols - 2 * rows) % width_in, persistent=False)

    def dense_weight(self) -> torch.Tensor:
        """The layer as a matrix per model: (M, out, in)."""
        m, out, inp = self.weight.shape[0], self.width_out, self.width_in
        if self.arch == "FCNet":
            return self.weight
        if self.arch == "WeightNet":
            return self.weight[:, self.shift_index]
        pair = self.weight if self.arch == "LocalNet" else self.weight[:, None].expand(m, out, 2)
        dense = torch.zeros(m, out, out, 2, dtype=pair.dtype, device=pair.device)
        diagonal = torch.arange(out, device=pair.device)
        dense[:, diagonal, diagonal] = pair
        return dense.flatten(2)  # block diagonal (M, out, in)

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (M, B, in) -> (M, B, out)
        if self.arch in ("OracleNet", "LocalNet"):
            w = self.weight[:, None, None] if self.arch == "OracleNet" else self.weight[:, None]
            return (z.unflatten(-1, (-1, 2)) * w).sum(-1)
        return torch.einsum("mbi,moi->mbo", z, self.dense_weight())


class StackedTreeNet(nn.Module):
    """M independent copies of one of the four nets: x (M, B, 64) -> (M, B)."""

    def __init__(self, arch: str, n_models: int, generator: torch.Generator):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")
        self.arch = arch
        self.layers = nn.ModuleList(
            StackedTreeLayer(arch, n_models, N_INPUTS >> k, generator) for k in range(DEPTH))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x
        for k, layer in enumerate(self.layers):
            z = layer(torch.tanh(z) if k > 0 else z)
        return z.squeeze(-1)

    def n_params(self) -> int:
        """Parameters of ONE of the M models."""
        return sum(p[0].numel() for p in self.parameters())


class TreeNetStack(nn.Module):
    """Several architectures, M models each, trained on the same data: x (M, B, 64) -> (A, M, B)."""

    def __init__(self, archs: tuple[str, ...], n_models: int, generator: torch.Generator):
        super().__init__()
        self.archs = archs
        self.nets = nn.ModuleList(StackedTreeNet(a, n_models, generator) for a in archs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([net(x) for net in self.nets])


# --- the sweep ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TreeSweep:
    """The seed's protocol; defaults are the seed's values (5 trials per cell, ours)."""
    n_train: tuple[int, ...] = param((64, 128, 256, 512, 1024, 2048, 4096), ge=2, le=65536, nonempty=True)
    eps: tuple[float, ...] = param((0.0, 0.1, 0.3), ge=0.0, nonempty=True)
    constant_noise_eps: float = param(0.3, ge=0.0)  # also run the seed's constant-offset noise here (0: off)
    archs: tuple[str, ...] = param(ARCHS, choices=ARCHS, nonempty=True)
    equal_steps_n: tuple[int, ...] = param((64, 128, 256), ge=2, le=65536)  # also trained for `equal_steps` steps at eps = 0
    equal_steps: int = param(25600, ge=1)  # Adam steps of the equal-steps runs (the schedule's count at n_train = 4096)
    more_n: tuple[int, ...] = param((8192, 16384), ge=2, le=65536)  # sizes beyond the study's, eps = 0, the schedule's 200 epochs
    trials: int = param(5, ge=1, le=100)
    epoch_scale: float = param(1.0, gt=0.0, le=10.0)
    batch_size: int = param(32, ge=1)
    lr: float = param(1e-3, gt=0.0)
    lr_drop: float = param(0.1, gt=0.0, le=1.0)  # lr multiplier after half the epochs (seed: 1e-3 -> 1e-4)
    n_test: int = param(1024, ge=1)
    seed: int = param(0, ge=0, le=2**31 - 1)

    def validate(self) -> None:
        for name in ("n_train", "equal_steps_n", "more_n"):
            for n in getattr(self, name):
                if n < self.batch_size:
                    raise ParameterError(
                        f"parameter {name!r}: got {n}; must be >= batch_size ({self.batch_size})")
        models = len(self.noise_variants()) * self.trials  # trained together in one cell
        floats = models * (self.pool_size() * N_INPUTS * 2 + self.n_test * (N_INPUTS * 2 + len(self.archs) * 2 * N_INPUTS))
        check_memory(("n_test", "trials"), 2 * 4 * floats,
                     f"a cell's data and test-set evaluation ({models} models: {len(self.noise_variants())} noise "
                     f"variants x {self.trials} trials, {self.n_test:,} test and up to {max(self.n_train):,} training "
                     "inputs each)")
        if self.constant_noise_eps > 0 and self.constant_noise_eps not in self.eps:
            raise ParameterError(
                f"parameter 'constant_noise_eps': got {self.constant_noise_eps}; the constant offset is "
                f"compared with independent noise of the same size, so it must be one of eps {list(self.eps)} "
                f"(or 0 to skip it)")

    def pool_size(self) -> int:
        """Inputs drawn per trial: the largest training set of any run (smaller ones are its first n)."""
        return max(self.n_train + self.equal_steps_n + self.more_n)

    def noise_variants(self) -> list[tuple[str, float]]:
        """(kind, eps) pairs trained per trial: every eps with independent noise, plus the seed's bug."""
        variants = [("independent", e) for e in self.eps]
        if self.constant_noise_eps > 0:
            variants.append(("constant", self.constant_noise_eps))
        return variants


def make_data(sweep: TreeSweep, n_train: int, variants: list[tuple[str, float]] | None = None):
    """Per trial and noise variant: x (V*T, n, 64), y (V*T, n), clean test set, theta (T, 6, 2).

    A trial's inputs are nested across n_train (the first n of one pool) and shared across
    eps and kinds of run, and its theta is the same for every n_train: common random numbers,
    so differences between cells are not differences in theta. `variants` defaults to the
    sweep's noise variants.
    """
    t_count, n_pool = sweep.trials, sweep.pool_size()
    theta = sample_theta(t_count, sweep.seed)
    x = torch.stack([torch.randn(n_pool, N_INPUTS, generator=rng(sweep.seed, "x", t))
                     for t in range(t_count)])[:, :n_train]  # (T, n, 64)
    x_test = torch.stack([torch.randn(sweep.n_test, N_INPUTS, generator=rng(sweep.seed, "test", t))
                          for t in range(t_count)])
    clean = tree_function(x, theta)  # (T, n)
    ys = []
    for kind, eps in variants or sweep.noise_variants():
        noise = torch.stack([torch.randn(n_pool, generator=rng(sweep.seed, "noise", t, eps))[:n_train]
                             for t in range(t_count)])
        if kind == "constant":  # the seed: ONE draw added to every label of the training set
            noise = noise[:, :1].expand_as(noise)
        ys.append(clean + eps * noise)
    v_count = len(ys)
    return {
        "x": x.repeat(v_count, 1, 1),  # (V*T, n, 64), variant-major
        "y": torch.cat(ys),            # (V*T, n)
        "x_test": x_test.repeat(v_count, 1, 1),
        "y_test": tree_function(x_test, theta).repeat(v_count, 1),
        "theta": theta,
    }


@dataclass(frozen=True)
class Cell:
    """One run of the sweep: every net, noise variant and trial at one n_train, trained together.

    kind "study": the study's grid (every noise variant, the study's epochs); "equal_steps": eps = 0
    trained for `sweep.equal_steps` Adam steps whatever n_train; "more_data": eps = 0 at a size
    beyond the study's, with the schedule's last epoch count (200).
    """
    sweep: TreeSweep
    n_train: int
    kind: str = "study"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    def reads(self) -> tuple[str, ...]:
        """No dataset: the inputs are drawn from the seed."""
        return ()

    def variants(self) -> list[tuple[str, float]]:
        return self.sweep.noise_variants() if self.kind == "study" else CLEAN

    def epochs(self) -> int:
        s = self.sweep
        if self.kind == "equal_steps":
            return max(1, round(s.equal_steps / math.ceil(self.n_train / s.batch_size)))
        return epochs_for(self.n_train, s.epoch_scale)

    def steps(self) -> int:
        return self.epochs() * math.ceil(self.n_train / self.sweep.batch_size)


def cells(sweep: TreeSweep) -> list[Cell]:
    """The sweep's independent runs: the study's grid, the equal-steps control, the larger sizes;
    the longest first (a cluster then finishes the sweep sooner)."""
    runs = ([Cell(sweep, n) for n in sweep.n_train] + [Cell(sweep, n, "equal_steps") for n in sweep.equal_steps_n]
            + [Cell(sweep, n, "more_data") for n in sweep.more_n])
    return sorted(runs, key=lambda c: -c.steps() * (1 + len(c.variants())))


def by_kind(results: list[dict], kind: str) -> dict[int, dict]:
    """The results of one kind of run, by n_train."""
    return {r["n_train"]: r for r in results if r.get("kind", "study") == kind}


def train(cell: Cell, device: torch.device = torch.device("cpu"), progress: bool = True) -> dict:
    """Train every arch x noise variant x trial at one n_train; return test MSE and weights.

    Data, initial weights and batch orders are drawn on the CPU (the same numbers on any
    device), then moved to `device` once.
    """
    sweep, n_train, variants = cell.sweep, cell.n_train, cell.variants()
    data = {k: v.to(device) for k, v in make_data(sweep, n_train, variants).items()}
    n_models = data["x"].shape[0]
    init_keys = ("init", n_train) if cell.kind == "study" else ("init", n_train, cell.kind)
    model = TreeNetStack(sweep.archs, n_models, rng(sweep.seed, *init_keys)).to(device)
    epochs = cell.epochs()
    optimizer = torch.optim.Adam(model.parameters(), lr=sweep.lr, fused=True)
    start = time.perf_counter()
    history = train_stacked(model, data["x"], data["y"], epochs=epochs, batch_size=sweep.batch_size,
                            optimizer=optimizer, schedule=step_schedule(epochs, 0.5, sweep.lr_drop),
                            seed=hash_int(sweep.seed, "order", n_train),
                            progress=f"{cell.kind} n_train={n_train}" if progress else False)
    seconds = time.perf_counter() - start
    v_count, t_count = len(variants), sweep.trials
    with torch.no_grad():
        test_mse = (model(data["x_test"]) - data["y_test"]).pow(2).mean(-1)  # (A, V*T)
        train_mse = (model(data["x"]) - data["y"]).pow(2).mean(-1)  # the trained labels, noise included
    return {
        "n_train": n_train, "kind": cell.kind, "epochs": epochs, "steps": cell.steps(), "seconds": seconds,
        "variants": variants,
        "test_mse": test_mse.unflatten(1, (v_count, t_count)).cpu(),                       # (A, V, T)
        "train_mse": train_mse.unflatten(1, (v_count, t_count)).cpu(),                     # (A, V, T)
        "train_loss": history.stacked()[-1].unflatten(1, (v_count, t_count)).cpu(),        # (A, V, T), last epoch
        "train_curve": history.stacked().unflatten(2, (v_count, t_count)).cpu(),           # (epochs, A, V, T)
        "first_layer": {a: net.layers[0].weight.detach().unflatten(0, (v_count, t_count)).cpu()
                        for a, net in zip(sweep.archs, model.nets)},
        "theta": data["theta"].cpu(),
    }


def param_counts() -> dict[str, int]:
    """Parameters of one net of each architecture (the seed's Table 1 summed over 6 layers)."""
    return {a: StackedTreeNet(a, 1, torch.Generator().manual_seed(0)).n_params() for a in ARCHS}
