"""Figures, learned-structure scores and the scorecard of the binary-tree chapter."""
from __future__ import annotations


import torch
from matplotlib.figure import Figure

from .experiment import SEED_EPOCHS, TreeSweep
from nblib.scorecard import Claim, ordering, paired, side, verdict, with_runs
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


def scorecard(cells: dict, sweep: TreeSweep) -> list[Claim]:
    """Each claim of the seed's binary-tree section, checked against our runs."""
    mse = test_mse(cells, sweep)  # (N, A, V, T)
    med = median_quartiles(mse)[0]  # (N, A, V)
    arch = {a: i for i, a in enumerate(sweep.archs)}
    n_max = sweep.n_train[-1]
    rows = []
    seed_4096 = {"OracleNet": "9e-10", "LocalNet": "5.5e-5", "WeightNet": "0.013", "FCNet": "0.84"}
    if 0.0 in sweep.eps:
        v0 = variant_index(sweep, "independent", 0.0)
        ours = "; ".join(f"{a} {fmt_mse(mse[-1, arch[a], v0])}" for a in sweep.archs)
        seed_order = [a for a in ("OracleNet", "LocalNet", "WeightNet", "FCNet") if a in arch]
        # paired by trial (same theta, data and test set): log10 MSE of the next net minus this one's
        steps = {(a, b): paired(mse[-1, arch[b], v0].log10(), mse[-1, arch[a], v0].log10())
                 for a, b in zip(seed_order[:-1], seed_order[1:])}
        rows.append(Claim(
            f"At n_train={n_max}, eps=0 the test MSE orders OracleNet < LocalNet < WeightNet < FCNet "
            "(seed: one trial; ours: median [quartiles], then each step's log10 MSE ratio paired by trial)",
            "; ".join(f"{a} {seed_4096[a]}" for a in sweep.archs),
            ours + "; " + "; ".join(f"{b}/{a} {e.text()}" for (a, b), e in steps.items()),
            ordering(verdict(e) for e in steps.values()) if n_max == 4096 else "inconclusive"))
    local = [arch[a] for a in ("OracleNet", "LocalNet") if a in arch]
    nonlocal_ = [arch[a] for a in ("WeightNet", "FCNet") if a in arch]
    if local and nonlocal_:
        # per cell (n_train, eps) and pair (local net, non-local net): log10 MSE ratio, paired by trial
        graded = [verdict(paired(mse[i, b, variant_index(sweep, "independent", e)].log10(),
                                 mse[i, a, variant_index(sweep, "independent", e)].log10()))
                  for i in range(len(sweep.n_train)) for e in sweep.eps for a in local for b in nonlocal_]
        pairs = len(local) * len(nonlocal_)
        rows.append(Claim(
            "LocalNet and OracleNet beat WeightNet and FCNet for every n_train and eps",
            "all 21 cells (figure 1)",
            f"{len(graded) // pairs} cells x {pairs} pairs, paired by trial: {graded.count('reproduced')} won, "
            f"{graded.count('not reproduced')} lost, {graded.count('inconclusive')} within noise",
            ordering(graded)))
    if "WeightNet" in arch and len(sweep.n_train) > 1:
        v0 = variant_index(sweep, "independent", sweep.eps[0])
        first, last = med[0, arch["WeightNet"], v0], med[-1, arch["WeightNet"], v0]
        rows.append(Claim(
            f"WeightNet approaches zero error for large n_train (eps={sweep.eps[0]})",
            "0.013 at n=4096", f"{first:.2g} at n={sweep.n_train[0]} -> {last:.2g} at n={n_max}",
            with_runs("reproduced" if last < 0.1 * first and last < 0.05 else "not reproduced", sweep.trials)))
    if 0.3 in sweep.eps:
        v3 = variant_index(sweep, "independent", 0.3)
        threshold = 0.05
        def first_low(a):
            low = [n for i, n in enumerate(sweep.n_train) if med[i, arch[a], v3] < threshold]
            return low[0] if low else None
        reach = {a: first_low(a) for a in sweep.archs}
        ours = "; ".join(f"{a} {'never' if n is None else n}" for a, n in reach.items())
        fast = all(reach.get(a) is not None and reach[a] < 1024 for a in ("OracleNet", "LocalNet") if a in arch)
        slow = all(reach.get(a) is None or reach[a] >= 2048 for a in ("WeightNet", "FCNet") if a in arch)
        rows.append(Claim(
            f"At eps=0.3 the local nets reach low error within hundreds of examples, "
            f"the others need >= 2048 (ours: first n_train with median MSE < {threshold})",
            "local: hundreds; WeightNet, FCNet: >= 2048", ours,
            with_runs("reproduced" if fast and slow else "not reproduced", sweep.trials)))
    scores = structure_scores(cells, sweep, sweep.eps[0]) if {"WeightNet", "LocalNet"} <= set(arch) else {}
    if scores:
        loc, shr = (median_quartiles(scores[k][-1])[0] for k in ("WeightNet locality", "LocalNet sharing"))
        scale = median_quartiles(scale_errors(cells, sweep, sweep.eps[0])[-1])[0]
        rows.append(Claim(
            f"With enough data both learn the true first-layer weights (n_train={n_max}, eps={sweep.eps[0]})",
            "histograms close to theta at n=4096 (one trial)",
            f"WeightNet locality {loc:.2f}, LocalNet sharing (direction) {shr:.2f} (1 = exact), LocalNet "
            f"scale error {scale:.2f} (0 = exact) (medians of {sweep.trials}; reproduced needs > 0.9, > 0.95, < 0.1)",
            with_runs("reproduced" if loc > 0.9 and shr > 0.95 and scale < 0.1 else "inconclusive" if loc > 0.5
                      else "not reproduced", sweep.trials)))
    return rows


def setting(sweep: TreeSweep) -> str:
    """One sentence: is this run the seed's setting, or what was reduced or changed."""
    seed = TreeSweep()
    differs = [f"{name} {getattr(sweep, name)} (seed: {getattr(seed, name)})"
               for name in ("n_train", "eps", "epoch_scale", "batch_size", "lr", "lr_drop", "n_test", "archs")
               if getattr(sweep, name) != getattr(seed, name)]
    trials = f"{sweep.trials} trials per cell (the seed: \"multiple\")"
    extra = (f", plus the seed code's constant-offset noise at eps = {sweep.constant_noise_eps}"
             if sweep.constant_noise_eps > 0 else "")
    if not differs:
        return (f"This run is the seed's setting ({len(SEED_EPOCHS)} sizes × 3 noise levels, epochs 800 … 200, "
                f"batch 32, Adam 1e-3 → 1e-4) with {trials}{extra}.")
    return f"This run is NOT the seed's setting: {'; '.join(differs)}; with {trials}{extra}."
