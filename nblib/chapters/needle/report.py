"""Tables, figures, findings and the scorecard of the needle chapter."""
from __future__ import annotations

import torch
from matplotlib.figure import Figure

import math

from nblib import claims as engine
from nblib.claims import Measurement, Scorecard
from nblib.effects import Effect, effect, paired, side
from nblib.stats import mean_ci, mean_ci_text, plot_mean_band

from . import claims as cl
from .experiment import ALPHAS, Chapter

NAMES = {"cnn": "CNN", "efcn": "eFCN", "elcn": "eLCN", "fcn": "vanilla FCN", "elcn-efcn": "CNN → eLCN → eFCN"}
PAPER = {"channels": 64, "epochs": 150, "t_w": (0, 2, 4, 8, 13, 23, 40, 67, 115), "batch_size": 250, "lr": 0.1}
EXACT = 1e-4  # a switch is exact when outputs agree to this (float32 rounding of the dense matmuls)


def arms(results: list[dict]) -> dict[tuple[str, int, int], list[dict]]:
    """The runs grouped by arm (to, t_w, t_2), each list in seed order (runs pair by seed)."""
    out: dict[tuple[str, int, int], list[dict]] = {}
    for r in results:
        out.setdefault((r["run"].to, r["run"].t_w, r["run"].t_2), []).append(r)
    for runs in out.values():
        runs.sort(key=lambda r: r["run"].seed)
    return out


def label(run) -> str:
    """A run's arm in words: 'CNN', 'eFCN t_w=5', 'eLCN 2 -> eFCN 5'."""
    if run.to == "elcn-efcn":
        return f"eLCN {run.t_w} → eFCN {run.t_2}"
    return NAMES[run.to] + (f" t_w={run.t_w}" if run.to in ("efcn", "elcn") else "")


def curve(runs: list[dict], name: str = "test_acc") -> torch.Tensor:
    """(seeds, epochs) of a per-epoch record."""
    return torch.stack([r[name] for r in runs]).double()


def final(runs: list[dict], name: str = "test_acc") -> torch.Tensor:
    """(seeds,) of a record at the last epoch."""
    return curve(runs, name)[:, -1]


def parts(runs: list[dict]) -> tuple[torch.Tensor, torch.Tensor]:
    """(seeds,) test accuracy with only the local and with only the off-local weights."""
    return tuple(torch.tensor([r["parts"][k] for r in runs]).double() for k in ("local", "off-local"))


def intermediate(chapter: Chapter) -> int | None:
    """The release time the chapter calls intermediate, fixed before looking: the middle of the
    sorted t_w list (the upper middle for an even count); None with fewer than three."""
    times = sorted(chapter.t_w)
    return times[len(times) // 2] if len(times) >= 3 else None


# --- the switch ------------------------------------------------------------------------------

def exactness(a: dict) -> dict[str, float]:
    """Largest output and loss difference at any switch, and the largest delta right after a release."""
    released = [r for (to, _, _), runs in a.items() if to in ("efcn", "elcn", "elcn-efcn") for r in runs]
    return {"output": max(g for r in released for g in r["switch_gap"]),
            "loss": max(abs(x - y) for r in released for x, y in r["switch_loss"]),
            "delta": max(r["delta_at_release"] for (to, _, _), runs in a.items() if to in ("efcn", "elcn-efcn")
                         for r in runs)}


# --- figures -----------------------------------------------------------------------------------


def release_figure(a: dict, chapter: Chapter, t_w: int) -> Figure:
    """Training loss and test accuracy of the CNN, the vanilla FCN and the eFCN / eLCN released at t_w."""
    fig = Figure(figsize=(10, 3.8))
    loss_ax, acc_ax = fig.subplots(1, 2)
    epochs = range(1, chapter.epochs + 1)
    arms_here = [(("cnn", 0, 0), "black"), (("fcn", 0, 0), "tab:gray"), (("efcn", t_w, 0), "tab:red"),
                 (("elcn", t_w, 0), "tab:blue")]
    for key, color in arms_here:
        label = NAMES[key[0]] + (f" (t_w = {t_w})" if key[0] in ("efcn", "elcn") else "")
        plot_mean_band(loss_ax, epochs, curve(a[key], "train_loss"), label, color=color)
        plot_mean_band(acc_ax, epochs, 100 * curve(a[key], "test_acc"), label, color=color)
    for ax in (loss_ax, acc_ax):
        ax.axvline(t_w, color="tab:red", linestyle=":", linewidth=1)
        ax.set_xlabel("epoch")
    loss_ax.set(ylabel="training loss", yscale="log")
    acc_ax.set(ylabel="test accuracy (%, class-balanced)")
    acc_ax.legend(fontsize=8)
    fig.suptitle(f"release at t_w = {t_w} (dotted line); mean and 95% band over {len(a[('cnn', 0, 0)])} seeds")
    fig.tight_layout()
    return fig


def gains(a: dict, chapter: Chapter, to: str = "efcn") -> dict[int, Effect]:
    """Final test accuracy of the net released at each t_w minus the CNN's, paired by seed."""
    cnn = final(a[("cnn", 0, 0)])
    return {t: paired(final(a[(to, t, 0)]), cnn) for t in sorted(chapter.t_w)}


def gain_figure(a: dict, chapter: Chapter) -> Figure:
    fig = Figure(figsize=(6, 3.6))
    ax = fig.subplots()
    for to, color, shift in (("efcn", "tab:red", -0.1), ("elcn", "tab:blue", 0.1)):
        g = gains(a, chapter, to)
        ts = list(g)
        ax.errorbar([t + shift for t in ts], [100 * g[t].mean for t in ts],
                    yerr=[100 * g[t].half if g[t].has_interval else 0 for t in ts],
                    marker="o", capsize=3, color=color, label=NAMES[to])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(xlabel="release time t_w (epochs)", ylabel="gain over the CNN (points)",
           title=f"final test accuracy minus the CNN's after {chapter.epochs} epochs")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def delta_figure(a: dict, chapter: Chapter) -> Figure:
    """delta over training for each t_w and for the vanilla FCN, and its final value against t_w."""
    fig = Figure(figsize=(10, 3.6))
    over, end = fig.subplots(1, 2)
    epochs = torch.arange(1, chapter.epochs + 1)
    colors = [f"C{i}" for i in range(len(chapter.t_w))]
    for t, color in zip(sorted(chapter.t_w), colors):
        d = curve(a[("efcn", t, 0)], "delta")[:, t:]
        plot_mean_band(over, epochs[t:], d, f"eFCN t_w = {t}", color=color, marker=".")
    plot_mean_band(over, epochs, curve(a[("fcn", 0, 0)], "delta"), NAMES["fcn"], color="tab:gray")
    over.set(xlabel="epoch", ylabel="δ = ‖θ_off-local‖ / ‖θ‖", yscale="log")
    over.legend(fontsize=8)
    ts = sorted(chapter.t_w)
    means, halves = zip(*(mean_ci(final(a[("efcn", t, 0)], "delta")) for t in ts))
    end.errorbar(ts, means, yerr=[h if h == h else 0 for h in halves], marker="o", capsize=3, color="tab:red")
    end.set(xlabel="release time t_w", ylabel="final δ", yscale="log")
    fig.tight_layout()
    return fig


def interpolation_figure(a: dict, chapter: Chapter) -> Figure:
    fig = Figure(figsize=(6, 3.6))
    ax = fig.subplots()
    for i, t in enumerate(sorted(chapter.t_w)):
        acc = torch.stack([r["interpolation"]["acc"] for r in a[("efcn", t, 0)]]).double()
        plot_mean_band(ax, ALPHAS, 100 * acc, f"t_w = {t}", color=f"C{i}")
    ax.set(xlabel="α: (1 − α) · released CNN + α · trained eFCN", ylabel="test accuracy (%)",
           title="along the straight line in weight space")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def silhouettes_figure(a: dict, t_w: int) -> Figure:
    """What the first layer's off-local weights learned: the eFCN released at t_w and the vanilla FCN
    (seed 0, the units at the centre of the output map of the first channels; each unit's colours
    scaled to its own largest weight, grey = 0; the zeroed square is the unit's receptive field)."""
    rows = [(f"eFCN, t_w = {t_w}", a[("efcn", t_w, 0)][0]["silhouettes"]),
            ("vanilla FCN", a[("fcn", 0, 0)][0]["silhouettes"])]
    units = rows[0][1].shape[0]
    fig = Figure(figsize=(2 * units, 5.2))
    axes = fig.subplots(2, units, squeeze=False)
    for (label, w), row in zip(rows, axes):
        for i, ax in enumerate(row):
            image = 0.5 + w[i] / (2 * w[i].abs().max().clamp_min(1e-12))
            ax.imshow(image.permute(1, 2, 0).clamp(0, 1).numpy() if image.shape[0] == 3 else image[0].numpy(),
                      cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{label}\nchannel {i}", fontsize=8)
    fig.tight_layout()
    return fig


def grid(a: dict, chapter: Chapter) -> tuple[list[int], list[int], dict[tuple[int, int], torch.Tensor]]:
    """Final test accuracy over the (t1, t2) plane: t1 the eLCN release, t2 the eFCN release.
    t1 = t2: straight to the eFCN; t2 = epochs: the eLCN to the end."""
    rows = sorted(set(chapter.t_w) | set(chapter.t_lcn))
    cols = sorted(chapter.t_w) + [chapter.epochs]
    cells = {}
    for t1 in rows:
        for t2 in cols:
            key = ("efcn", t2, 0) if t1 == t2 else ("elcn", t1, 0) if t2 == chapter.epochs else ("elcn-efcn", t1, t2)
            if key in a:
                cells[(t1, t2)] = final(a[key])
    return rows, cols, cells


def grid_figure(a: dict, chapter: Chapter) -> Figure:
    rows, cols, cells = grid(a, chapter)
    cnn = final(a[("cnn", 0, 0)]).mean().item()
    values = torch.full((len(rows), len(cols)), float("nan"))
    for (t1, t2), acc in cells.items():
        values[rows.index(t1), cols.index(t2)] = 100 * (acc.mean().item() - cnn)
    fig = Figure(figsize=(1.4 * len(cols) + 2, 0.8 * len(rows) + 1.8))
    ax = fig.subplots()
    scale = max(values.nan_to_num(0).abs().max().item(), 1e-6)
    image = ax.imshow(values.numpy(), cmap="RdBu", vmin=-scale, vmax=scale)
    for (t1, t2), acc in cells.items():
        ax.text(cols.index(t2), rows.index(t1), f"{100 * (acc.mean().item() - cnn):+.1f}", ha="center",
                va="center", fontsize=9)
    ax.set_xticks(range(len(cols)), [str(c) if c != chapter.epochs else f"{c}\n(eLCN to end)" for c in cols])
    ax.set_yticks(range(len(rows)), [str(r) for r in rows])
    ax.set(xlabel="t2: release into the eFCN", ylabel="t1: release into the eLCN",
           title="final test accuracy minus the CNN's (points, mean over seeds)")
    fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    return fig


# --- tables ------------------------------------------------------------------------------------

def results_table(a: dict, chapter: Chapter) -> str:
    """Markdown: final training loss and test accuracy of every arm, and the gain over the CNN."""
    cnn = final(a[("cnn", 0, 0)])
    lines = ["| net | released at | final training loss | final test accuracy (%) | minus the CNN's (points) |",
             "|---|---|---|---|---|"]
    order = [("cnn", 0, 0), ("fcn", 0, 0)] + [(to, t, 0) for to in ("efcn", "elcn") for t in sorted(chapter.t_w)] \
        + sorted(k for k in a if k[0] == "elcn-efcn")
    for key in order:
        to, t, t2 = key
        when = {"cnn": "never", "fcn": "(random init)", "elcn-efcn": f"t1 = {t}, t2 = {t2}"}.get(to, f"t_w = {t}")
        gain = "" if to == "cnn" else paired(final(a[key]), cnn).points()
        lines.append(f"| {NAMES[to]} | {when} | {mean_ci_text(final(a[key], 'train_loss'), 1, 3)} "
                     f"| {mean_ci_text(final(a[key]))} | {gain} |")
    return "\n".join(lines)


def parts_table(a: dict, chapter: Chapter) -> str:
    """Markdown: final test accuracy of each dense net with only its local weights, only its
    off-local weights, and both."""
    lines = ["| net | local only (%) | off-local only (%) | both (%) | both − local only (points) |",
             "|---|---|---|---|---|"]
    keys = [("efcn", t, 0) for t in sorted(chapter.t_w)] + [("fcn", 0, 0)]
    for key in keys:
        local, off = parts(a[key])
        both = final(a[key])
        label = f"eFCN, t_w = {key[1]}" if key[0] == "efcn" else NAMES["fcn"]
        lines.append(f"| {label} | {mean_ci_text(local)} | {mean_ci_text(off)} | {mean_ci_text(both)} "
                     f"| {paired(both, local).points()} |")
    return "\n".join(lines)


def grid_table(a: dict, chapter: Chapter) -> str:
    rows, cols, cells = grid(a, chapter)
    cnn = final(a[("cnn", 0, 0)])
    lines = ["| t1 (eLCN) | t2 (eFCN) | final test accuracy (%) | minus the CNN's (points) |", "|---|---|---|---|"]
    for (t1, t2), acc in sorted(cells.items()):
        what = "straight to the eFCN" if t1 == t2 else "eLCN to the end" if t2 == chapter.epochs else ""
        lines.append(f"| {t1} | {t2}{' (' + what + ')' if what else ''} | {mean_ci_text(acc)} | {paired(acc, cnn).points()} |")
    return "\n".join(lines)


def step_flops(model: torch.nn.Module, batch: int) -> float:
    """Floating-point operations of one SGD step in the model's dense layers: 2·B·in·out for the
    forward product, as much for the weight gradient, and as much again for the input gradient of
    every layer but the first (the data needs none)."""
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    return sum(2 * batch * m.in_features * m.out_features * (2 if i == 0 else 3) for i, m in enumerate(linears))


def cost_table(costs: dict[str, dict], flops: float, peak: float) -> str:
    """Markdown: seconds per step and training memory of each net, and the eFCN's matmul speed."""
    lines = ["| net | parameters | s per SGD step | weights (MiB) | activations kept for backward (MiB) "
             "| training memory (MiB) |", "|---|---|---|---|---|---|"]
    for name, c in costs.items():
        lines.append(f"| {name} | {c['parameters']:,} | {c['seconds']:.3f} | {c['weights'] / 2**20:.1f} "
                     f"| {c['activations'] / 2**20:.1f} | {c['bytes'] / 2**20:.1f} |")
    achieved = flops / costs["eFCN"]["seconds"] / 1e9
    lines.append("")
    lines.append(f"The eFCN's step does {flops / 1e9:.1f} GFLOP in its dense layers: {achieved:.0f} GFLOP/s, "
                 f"{100 * achieved / peak:.0f}% of the {peak:.0f} GFLOP/s float32 matmul peak measured now. "
                 f"Weights: the eFCN holds {costs['eFCN']['weights'] / costs['eLCN']['weights']:.0f}× the eLCN's; "
                 f"training memory (weights, gradients and kept activations): "
                 f"{costs['eFCN']['bytes'] / costs['eLCN']['bytes']:.1f}× the eLCN's.")
    return "\n".join(lines)


# --- claims ------------------------------------------------------------------------------------

def improvement(a: dict, chapter: Chapter) -> dict[int, Effect]:
    """Final test accuracy minus the accuracy at the switch, for every release after the start."""
    return {t: paired(final(a[("efcn", t, 0)]), curve(a[("efcn", t, 0)])[:, t - 1])
            for t in sorted(chapter.t_w) if t > 0}


def over_fcn(a: dict, chapter: Chapter) -> dict[int, Effect]:
    fcn = final(a[("fcn", 0, 0)])
    return {t: paired(final(a[("efcn", t, 0)]), fcn) for t in sorted(chapter.t_w)}


def delta_order(a: dict, chapter: Chapter) -> dict[int, Effect]:
    """Final delta of each release minus that of the next later one (earlier -> larger: positive)."""
    ts = sorted(chapter.t_w)
    return {t: paired(final(a[("efcn", t, 0)], "delta"), final(a[("efcn", u, 0)], "delta"))
            for t, u in zip(ts, ts[1:])}


def parts_effects(a: dict, chapter: Chapter) -> tuple[dict[int, Effect], dict[int, Effect]]:
    """Per t_w: local only minus off-local only, and both minus local only."""
    alone, helps = {}, {}
    for t in sorted(chapter.t_w):
        local, off = parts(a[("efcn", t, 0)])
        alone[t], helps[t] = paired(local, off), paired(final(a[("efcn", t, 0)]), local)
    return alone, helps


def bump(a: dict, t_w: int) -> tuple[Effect, Effect]:
    """Test accuracy at the path's midpoint minus at its ends (the released CNN, the trained eFCN)."""
    acc = torch.stack([r["interpolation"]["acc"] for r in a[("efcn", t_w, 0)]]).double()
    mid = len(ALPHAS) // 2
    return paired(acc[:, mid], acc[:, 0]), paired(acc[:, mid], acc[:, -1])


def hierarchy(a: dict) -> dict[tuple[int, int], Effect]:
    """CNN -> eLCN(t1) -> eFCN(t2) minus CNN -> eFCN(t2), paired by seed."""
    return {(t1, t2): paired(final(runs), final(a[("efcn", t2, 0)]))
            for (to, t1, t2), runs in sorted(a.items()) if to == "elcn-efcn"}


NOT_RUN = Effect(math.nan, math.nan, 0)


def _loss_at(runs: list[dict], epoch: int) -> torch.Tensor:
    """(seeds,) training loss of the last epoch before `epoch` (the loss at a release at `epoch`)."""
    return curve(runs, "train_loss")[:, epoch - 1]


def loss_drop(a: dict, chapter: Chapter) -> dict[int, Effect]:
    """Training loss at the release minus the eFCN's final training loss, for every release after the start."""
    return {t: paired(_loss_at(a[("efcn", t, 0)], t), final(a[("efcn", t, 0)], "train_loss"))
            for t in sorted(chapter.t_w) if t > 0}


def barrier(a: dict, t_w: int) -> Effect:
    """Highest test loss on the path from the released CNN to the trained eFCN minus the higher end (per seed)."""
    loss = torch.stack([r["interpolation"]["loss"] for r in a[("efcn", t_w, 0)]]).double()
    return effect(loss.max(1).values - torch.maximum(loss[:, 0], loss[:, -1]))


def by_delta(a: dict, chapter: Chapter) -> list[int]:
    """The release times ordered by their mean final δ, smallest first."""
    return sorted(chapter.t_w, key=lambda t: final(a[("efcn", t, 0)], "delta").mean().item())


def _mean_loss(runs: list[dict]) -> float:
    return final(runs, "train_loss").mean().item()


def regime(a: dict, chapter: Chapter) -> dict[str, float]:
    """The measured values of the registry's regime conditions (means over seeds)."""
    late = max(chapter.t_w)
    return {cl.CNN_FINAL: _mean_loss(a[("cnn", 0, 0)]),
            cl.RELEASED_FINAL: max(_mean_loss(a[("efcn", t, 0)]) for t in chapter.t_w),
            cl.CNN_AT_RELEASE: _loss_at(a[("cnn", 0, 0)], late).mean().item() if late > 0 else math.inf,
            cl.CONTROLS: float(sum(1 for k in a if k[0] == "cnn-lr")),  # none in this experiment yet (issue 26)
            cl.RELEASES: float(len(chapter.t_w)),
            cl.LATER: float(sum(1 for t in chapter.t_w if t > 0)),
            "chain_runs": float(sum(1 for k in a if k[0] == "elcn-efcn")),
            cl.ON_STUDY_DATA.name: float(chapter.dataset == "cifar10")}


def measurements(a: dict, chapter: Chapter) -> dict[str, Measurement]:
    """What our runs measure for every testable claim of the registry."""
    checks = regime(a, chapter)
    mid, late, ts = intermediate(chapter), max(chapter.t_w), sorted(chapter.t_w)
    cnn = final(a[("cnn", 0, 0)])
    tw = lambda t: f"t_w = {t}"  # noqa: E731
    released = {cl.RELEASED_FINAL: _mean_loss(a[("efcn", late, 0)])}
    out = {}
    drop = loss_drop(a, chapter)
    out["needle.train-loss-keeps-falling"] = Measurement({tw(t): e for t, e in drop.items()} or {"": NOT_RUN}, checks)
    out["needle.train-loss-falls-near-convergence"] = Measurement(
        {tw(late): drop.get(late, NOT_RUN)}, {**checks, **released})
    out["needle.stays-in-cnn-basin"] = Measurement({tw(late): barrier(a, late)}, {**checks, **released},
                                                   "α = 0 is the CNN at t_w, not a net at the bottom of a basin")
    fcn = final(a[("fcn", 0, 0)])
    out["needle.beats-vanilla-fcn"] = Measurement({tw(t): paired(final(a[("efcn", t, 0)]), fcn) for t in ts}, checks)
    rise = improvement(a, chapter)
    out["needle.test-acc-keeps-rising"] = Measurement({tw(t): e for t, e in rise.items()} or {"": NOT_RUN}, checks)
    out["needle.late-release-beats-cnn"] = Measurement(
        {tw(late): gains(a, chapter)[late]}, {**checks, **released},
        f"our latest t_w is {late} of {chapter.epochs} epochs")
    if mid is not None:
        out["needle.gain-largest-intermediate"] = Measurement(
            {f"{tw(mid)} vs {t}": paired(final(a[("efcn", mid, 0)]), final(a[("efcn", t, 0)])) for t in (ts[0], late)},
            checks)
        out["needle.interpolation-improves"] = Measurement({tw(mid): bump(a, mid)[1]}, checks)
        out["needle.elcn-similar-gain"] = Measurement(
            {tw(mid): gains(a, chapter, "elcn")[mid]}, {**checks, cl.RELEASED_FINAL: _mean_loss(a[("elcn", mid, 0)])})
    else:
        for cid in ("needle.gain-largest-intermediate", "needle.interpolation-improves", "needle.elcn-similar-gain"):
            out[cid] = Measurement({"": NOT_RUN}, checks)
    order = delta_order(a, chapter)
    out["needle.earlier-escapes-further"] = Measurement(
        {f"δ({t}) − δ({u})": order[t] for t, u in zip(ts, ts[1:])} or {"": NOT_RUN}, checks)
    near = by_delta(a, chapter)
    if len(near) >= 3:
        m = near[len(near) // 2]
        out["needle.optimal-distance"] = Measurement(
            {f"{tw(m)} vs {t}": paired(final(a[("efcn", m, 0)]), final(a[("efcn", t, 0)])) for t in (near[-1], near[0])},
            checks, "releases ordered by final δ: " + ", ".join(tw(t) for t in near))
    else:
        out["needle.optimal-distance"] = Measurement({"": NOT_RUN}, checks)
    far = near[-1]
    out["needle.cutoff-distance"] = Measurement({f"{tw(far)} (largest δ)": paired(final(a[("efcn", far, 0)]), cnn)},
                                                checks)
    off = {tw(t): effect(parts(a[("efcn", t, 0)])[1]) for t in ts}
    whole = {tw(t): final(a[("efcn", t, 0)]).mean().item() for t in ts}
    out["needle.off-local-useless"] = Measurement(off, {**checks, cl.WHOLE: whole})
    _, helps = parts_effects(a, chapter)
    out["needle.off-local-helps"] = Measurement({tw(t): e for t, e in helps.items()}, checks)
    h = hierarchy(a)
    out["needle.hierarchical-further-gain"] = Measurement(
        {f"t1 = {t1}, t2 = {t2}": e for (t1, t2), e in h.items()} or {"": NOT_RUN}, checks)
    return out


def scorecard(a: dict, chapter: Chapter) -> Scorecard:
    """Every registered claim of the poster, graded by the book's one engine at this chapter's scale."""
    return engine.scorecard(cl, measurements(a, chapter))


def findings(a: dict, chapter: Chapter) -> str:
    """The chapter's conclusions in words, each read off the intervals by the shared rule."""
    g, gl = gains(a, chapter), gains(a, chapter, "elcn")
    ex = exactness(a)
    alone, helps = parts_effects(a, chapter)
    lines = [
        f"- **The switch is exact.** Over every release, outputs differ by at most {ex['output']:.1e} and "
        f"losses by {ex['loss']:.1e}; δ right after a release is {ex['delta']:g}.",
        "- **The eFCN against its CNN** (final test accuracy, paired by seed): "
        + "; ".join(f"t_w = {t}: {e.points()}, {side(e, 'above the CNN', 'below the CNN')}" for t, e in g.items()) + ".",
        "- **The eLCN against its CNN**: "
        + "; ".join(f"t_w = {t}: {e.points()}, {side(e, 'above the CNN', 'below the CNN')}" for t, e in gl.items()) + ".",
        "- **Local only minus off-local only**: "
        + "; ".join(f"t_w = {t}: {e.points()}, {side(e, 'the local part better', 'the off-local part better')}"
                    for t, e in alone.items()) + ".",
        "- **Both minus local only**: "
        + "; ".join(f"t_w = {t}: {e.points()}, {side(e, 'the off-local part helps', 'the off-local part hurts')}"
                    for t, e in helps.items()) + ".",
    ]
    efcn = {t: final(a[("efcn", t, 0)], "train_loss").mean().item() for t in sorted(chapter.t_w)}
    lines.append(
        f"- **Scale.** Every run ends after {chapter.epochs} epochs, the CNN at training loss "
        f"{mean_ci_text(final(a[('cnn', 0, 0)], 'train_loss'), 1, 3)} and the eFCNs at {min(efcn.values()):.3f} to "
        f"{max(efcn.values()):.3f} (means over seeds); the paper trains the CNN for {PAPER['epochs']} epochs and each "
        "eFCN to near-zero training loss, so a release time here is not the same point of training as the same "
        "number of epochs there.")
    return "\n".join(lines)


def setting(chapter: Chapter, n_train: int, n_test: int) -> str:
    """One sentence: what this run is next to the paper's."""
    differs = [f"{k.replace('_', ' ') if k != 't_w' else 'release times'} "
               f"{list(getattr(chapter, k)) if k == 't_w' else getattr(chapter, k)} "
               f"(paper: {list(v) if k == 't_w' else v})"
               for k, v in PAPER.items() if getattr(chapter, k) != v]
    data = (f"{chapter.dataset}: {n_train:,} training images"
            + (f" ({chapter.train_per_class} per class)" if chapter.train_per_class else "")
            + f", test accuracy class-balanced over {n_test:,} test images")
    partial = " (the partial offline copy of CIFAR-10, not the full 50,000 / 10,000)" if chapter.dataset == "cifar10" \
        else ""
    if not differs:
        return f"This run uses the paper's VanillaCNN and schedule, {chapter.seeds} seeds, on {data}{partial}."
    return (f"This run is reduced from the paper's: {'; '.join(differs)}; {chapter.seeds} seeds; on {data}{partial}.")
