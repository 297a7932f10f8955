"""Figures, learned-structure scores and the scorecard of the binary-tree chapter."""
from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure

from . import claims as cl
from .experiment import SEED_EPOCHS, TreeSweep, epochs_for, make_data, tree_function
from nblib.claims import Claim, Measurement, Reported, Scorecard
from nblib.claims import scorecard as claims_scorecard
from nblib.effects import Effect, effect, paired, side
from nblib.stats import median_quartiles

COLORS = {"OracleNet": "tab:green", "LocalNet": "tab:blue", "WeightNet": "tab:orange", "FCNet": "tab:red"}


def test_mse(cells: dict, sweep: TreeSweep) -> torch.Tensor:
    """Test MSE of every run: (n_train, arch, noise variant, trial)."""
    return torch.stack([cells[n]["test_mse"] for n in sweep.n_train])


def variant_index(sweep: TreeSweep, kind: str, eps: float) -> int:
    return sweep.noise_variants().index((kind, eps))


def mse_figure(cells: dict, sweep: TreeSweep, eps: float, kind: str = "independent") -> Figure:
    """Test MSE vs n_train for each net at one eps: median over trials, band = quartiles."""
    mse = test_mse(cells, sweep)[:, :, variant_index(sweep, kind, eps)]  # (N, A, T)
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    for a, arch in enumerate(sweep.archs):
        med, lo, hi = median_quartiles(mse[:, a])
        ax.plot(sweep.n_train, med, "o-", color=COLORS[arch], label=arch)
        ax.fill_between(sweep.n_train, lo, hi, color=COLORS[arch], alpha=0.2)
        for t in range(mse.shape[-1]):
            ax.plot(sweep.n_train, mse[:, a, t], ".", color=COLORS[arch], alpha=0.25, ms=3)
    ax.set(xscale="log", yscale="log", xlabel="n_train", ylabel="test MSE (clean labels)",
           title=f"eps = {eps}, {kind} label noise ({sweep.trials} trials)")
    ax.set_xticks(sweep.n_train, [str(n) for n in sweep.n_train])
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def noise_bug_figure(cells: dict, sweep: TreeSweep) -> Figure:
    """Independent per-example noise vs the seed's constant offset, at the same eps."""
    eps = sweep.constant_noise_eps
    mse = test_mse(cells, sweep)
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    for kind, style in (("independent", "o-"), ("constant", "s--")):
        v = variant_index(sweep, kind, eps)
        for a, arch in enumerate(sweep.archs):
            med, _, _ = median_quartiles(mse[:, a, v])
            ax.plot(sweep.n_train, med, style, color=COLORS[arch], alpha=1 if kind == "independent" else 0.6,
                    label=f"{arch}, {kind}")
    ax.set(xscale="log", yscale="log", xlabel="n_train", ylabel="median test MSE",
           title=f"eps = {eps}: independent noise (solid) vs the seed's constant offset (dashed)")
    ax.set_xticks(sweep.n_train, [str(n) for n in sweep.n_train])
    ax.legend(fontsize=7, ncol=2)
    return fig


def noise_bug_findings(cells: dict, sweep: TreeSweep) -> str:
    """What the constant-offset figure shows, per net at the largest n_train: the ratio of test MSE
    (constant offset / independent noise), paired by trial (same theta, inputs and test set)."""
    eps, n_max = sweep.constant_noise_eps, sweep.n_train[-1]
    mse = test_mse(cells, sweep)[-1]  # (A, V, T)
    vi, vc = variant_index(sweep, "independent", eps), variant_index(sweep, "constant", eps)
    parts = []
    for a, arch in enumerate(sweep.archs):
        e = paired(mse[a, vc].log10(), mse[a, vi].log10())
        if e.has_interval:
            word = side(e, "higher", "lower", "not distinguishable")
            parts.append(f"{arch} {10 ** e.mean:.2g}x (95% interval {10 ** (e.mean - e.half):.2g}x to "
                         f"{10 ** (e.mean + e.half):.2g}x: {word})")
        else:
            parts.append(f"{arch} {10 ** e.mean:.2g}x (one trial, no interval)")
    return (f"At n_train = {n_max} and eps = {eps}, the test MSE with the seed's constant offset, relative to "
            f"independent noise of the same size (geometric mean over {sweep.trials} trials, paired by trial): "
            + "; ".join(parts) + ".")


def weightnet_locality(w: torch.Tensor) -> torch.Tensor:
    """Largest share of WeightNet's first-layer weight energy on one aligned pair: 1 = local.

    Any pair (w_2s, w_2s+1) is as good as the first: it only relabels the units cyclically,
    which the next (also cyclic) layer absorbs by shifting its own filter.
    """
    return w.unflatten(-1, (-1, 2)).pow(2).sum(-1).amax(-1) / w.pow(2).sum(-1)


def localnet_sharing(w: torch.Tensor, theta1: torch.Tensor) -> torch.Tensor:
    """Mean |cos| between each LocalNet unit's pair and (theta_11, theta_12): 1 = perfectly shared.

    |cos| because tanh is odd: flipping a unit's sign and the next layer's weight on it
    computes the same function.
    """
    cos = torch.nn.functional.cosine_similarity(w, theta1[..., None, :].expand_as(w), dim=-1)
    return cos.abs().mean(-1)


def localnet_scale_error(w: torch.Tensor, theta1: torch.Tensor) -> torch.Tensor:
    """Median over units of | ||w_i|| / ||(theta_11, theta_12)|| - 1 |: 0 = every unit has theta's size.

    |cos| ignores magnitudes; tanh is not scale-free, so a unit at 1.25 theta computes another
    function even when it points the right way.
    """
    ratio = w.norm(dim=-1) / theta1.norm(dim=-1)[..., None]
    return (ratio - 1).abs().median(-1).values


def structure_scores(cells: dict, sweep: TreeSweep, eps: float = 0.0) -> dict[str, torch.Tensor]:
    """Learned locality (WeightNet) and sharing (LocalNet) per n_train and trial: (N, T) each."""
    v = variant_index(sweep, "independent", eps)
    scores = {}
    if "WeightNet" in sweep.archs:
        scores["WeightNet locality"] = torch.stack(
            [weightnet_locality(cells[n]["first_layer"]["WeightNet"][v]) for n in sweep.n_train])
    if "LocalNet" in sweep.archs:
        scores["LocalNet sharing"] = torch.stack(
            [localnet_sharing(cells[n]["first_layer"]["LocalNet"][v], cells[n]["theta"][:, 0])
             for n in sweep.n_train])
    return scores


def scale_errors(cells: dict, sweep: TreeSweep, eps: float = 0.0) -> torch.Tensor:
    """`localnet_scale_error` per n_train and trial: (N, T)."""
    v = variant_index(sweep, "independent", eps)
    return torch.stack([localnet_scale_error(cells[n]["first_layer"]["LocalNet"][v], cells[n]["theta"][:, 0])
                        for n in sweep.n_train])


def structure_figure(cells: dict, sweep: TreeSweep, eps: float = 0.0) -> Figure:
    """How much locality WeightNet and sharing LocalNet learned in layer 1, vs n_train."""
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    for (name, score), color in zip(structure_scores(cells, sweep, eps).items(), ("tab:orange", "tab:blue")):
        med, lo, hi = median_quartiles(score)
        ax.plot(sweep.n_train, med, "o-", color=color, label=name)
        ax.fill_between(sweep.n_train, lo, hi, color=color, alpha=0.2)
    ax.set(xscale="log", ylim=(0, 1.05), xlabel="n_train", ylabel="score (1 = true structure)",
           title=f"Structure learned in layer 1 (eps = {eps}; median, quartiles)")
    ax.set_xticks(sweep.n_train, [str(n) for n in sweep.n_train])
    ax.legend(fontsize=8)
    return fig


def histogram_figure(cells: dict, sweep: TreeSweep, n_train: int, trial: int = 0, eps: float = 0.0) -> Figure:
    """The seed's Figure 2: first-layer weights of WeightNet and LocalNet against theta_11, theta_12."""
    v = variant_index(sweep, "independent", eps)
    theta = cells[n_train]["theta"][trial, 0]
    fig = Figure(figsize=(10, 2.8))
    axes = fig.subplots(1, 4)
    panels = []
    if "WeightNet" in sweep.archs:
        w = cells[n_train]["first_layer"]["WeightNet"][v, trial]  # (64,)
        panels += [("WeightNet, even taps", w[0::2], 0), ("WeightNet, odd taps", w[1::2], 1)]
    if "LocalNet" in sweep.archs:
        w = cells[n_train]["first_layer"]["LocalNet"][v, trial]  # (32, 2)
        panels += [("LocalNet, left weights", w[:, 0], 0), ("LocalNet, right weights", w[:, 1], 1)]
    for ax, (title, values, j) in zip(axes, panels):
        ax.hist(values.numpy(), bins=24, color="0.5")
        for sign in (1, -1):
            ax.axvline(sign * theta[j].item(), color="k", ls="-" if sign > 0 else ":", lw=1)
        ax.set_title(f"{title}\ntheta_1{j + 1} = {theta[j]:.3f}", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"n_train = {n_train}, trial {trial}, eps = {eps} (dotted: -theta, same function)", fontsize=9)
    fig.tight_layout()
    return fig


def mse_table(cells: dict, sweep: TreeSweep, eps: float) -> str:
    """Markdown table of test MSE, median [quartiles] over trials, per n_train and net."""
    mse = test_mse(cells, sweep)[:, :, variant_index(sweep, "independent", eps)]  # (N, A, T)
    rows = ["| n_train | " + " | ".join(sweep.archs) + " |", "|---" * (len(sweep.archs) + 1) + "|"]
    for i, n in enumerate(sweep.n_train):
        rows.append(f"| {n} | " + " | ".join(fmt_mse(mse[i, a]) for a in range(len(sweep.archs))) + " |")
    return (f"Test MSE at eps = {eps}, median [quartiles] over {sweep.trials} trials:\n\n"
            + "\n".join(rows))


def zero_mse_text(cells: dict, sweep: TreeSweep) -> str:
    """One sentence: the test MSE of predicting 0 (E f^2 per trial), the yardstick of the thresholds."""
    return (f"Predicting 0 has test MSE $E f_\\theta^2$ = {fmt_mse(zero_mse(cells, sweep))} (median [quartiles] over "
            f"the {sweep.trials} trials; the same at every n_train and eps, as the test set is clean and theta is "
            f"common to every n_train).")


def mse_findings(cells: dict, sweep: TreeSweep, eps: float) -> str:
    """The paragraph under the test-MSE table, every statement computed from the medians."""
    mse = test_mse(cells, sweep)[:, :, variant_index(sweep, "independent", eps)]  # (N, A, T)
    med, lo, hi = median_quartiles(mse)  # (N, A)
    arch = {a: i for i, a in enumerate(sweep.archs)}
    n_max = sweep.n_train[-1]
    parts = [f"At n_train = {n_max} and eps = {eps}, the median test MSE is "
             + ", ".join(f"{med[-1, i]:.2g} for {a}" for a, i in arch.items()) + "."]
    last = [sweep.archs[i] for i in med.argmax(1).tolist()]
    parts.append("The highest median (last place) at n_train = " + ", ".join(
        f"{n}: {a}" for n, a in zip(sweep.n_train, last)) + ".")
    local = [arch[a] for a in ("OracleNet", "LocalNet") if a in arch]
    others = [arch[a] for a in ("WeightNet", "FCNet") if a in arch]
    if local and others:
        ahead = med[:, local].amax(1) < med[:, others].amin(1)
        parts.append(f"Both nets given locality have lower medians than both nets without it at "
                     f"{int(ahead.sum())} of {len(ahead)} sizes.")
    if "WeightNet" in arch and len(sweep.n_train) > 1:
        w = med[:, arch["WeightNet"]]
        parts.append(f"WeightNet's median goes from {w[0]:.2g} at n_train = {sweep.n_train[0]} to "
                     f"{w[-1]:.2g} at {n_max}.")
    if "OracleNet" in arch:
        spread = (hi[:, arch["OracleNet"]] / lo[:, arch["OracleNet"]].clamp_min(1e-30)).log10()
        widest = int(spread.argmax())
        parts.append(f"The spread over trials is wide: OracleNet's quartiles are up to {spread[widest]:.1f} "
                     f"orders of magnitude apart (n_train = {sweep.n_train[widest]}).")
    return " ".join(parts) + " The scorecard below checks each claim of the seed."


def fmt_mse(values: torch.Tensor) -> str:
    med, lo, hi = median_quartiles(values)
    return f"{med:.2g} [{lo:.2g}, {hi:.2g}]"


# --- the scorecard: one measurement per registered claim, graded by the engine -------------------

TINY = 1e-30  # floor for log10 of an MSE (a float32 MSE can underflow to 0)


def adam_steps(sweep: TreeSweep) -> dict[int, int]:
    """Adam steps per n_train: epochs x batches per epoch (the seed's schedule ties both to n_train)."""
    return {n: epochs_for(n, sweep.epoch_scale) * math.ceil(n / sweep.batch_size) for n in sweep.n_train}


def zero_mse(cells: dict, sweep: TreeSweep) -> torch.Tensor:
    """E f^2 per trial: the test MSE of predicting 0 on the trial's clean test set, (T,).

    The test inputs are drawn from the seed (the same for every n_train) and theta is the one the
    results carry, so this needs no training.
    """
    n = sweep.n_train[0]
    x_test = make_data(sweep, n)["x_test"][: sweep.trials]  # (T, n_test, 64), variant 0
    return tree_function(x_test, cells[n]["theta"]).pow(2).mean(-1)


class _Grid:
    """Per-trial quantities of the sweep, looked up by (n_train, net, eps) of independent noise."""

    def __init__(self, cells: dict, sweep: TreeSweep):
        self.sweep, self.cells = sweep, cells
        self.mse = test_mse(cells, sweep)  # (N, A, V, T)
        self.nmse = self.mse / zero_mse(cells, sweep)  # test MSE / E f^2

    def has(self, n_train=(), archs=(), eps=()) -> float:
        """1.0 when the run has every one of these sizes, nets and noise levels, else 0.0."""
        s = self.sweep
        return float(set(n_train) <= set(s.n_train) and set(archs) <= set(s.archs) and set(eps) <= set(s.eps))

    def at(self, x: torch.Tensor, n: int, arch: str, eps: float) -> torch.Tensor:
        s = self.sweep
        return x[s.n_train.index(n), s.archs.index(arch), variant_index(s, "independent", eps)]

    def log(self, n: int, arch: str, eps: float) -> torch.Tensor:
        return self.at(self.mse, n, arch, eps).clamp_min(TINY).log10()

    def log_nmse(self, n: int, arch: str, eps: float) -> torch.Tensor:
        return self.at(self.nmse, n, arch, eps).clamp_min(TINY).log10()

    def first_layer(self, arch: str, n: int, eps: float = 0.0) -> torch.Tensor:
        return self.cells[n]["first_layer"][arch][variant_index(self.sweep, "independent", eps)]

    def theta1(self, n: int) -> torch.Tensor:
        return self.cells[n]["theta"][:, 0]  # (T, 2): (theta_11, theta_12)


def _abbr(arch: str) -> str:
    return arch[0]  # O, L, W, F


# (local net, non-local net): OracleNet, LocalNet against WeightNet, FCNet
PAIRS = [(a, b) for a in cl.ARCHS[:2] for b in cl.ARCHS[2:]]
# the cells each claim is about, (n_train, nets, eps): a run without them cannot test it
NEEDS = {
    "order-at-4096": ((4096,), cl.ARCHS, (0.0,)),
    "local-nets-beat-nonlocal": (cl.STUDY_N, cl.ARCHS, cl.STUDY_EPS),
    "weightnet-approaches-zero": ((4096,), ("WeightNet",), (0.0,)),
    "noisy-local-low-within-hundreds": ((512,), ("OracleNet", "LocalNet"), (0.3,)),
    "noisy-nonlocal-not-low-before-2048": ((1024,), ("WeightNet", "FCNet"), (0.3,)),
    "noisy-nonlocal-low-by-4096": ((4096,), ("WeightNet", "FCNet"), (0.3,)),
    "local-nets-robust-to-noise": (cl.STUDY_N, cl.ARCHS, (0.0, 0.3)),
    "error-falls-with-n": (cl.STUDY_N, cl.ARCHS, cl.STUDY_EPS),
    "locality-needs-more-examples": (cl.STUDY_N, ("WeightNet", "LocalNet"), (0.0,)),
    "weightnet-not-local-at-512": ((512,), ("WeightNet",), (0.0,)),
    "localnet-centred-at-512": ((512,), ("LocalNet",), (0.0,)),
    "weights-closer-at-4096": ((512, 4096), ("WeightNet", "LocalNet"), (0.0,)),
    "weightnet-learns-locality": ((4096,), ("WeightNet",), (0.0,)),
    "localnet-learns-sharing": ((4096,), ("LocalNet",), (0.0,)),
    "localnet-learns-scale": ((4096,), ("LocalNet",), (0.0,)),
}


def _slope(log_mse: torch.Tensor, n_train) -> torch.Tensor:
    """Least-squares slope of log10 MSE (N, T) on log2 n_train, per trial: (T,)."""
    x = torch.tensor([math.log2(n) for n in n_train], dtype=torch.float64)
    x = x - x.mean()
    y = log_mse.double() - log_mse.double().mean(0)
    return (x[:, None] * y).sum(0) / x.pow(2).sum()


def localnet_offsets(w: torch.Tensor, theta1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """LocalNet's units sign-aligned with theta_1 (tanh is odd): per trial, the distance of their
    mean from theta_1, their spread (rms distance from their mean), and their mean distance from
    theta_1, each relative to ||theta_1||. w (..., units, 2), theta1 (..., 2)."""
    sign = torch.where((w * theta1[..., None, :]).sum(-1, keepdim=True) < 0, -1.0, 1.0)
    aligned = w * sign  # (..., units, 2)
    size = theta1.norm(dim=-1)
    centre = aligned.mean(-2)
    bias = (centre - theta1).norm(dim=-1) / size
    spread = (aligned - centre[..., None, :]).pow(2).sum(-1).mean(-1).sqrt() / size
    distance = (aligned - theta1[..., None, :]).norm(dim=-1).mean(-1) / size
    return bias, spread, distance


def _measure(c: Claim, g: _Grid) -> Measurement:
    """Our measurement of one registered claim (effects per setting and its conditions' values)."""
    pairs, study_n = PAIRS, cl.STUDY_N
    steps = adam_steps(g.sweep)
    checks = {cl.STEPS: max(steps.values()) / min(steps.values())}
    cid = c.id.split(".", 1)[1]
    needs = NEEDS[cid]
    checks[cl.IN_RUN] = g.has(*needs)
    if not checks[cl.IN_RUN]:
        settings = list(c.study.value) if isinstance(c.study, Reported) and isinstance(c.study.value, dict) \
            else ["not in this run"]
        return Measurement({k: Effect(math.nan, math.nan, 0) for k in settings}, checks,
                           "a reduced run: the cells this claim is about were not trained")
    if cid == "order-at-4096":
        effects = {f"{b}/{a}": paired(g.log(4096, b, 0.0), g.log(4096, a, 0.0)) for a, b in zip(cl.ARCHS, cl.ARCHS[1:])}
    elif cid == "local-nets-beat-nonlocal":
        effects = {f"n={n} eps={e} {_abbr(b)}/{_abbr(a)}": paired(g.log(n, b, e), g.log(n, a, e))
                   for n in study_n for e in cl.STUDY_EPS for a, b in pairs}
    elif cid == "weightnet-approaches-zero":
        effects = {"": effect(g.log_nmse(4096, "WeightNet", 0.0))}
    elif cid.startswith("noisy-"):
        (n,), archs, (e,) = needs
        effects = {a: effect(g.log_nmse(n, a, e)) for a in archs}
    elif cid == "local-nets-robust-to-noise":
        def rise(n, arch):  # how much eps = 0.3 raises the test MSE, relative to E f^2, per trial
            return g.at(g.nmse, n, arch, 0.3).double() - g.at(g.nmse, n, arch, 0.0).double()
        effects = {f"n={n} {_abbr(b)}-{_abbr(a)}": paired(rise(n, b), rise(n, a)) for n in study_n for a, b in pairs}
    elif cid == "error-falls-with-n":
        effects = {f"{a} eps={e}": effect(_slope(torch.stack([g.log(n, a, e) for n in study_n]), study_n))
                   for a in cl.ARCHS for e in cl.STUDY_EPS}
    elif cid == "locality-needs-more-examples":
        effects = {f"n={n}": paired(g.log(n, "WeightNet", 0.0), g.log(n, "LocalNet", 0.0)) for n in study_n}
    elif cid == "weightnet-not-local-at-512":
        effects = {"": effect(weightnet_locality(g.first_layer("WeightNet", 512)))}
    elif cid == "localnet-centred-at-512":
        bias, spread, _ = localnet_offsets(g.first_layer("LocalNet", 512), g.theta1(512))
        effects = {"": effect(bias / spread)}
    elif cid == "weights-closer-at-4096":
        loc = {n: weightnet_locality(g.first_layer("WeightNet", n)) for n in (512, 4096)}
        dist = {n: localnet_offsets(g.first_layer("LocalNet", n), g.theta1(n))[2] for n in (512, 4096)}
        effects = {"WeightNet locality": paired(loc[4096], loc[512]),
                   "LocalNet distance to theta": paired(dist[512], dist[4096])}
    elif cid == "weightnet-learns-locality":
        effects = {"": effect(weightnet_locality(g.first_layer("WeightNet", 4096)))}
    elif cid == "localnet-learns-sharing":
        effects = {"": effect(localnet_sharing(g.first_layer("LocalNet", 4096), g.theta1(4096)))}
    else:  # localnet-learns-scale
        effects = {"": effect(localnet_scale_error(g.first_layer("LocalNet", 4096), g.theta1(4096)))}
    return Measurement(effects, checks)


def scorecard(cells: dict, sweep: TreeSweep) -> Scorecard:
    """Every claim of the registry (`claims.py`) graded by the book's engine from our runs."""
    g = _Grid(cells, sweep)
    return claims_scorecard(cl, {c.id: _measure(c, g) for c in cl.CLAIMS if not c.untestable})


def setting(sweep: TreeSweep) -> str:
    """One sentence: is this run the seed's setting, or what was reduced or changed."""
    seed = TreeSweep()
    differs = [f"{name} {getattr(sweep, name)} (seed: {getattr(seed, name)})"
               for name in ("n_train", "eps", "epoch_scale", "batch_size", "lr", "lr_drop", "n_test", "archs")
               if getattr(sweep, name) != getattr(seed, name)]
    seed_trials = ", ".join(str(t) for t in cl.STUDY_TRIALS.values())
    trials = (f"{sweep.trials} trials per cell (the seed's code: {seed_trials} trials for n_train = "
              f"{min(cl.STUDY_TRIALS)} ... {max(cl.STUDY_TRIALS)})")
    extra = (f", plus the seed code's constant-offset noise at eps = {sweep.constant_noise_eps}"
             if sweep.constant_noise_eps > 0 else "")
    if not differs:
        return (f"This run is the seed's setting ({len(SEED_EPOCHS)} sizes × 3 noise levels, epochs 800 … 200, "
                f"batch 32, Adam 1e-3 → 1e-4) with {trials}{extra}.")
    return f"This run is NOT the seed's setting: {'; '.join(differs)}; with {trials}{extra}."
