"""Figures, learned-structure scores and the scorecard of the binary-tree chapter."""
from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure

from . import claims as cl
from .experiment import SEED_EPOCHS, TreeSweep, epochs_for, make_data, tree_function
from nblib import palette
from nblib.claims import Claim, Measurement, Reported, Scorecard
from nblib.claims import scorecard as claims_scorecard
from nblib.effects import Effect, effect, paired, side
from nblib.stats import median_quartiles

COLORS = dict(zip(("OracleNet", "LocalNet", "WeightNet", "FCNet"), palette.COLORS))  # the book's one palette


def test_mse(cells: dict, sweep: TreeSweep) -> torch.Tensor:
    """Test MSE of every run: (n_train, arch, noise variant, trial)."""
    return torch.stack([cells[n]["test_mse"] for n in sweep.n_train])


def variant_index(sweep: TreeSweep, kind: str, eps: float) -> int:
    return sweep.noise_variants().index((kind, eps))


def mse_figure(cells: dict, sweep: TreeSweep, eps: float, kind: str = "independent") -> Figure:
    """Test MSE vs n_train for each net at one eps: median over trials, band = quartiles; the grey
    line and band are predicting 0 (E f^2, median and quartiles over trials)."""
    mse = test_mse(cells, sweep)[:, :, variant_index(sweep, kind, eps)]  # (N, A, T)
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    zero, zero_lo, zero_hi = median_quartiles(zero_mse(cells, sweep))
    ax.axhline(zero.item(), color="0.4", ls="--", lw=1, label="predicting 0 (E f², median)")
    ax.axhspan(zero_lo.item(), zero_hi.item(), color="0.5", alpha=0.12)
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
    """Independent per-example noise vs the study's constant offset, at the same eps."""
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
           title=f"eps = {eps}: independent noise (solid) vs the study's constant offset (dashed)")
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
    return (f"At n_train = {n_max} and eps = {eps}, the test MSE with the study's constant offset, relative to "
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
    for (name, score), color in zip(structure_scores(cells, sweep, eps).items(), (COLORS["WeightNet"], COLORS["LocalNet"])):
        med, lo, hi = median_quartiles(score)
        ax.plot(sweep.n_train, med, "o-", color=color, label=name)
        ax.fill_between(sweep.n_train, lo, hi, color=color, alpha=0.2)
    ax.set(xscale="log", ylim=(0, 1.05), xlabel="n_train", ylabel="score (1 = true structure)",
           title=f"Structure learned in layer 1 (eps = {eps}; median, quartiles)")
    ax.set_xticks(sweep.n_train, [str(n) for n in sweep.n_train])
    ax.legend(fontsize=8)
    return fig


def histogram_figure(cells: dict, sweep: TreeSweep, n_train: int, trial: int = 0, eps: float = 0.0) -> Figure:
    """The study's Figure 2: first-layer weights of WeightNet and LocalNet against theta_11, theta_12."""
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
    return " ".join(parts) + " The scorecard below checks each claim of the study."


def train_test_table(cells: dict, sweep: TreeSweep, eps: float = 0.0) -> str:
    """Markdown table: training MSE (on the labels trained on) and test MSE, each over E f^2, median
    over trials, per n_train and net: where the two agree, more examples cannot help much, and the
    gap to 0 is optimisation, not data."""
    v = variant_index(sweep, "independent", eps)
    zero = zero_mse(cells, sweep)
    rows = ["| n_train | steps | " + " | ".join(f"{a} train / test" for a in sweep.archs) + " |",
            "|---" * (len(sweep.archs) + 2) + "|"]
    steps = adam_steps(sweep)
    for n in sweep.n_train:
        c = cells[n]
        rows.append(f"| {n} | {steps[n]:,} | " + " | ".join(
            f"{median_quartiles(c['train_mse'][a, v] / zero)[0]:.2g} / {median_quartiles(c['test_mse'][a, v] / zero)[0]:.2g}"
            for a in range(len(sweep.archs))) + " |")
    return (f"Training and test MSE over $E f_\\theta^2$ at eps = {eps}, median over {sweep.trials} trials (1 is the "
            "error of predicting 0; the training MSE is on the full training set after training):\n\n" + "\n".join(rows))


# --- examples or steps: the equal-steps control and the sizes beyond the study's ---------------

def _nmse(r: dict, arch: str, sweep: TreeSweep, zero: torch.Tensor, key: str = "test_mse") -> torch.Tensor:
    """A run's MSE / E f^2 at eps = 0 (independent noise) for one net, per trial: (T,)."""
    variants = r.get("variants", sweep.noise_variants())
    return r[key][sweep.archs.index(arch), variants.index(("independent", 0.0))] / zero


def steps_rows(cells: dict, sweep: TreeSweep, extra: dict) -> list[tuple[str, int, int, dict]]:
    """(label, n_train, steps, run) of every eps = 0 run, for the figure and tables: the study's
    schedule, the equal-steps control, the sizes beyond the study's."""
    steps = adam_steps(sweep)
    rows = [("the study's schedule", n, steps[n], cells[n]) for n in sweep.n_train]
    for kind, label in (("equal_steps", "equal steps"), ("more_data", "beyond the study's sizes")):
        rows += [(label, n, r["steps"], r) for n, r in sorted(extra.get(kind, {}).items())]
    return rows


def steps_figure(cells: dict, sweep: TreeSweep, extra: dict) -> Figure:
    """Test (left) and training (right) MSE / E f^2 against n_train at eps = 0: the study's schedule
    (solid), the equal-steps control (open squares, dashed, with the study's run at the same step
    count), and the sizes beyond the study's (open circles, dotted, from the study's largest)."""
    zero = zero_mse(cells, sweep)
    fig = Figure(figsize=(10, 4.2))
    axes = fig.subplots(1, 2, sharey=True)
    equal = sorted(extra.get("equal_steps", {}).items())
    more = sorted(extra.get("more_data", {}).items())
    n_max = sweep.n_train[-1]
    same_steps = [(n, cells[n]) for n in sweep.n_train if equal and adam_steps(sweep)[n] == equal[0][1]["steps"]]
    for ax, key, title in zip(axes, ("test_mse", "train_mse"), ("test MSE", "training MSE")):
        for arch in sweep.archs:
            color = COLORS[arch]
            med = [median_quartiles(_nmse(cells[n], arch, sweep, zero, key))[0] for n in sweep.n_train]
            ax.plot(sweep.n_train, med, "o-", color=color, label=f"{arch}")
            if equal:
                runs = equal + same_steps
                ax.plot([n for n, _ in runs], [median_quartiles(_nmse(r, arch, sweep, zero, key))[0] for _, r in runs],
                        "s--", mfc="none", color=color, alpha=0.8)
            if more:
                runs = [(n_max, cells[n_max])] + more
                ax.plot([n for n, _ in runs], [median_quartiles(_nmse(r, arch, sweep, zero, key))[0] for _, r in runs],
                        "o:", mfc="none", color=color, alpha=0.8)
        ax.axhline(1.0, color="0.4", ls="--", lw=1)
        ticks = sorted({*sweep.n_train, *(n for n, _ in equal), *(n for n, _ in more)})
        ax.set(xscale="log", yscale="log", xlabel="n_train", title=f"{title} / E f², eps = 0 (median)")
        ax.set_xticks(ticks, [str(n) for n in ticks], fontsize=7)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("MSE / E f² (1 = predicting 0)")
    axes[0].legend(fontsize=7)
    steps = equal[0][1]["steps"] if equal else 0
    epochs = ", ".join(f"{r['epochs']}" for _, r in more)
    fig.suptitle(f"solid: the study's schedule; dashed squares: {steps:,} steps at every size; dotted circles: "
                 f"sizes beyond the study's ({epochs} epochs)", fontsize=8)
    fig.tight_layout()
    return fig


def steps_table(cells: dict, sweep: TreeSweep, extra: dict) -> str:
    """Markdown table of the equal-steps control: per size and net, test MSE / E f^2 (median
    [quartiles]) with the study's schedule and with the control's steps, and the paired change."""
    equal = extra.get("equal_steps", {})
    if not equal:
        return ""
    zero, steps = zero_mse(cells, sweep), adam_steps(sweep)
    rows = ["| n_train | net | study's steps | test MSE / E f² | equal steps | test MSE / E f² | train MSE / E f² "
            "(equal steps) | log10 change, 95% interval |", "|---|---|---:|---|---:|---|---|---|"]
    for n, r in sorted(equal.items()):
        if n not in cells:
            continue
        for arch in sweep.archs:
            before, after = _nmse(cells[n], arch, sweep, zero), _nmse(r, arch, sweep, zero)
            e = paired(after.clamp_min(TINY).log10(), before.clamp_min(TINY).log10())
            change = f"{e.mean:+.2f} ± {e.half:.2f}" if e.has_interval else f"{e.mean:+.2f}"
            rows.append(f"| {n} | {arch} | {steps[n]:,} | {fmt_mse(before)} | {r['steps']:,} | {fmt_mse(after)} | "
                        f"{fmt_mse(_nmse(r, arch, sweep, zero, 'train_mse'))} | {change} |")
    return ("The equal-steps control at eps = 0 (median [quartiles] over trials; the change is log10 of the test "
            "MSE with equal steps over the study's schedule, paired by trial):\n\n" + "\n".join(rows))


def steps_findings(cells: dict, sweep: TreeSweep, extra: dict) -> str:
    """The control's result in words, every number computed: how much more training changes each
    net's small-n error, and where OracleNet (the exact 12-parameter model) ends up."""
    equal = extra.get("equal_steps", {})
    small = [n for n in sorted(equal) if n in cells]
    if not small:
        return ""
    zero, steps, n0 = zero_mse(cells, sweep), adam_steps(sweep), small[0]
    parts = []
    for arch in sweep.archs:
        before = median_quartiles(_nmse(cells[n0], arch, sweep, zero))[0]
        after = median_quartiles(_nmse(equal[n0], arch, sweep, zero))[0]
        e = paired(_nmse(equal[n0], arch, sweep, zero).clamp_min(TINY).log10(),
                   _nmse(cells[n0], arch, sweep, zero).clamp_min(TINY).log10())
        word = side(e, "worse", "better", "no different") if e.has_interval else "one trial"
        parts.append(f"{arch} {before:.2g} → {after:.2g} ({word})")
    text = (f"At n_train = {n0}, eps = 0, giving every net {equal[n0]['steps']:,} Adam steps instead of the "
            f"schedule's {steps[n0]:,} moves the median test MSE / E f² as follows: " + "; ".join(parts) + ".")
    if "OracleNet" in sweep.archs:
        o = _nmse(equal[n0], "OracleNet", sweep, zero)
        low = int((o < cl.LOW_ERROR).sum())
        text += (f" With the extra steps, OracleNet is below {cl.LOW_ERROR:.0%} of E f² in {low} of {len(o)} "
                 f"trials at n_train = {n0}.")
    return text


def more_data_table(cells: dict, sweep: TreeSweep, extra: dict) -> str:
    """Markdown table from the study's largest size on at eps = 0: test MSE / E f^2 per net
    (median [quartiles]), WeightNet's locality and LocalNet's sharing (mean over trials)."""
    more = extra.get("more_data", {})
    if not more:
        return ""
    zero, n_max = zero_mse(cells, sweep), sweep.n_train[-1]
    runs = [(n_max, adam_steps(sweep)[n_max], cells[n_max])] + [(n, r["steps"], r) for n, r in sorted(more.items())]
    rows = ["| n_train | steps | " + " | ".join(sweep.archs) + " | WeightNet locality | LocalNet sharing |",
            "|---" * (len(sweep.archs) + 4) + "|"]
    for n, steps, r in runs:
        v = r.get("variants", sweep.noise_variants()).index(("independent", 0.0))
        layer = r["first_layer"]
        loc = (f"{weightnet_locality(layer['WeightNet'][v]).mean():.2f}" if "WeightNet" in layer else "")
        share = (f"{localnet_sharing(layer['LocalNet'][v], r['theta'][:, 0]).mean():.2f}" if "LocalNet" in layer else "")
        rows.append(f"| {n:,} | {steps:,} | " + " | ".join(fmt_mse(_nmse(r, a, sweep, zero)) for a in sweep.archs)
                    + f" | {loc} | {share} |")
    return ("Test MSE / E f² at eps = 0 from the study's largest size on (median [quartiles] over trials), and the "
            "structure of the first layer (mean over trials; 1 = the true structure):\n\n" + "\n".join(rows))


def fmt_mse(values: torch.Tensor) -> str:
    med, lo, hi = median_quartiles(values)
    return f"{med:.2g} [{lo:.2g}, {hi:.2g}]"


# --- the scorecard: one measurement per registered claim, graded by the engine -------------------

TINY = 1e-30  # floor for log10 of an MSE (a float32 MSE can underflow to 0)


def adam_steps(sweep: TreeSweep) -> dict[int, int]:
    """Adam steps per n_train: epochs x batches per epoch (the study's schedule ties both to n_train)."""
    return {n: epochs_for(n, sweep.epoch_scale) * math.ceil(n / sweep.batch_size) for n in sweep.n_train}


def zero_mse(cells: dict, sweep: TreeSweep) -> torch.Tensor:
    """E f^2 per trial: the test MSE of predicting 0 on the trial's clean test set, (T,).

    The test inputs are drawn from the random seed (the same for every n_train) and theta is the one the
    results carry, so this needs no training.
    """
    n = sweep.n_train[0]
    x_test = make_data(sweep, n)["x_test"][: sweep.trials]  # (T, n_test, 64), variant 0
    return tree_function(x_test, cells[n]["theta"]).pow(2).mean(-1)


class _Grid:
    """Per-trial quantities of the sweep, looked up by (n_train, net, eps) of independent noise;
    `extra` holds the runs of the other kinds (equal steps, more data) by kind and n_train."""

    def __init__(self, cells: dict, sweep: TreeSweep, extra: dict[str, dict[int, dict]] | None = None):
        self.sweep, self.cells, self.extra = sweep, cells, extra or {}
        self.mse = test_mse(cells, sweep)  # (N, A, V, T)
        self.zero = zero_mse(cells, sweep)  # (T,)
        self.nmse = self.mse / self.zero  # test MSE / E f^2

    def has_kind(self, kind: str, n_train, archs) -> float:
        """1.0 when the run has runs of this kind at every one of these sizes with these nets."""
        runs = self.extra.get(kind, {})
        return float(set(n_train) <= set(runs) and set(archs) <= set(self.sweep.archs))

    def run(self, kind: str, n: int) -> dict:
        """The result at n_train of a kind of run; the study's own run at n when kind is 'study'."""
        return self.cells[n] if kind == "study" else self.extra[kind][n]

    def log_kind(self, kind: str, n: int, arch: str) -> torch.Tensor:
        """log10 test MSE at eps = 0 (independent noise) of a kind of run, per trial: (T,)."""
        r = self.run(kind, n)
        v = r["variants"].index(("independent", 0.0)) if "variants" in r else variant_index(self.sweep, "independent", 0.0)
        return r["test_mse"][self.sweep.archs.index(arch), v].clamp_min(TINY).log10()

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
    "weightnet-not-local-at-512": ((512,), ("WeightNet",), (0.0,)),
    "localnet-centred-at-512": ((512,), ("LocalNet",), (0.0,)),
    "weights-closer-at-4096": ((512, 4096), ("WeightNet", "LocalNet"), (0.0,)),
    "weightnet-learns-locality": ((4096,), ("WeightNet",), (0.0,)),
    "localnet-learns-sharing": ((4096,), ("LocalNet",), (0.0,)),
    "localnet-learns-scale": ((4096,), ("LocalNet",), (0.0,)),
}
# the claims graded on runs of the other kinds: (kind, sizes, nets); the equal-steps claims also
# read the study's run at 4096 (25,600 steps, as the control)
NEEDS_KIND = {
    "locality-needs-more-examples": ("equal_steps", cl.EQUAL_STEPS_N[:-1], ("WeightNet", "LocalNet")),
    "local-nets-beat-nonlocal-at-equal-steps": ("equal_steps", cl.EQUAL_STEPS_N[:-1], cl.ARCHS),
    "weightnet-local-with-more-data": ("more_data", (cl.MORE_N,), ("WeightNet",)),
    "weightnet-reaches-localnet-with-more-data": ("more_data", (cl.MORE_N,), ("WeightNet", "LocalNet")),
}


def equal_steps_sizes(g: "_Grid") -> list[tuple[str, int]]:
    """(kind, n_train) of the runs the equal-steps claims read: the control's, and the study's 4096."""
    return [("equal_steps", n) for n in cl.EQUAL_STEPS_N[:-1]] + [("study", cl.EQUAL_STEPS_N[-1])]


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
    if cid in NEEDS_KIND:
        kind, sizes, archs = NEEDS_KIND[cid]
        checks[cl.IN_RUN] = g.has_kind(kind, sizes, archs)
        if kind == "equal_steps":
            checks[cl.IN_RUN] *= g.has((4096,), archs, (0.0,))
            if checks[cl.IN_RUN]:
                used = [g.run(k, n)["steps"] if k != "study" else steps[n] for k, n in equal_steps_sizes(g)]
                checks[cl.STEPS] = max(used) / min(used)
    else:
        checks[cl.IN_RUN] = g.has(*NEEDS[cid])
    needs = NEEDS.get(cid)
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
        effects = {f"n={n}": paired(g.log_kind(k, n, "WeightNet"), g.log_kind(k, n, "LocalNet"))
                   for k, n in equal_steps_sizes(g)}
    elif cid == "local-nets-beat-nonlocal-at-equal-steps":
        effects = {f"n={n} {_abbr(b)}/{_abbr(a)}": paired(g.log_kind("equal_steps", n, b),
                                                          g.log_kind("equal_steps", n, a))
                   for n in cl.EQUAL_STEPS_N[:-1] for a, b in pairs}
    elif cid == "weightnet-local-with-more-data":
        r = g.run("more_data", cl.MORE_N)
        effects = {"": effect(weightnet_locality(r["first_layer"]["WeightNet"][0]))}
    elif cid == "weightnet-reaches-localnet-with-more-data":
        effects = {"": paired(g.log_kind("more_data", cl.MORE_N, "WeightNet"),
                              g.log_kind("more_data", cl.MORE_N, "LocalNet"))}
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


def scorecard(cells: dict, sweep: TreeSweep, extra: dict[str, dict[int, dict]] | None = None) -> Scorecard:
    """Every claim of the registry (`claims.py`) graded by the book's engine from our runs: `cells`
    the study's grid by n_train, `extra` the other kinds of run (kind -> n_train -> result)."""
    g = _Grid(cells, sweep, extra)
    return claims_scorecard(cl, {c.id: _measure(c, g) for c in cl.CLAIMS if not c.untestable})


def setting(sweep: TreeSweep) -> str:
    """One sentence: is this run the study's setting, or what was reduced or changed."""
    study = TreeSweep()
    differs = [f"{name} {getattr(sweep, name)} (the study: {getattr(study, name)})"
               for name in ("n_train", "eps", "epoch_scale", "batch_size", "lr", "lr_drop", "n_test", "archs")
               if getattr(sweep, name) != getattr(study, name)]
    study_trials = ", ".join(str(t) for t in cl.STUDY_TRIALS.values())
    trials = (f"{sweep.trials} trials per cell (the study's code: {study_trials} trials for n_train = "
              f"{min(cl.STUDY_TRIALS)} ... {max(cl.STUDY_TRIALS)})")
    extra = (f", plus the study code's constant-offset noise at eps = {sweep.constant_noise_eps}"
             if sweep.constant_noise_eps > 0 else "")
    if not differs:
        return (f"This run is the study's setting ({len(SEED_EPOCHS)} sizes × 3 noise levels, epochs 800 … 200, "
                f"batch 32, Adam 1e-3 → 1e-4) with {trials}{extra}.")
    return f"This run is NOT the study's setting: {'; '.join(differs)}; with {trials}{extra}."


# --- the "What we found" box --------------------------------------------------------------------

def _verdict(card: Scorecard, slug: str) -> str:
    """The verdict of the registered claim `<chapter>.<slug>`, bold ('' when not in the card)."""
    return card.verdict_md(f"{cl.CHAPTER}.{slug}")


def key_findings(cells: dict, sweep: TreeSweep, extra: dict, card: Scorecard) -> str:
    """Two to four bullets for the top of the chapter, every number from the runs and every verdict
    from the engine."""
    zero, bullets, n_max = zero_mse(cells, sweep), [], sweep.n_train[-1]
    if set(sweep.archs) == set(cl.ARCHS) and 0.0 in sweep.eps:
        med = {a: median_quartiles(_nmse(cells[n_max], a, sweep, zero))[0] for a in cl.ARCHS}
        bullets.append(f"**The study's order at n_train = {n_max:,}** (eps = 0, median test MSE / E f² over "
                       f"{sweep.trials} trials): " + " < ".join(f"{a} {med[a]:.2g}" for a in cl.ARCHS)
                       + f"; the order's steps {_verdict(card, 'order-at-4096')}, the nets given locality ahead at "
                       f"every size and noise level {_verdict(card, 'local-nets-beat-nonlocal')}.")
    equal = extra.get("equal_steps", {})
    small = [n for n in sorted(equal) if n in cells]
    if small and "OracleNet" in sweep.archs:
        n0, steps = small[0], adam_steps(sweep)
        o_before = median_quartiles(_nmse(cells[n0], "OracleNet", sweep, zero))[0]
        o_after = median_quartiles(_nmse(equal[n0], "OracleNet", sweep, zero))[0]
        bullets.append(f"**Examples or steps?** The study's schedule gives n_train = {n0} only {steps[n0]:,} Adam "
                       f"steps; with {equal[n0]['steps']:,}, OracleNet's median test MSE / E f² there goes from "
                       f"{o_before:.2g} to {o_after:.2g}. Held at {equal[n0]['steps']:,} steps, locality still "
                       f"needs more examples than sharing: {_verdict(card, 'locality-needs-more-examples')}; the nets "
                       f"given locality still ahead at n_train {', '.join(map(str, small))}: "
                       f"{_verdict(card, 'local-nets-beat-nonlocal-at-equal-steps')}.")
    more = extra.get("more_data", {})
    if more and {"WeightNet", "LocalNet"} <= set(sweep.archs):
        n = max(more)
        r = more[n]
        loc = weightnet_locality(r["first_layer"]["WeightNet"][0]).mean()
        ratio = paired(_nmse(r, "WeightNet", sweep, zero).clamp_min(TINY).log10(),
                       _nmse(r, "LocalNet", sweep, zero).clamp_min(TINY).log10())
        bullets.append(f"**More examples than the study's** (beyond the study, eps = 0): at n_train = {n:,} "
                       f"({r['steps']:,} steps) WeightNet's first-layer locality is {loc:.2f} (1 = local; "
                       f"{_verdict(card, 'weightnet-local-with-more-data')}) and its test MSE is {ratio.mean:.1f} "
                       f"decades above LocalNet's ({_verdict(card, 'weightnet-reaches-localnet-with-more-data')}).")
    return "\n".join(f"- {b}" for b in bullets)


def scale_line(cells: dict, sweep: TreeSweep, extra: dict, results: list[dict], where: str) -> str:
    """One line of scale: data, training, runs, hardware and time."""
    models = sum(r["test_mse"].numel() for r in results)
    sizes = sorted({*sweep.n_train, *(n for runs in extra.values() for n in runs)})
    minutes = sum(r["seconds"] for r in results) / 60
    return (f"{len(results)} runs of {models:,} models in all ({sweep.trials} trials per cell; n_train "
            f"{sizes[0]:,} to {sizes[-1]:,}; {min(r['steps'] for r in results):,} to "
            f"{max(r['steps'] for r in results):,} Adam steps), {minutes:.0f} minutes of training summed over the "
            f"runs on {where}.")
