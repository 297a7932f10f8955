"""Tables, figures, findings and the scorecard of the needle chapter."""
from __future__ import annotations

import torch
from matplotlib.figure import Figure

import math

from nblib import claims as engine
from nblib.claims import Measurement, Scorecard
from nblib.effects import Effect, effect, paired, side
from nblib.palette import style
from nblib.stats import mean_ci, mean_ci_text, plot_mean_band

from . import claims as cl
from .experiment import ALPHAS, Chapter, param_counts

NAMES = {"cnn": "CNN", "efcn": "eFCN", "elcn": "eLCN", "fcn": "vanilla FCN", "elcn-efcn": "CNN → eLCN → eFCN"}
PAPER = {"channels": 64, "epochs": 150, "t_w": (0, 2, 4, 8, 13, 23, 40, 67, 115), "batch_size": 250, "lr": 0.1}
CONTROL_NAMES = {"positions": "lr / positions", "0.1": "lr / 10", "0.01": "lr / 100"}
SLOW = " slow"  # the arm-kind suffix of a release trained at lr * slow_release after the release
EXACT = 1e-4  # a switch is exact when outputs agree to this (float32 rounding of the dense matmuls)


def arm(run) -> str:
    """The arm's kind: `run.to`, with the learning-rate control named for a CNN continued at a reduced lr, and
    SLOW appended for a release trained at a reduced rate after the release."""
    if run.to == "cnn-lr":
        return f"cnn-lr {run.control}"
    return run.to + (SLOW if run.release_lr != 1.0 else "")


def arms(results: list[dict]) -> dict[tuple[str, int, int], list[dict]]:
    """The runs grouped by arm (kind, t_w, t_2), each list in seed order (runs pair by seed)."""
    out: dict[tuple[str, int, int], list[dict]] = {}
    for r in results:
        out.setdefault((arm(r["run"]), r["run"].t_w, r["run"].t_2), []).append(r)
    for runs in out.values():
        runs.sort(key=lambda r: r["run"].seed)
    return out


def label(run) -> str:
    """A run's arm in words: 'CNN', 'eFCN t_w=5', 'eLCN 2 -> eFCN 5'."""
    after = f" at lr × {run.release_lr:g} after the release" if run.release_lr != 1.0 else ""
    if run.to == "elcn-efcn":
        return f"eLCN {run.t_w} → eFCN {run.t_2}{after}"
    if run.release_lr != 1.0:
        return f"{NAMES[run.to]} t_w={run.t_w}{after}"
    if run.to == "cnn-lr":
        return f"CNN at {CONTROL_NAMES[run.control]} from t_w={run.t_w}"
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
    released = [r for (to, _, _), runs in a.items() if to.split()[0] in ("efcn", "elcn", "elcn-efcn") for r in runs]
    return {"output": max(g for r in released for g in r["switch_gap"]),
            "loss": max(abs(x - y) for r in released for x, y in r["switch_loss"]),
            "delta": max(r["delta_at_release"] for (to, _, _), runs in a.items() if to.split()[0] in ("efcn", "elcn-efcn")
                         for r in runs)}


# --- figures -----------------------------------------------------------------------------------


def _limits(values: list[torch.Tensor], log: bool = False, pad: float = 0.05) -> tuple[float, float]:
    """Axis limits covering every value of every state of a slider, so that the axes never move."""
    v = torch.cat([x.flatten() for x in values]).double()
    v = v[torch.isfinite(v)]
    if log:
        lo, hi = v.clamp_min(1e-6).log10().min().item(), v.clamp_min(1e-6).log10().max().item()
        return 10 ** (lo - pad * (hi - lo)), 10 ** (hi + pad * (hi - lo))
    lo, hi = v.min().item(), v.max().item()
    return lo - pad * (hi - lo), hi + pad * (hi - lo)


def _release_keys(a: dict, t_w: int) -> list[tuple[tuple[str, int, int], str]]:
    """The arms drawn at one release time, with their labels."""
    keys = [(("cnn", 0, 0), "CNN"), (("fcn", 0, 0), NAMES["fcn"]),
            (("efcn", t_w, 0), f"eFCN (t_w = {t_w})"), (("elcn", t_w, 0), f"eLCN (t_w = {t_w})")]
    best = best_control(a, t_w)
    if best is not None:
        keys.append(((f"cnn-lr {best[0]}", t_w, 0), f"CNN at {CONTROL_NAMES[best[0]]} from t_w"))
    slow = next((run.release_lr for run in (r["run"] for r in a.get(("efcn" + SLOW, t_w, 0), []))), None)
    if slow is not None:
        keys.append((("efcn" + SLOW, t_w, 0), f"eFCN at lr × {slow:g} after t_w"))
        same = (f"cnn-lr {slow:g}", t_w, 0)
        if same in a and (best is None or same[0] != f"cnn-lr {best[0]}"):
            keys.append((same, f"CNN at {CONTROL_NAMES.get(f'{slow:g}', f'lr × {slow:g}')} from t_w"))
    return keys


def release_figure(a: dict, chapter: Chapter, t_w: int) -> Figure:
    """Training loss and test accuracy of the CNN, the vanilla FCN, the eFCN / eLCN released at t_w and
    the CNN continued from t_w at the best reduced learning rate; the axes are the same for every t_w."""
    fig = Figure(figsize=(8, 3.4))
    loss_ax, acc_ax = fig.subplots(1, 2)
    epochs = range(1, chapter.epochs + 1)
    every = [k for t in chapter.t_w for k, _ in _release_keys(a, t)]
    for i, (key, label) in enumerate(_release_keys(a, t_w)):
        plot_mean_band(loss_ax, epochs, curve(a[key], "train_loss"), label, **style(i))
        acc = 100 * curve(a[key], "test_acc")
        evaluated = torch.isfinite(acc).all(0)  # the test set is evaluated every `eval_every` epochs
        plot_mean_band(acc_ax, torch.arange(1, chapter.epochs + 1)[evaluated], acc[:, evaluated], label, **style(i))
    for ax in (loss_ax, acc_ax):
        ax.axvline(t_w, color="black", linestyle=":", linewidth=1)
        ax.set_xlabel("epoch")
    low, high = _limits([curve(a[k], "train_loss") for k in every], log=True)
    loss_ax.set(ylabel="training loss (log scale)", yscale="log", ylim=(low, min(high, 10 * BLOWUP)))  # blow-ups off the top
    loss_ax.axhline(cl.CONVERGED, color="grey", linewidth=0.8)
    acc_ax.set(ylabel="test accuracy (%, class-balanced)", ylim=_limits([100 * curve(a[k]) for k in every]))
    acc_ax.legend(fontsize=9, loc="lower right")
    fig.suptitle(f"Release at t_w = {t_w} (dotted line); mean and 95% band over {len(a[('cnn', 0, 0)])} seeds",
                 fontsize=10)
    fig.tight_layout()
    return fig


def gains(a: dict, chapter: Chapter, to: str = "efcn") -> dict[int, Effect]:
    """Final test accuracy of the net released at each t_w minus the CNN's, paired by seed."""
    cnn = final(a[("cnn", 0, 0)])
    return {t: paired(final(a[(to, t, 0)]), cnn) for t in sorted(chapter.t_w)}


def gain_figure(a: dict, chapter: Chapter) -> Figure:
    """Final gain over the CNN against t_w: the eFCN, the eLCN, and the CNN continued from t_w at each
    reduced learning rate (the controls); 95% intervals, paired by seed."""
    fig = Figure(figsize=(6.5, 3.6))
    ax = fig.subplots()
    lines = [("efcn", gains(a, chapter, "efcn"), NAMES["efcn"]), ("elcn", gains(a, chapter, "elcn"), NAMES["elcn"])]
    lines += [(name, g, f"CNN at {CONTROL_NAMES[name]} from t_w") for name, g in control_gains(a, chapter).items()]
    width = 0.012 * max(chapter.epochs, 1)
    for i, (_, g, label) in enumerate(lines):
        shift = (i - (len(lines) - 1) / 2) * width
        ts = list(g)
        ax.errorbar([t + shift for t in ts], [100 * g[t].mean for t in ts],
                    yerr=[100 * g[t].half if g[t].has_interval else 0 for t in ts], capsize=3, label=label,
                    **style(i, markers=True))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(xlabel="release time t_w (epochs)", ylabel="minus the CNN's (points)",
           title=f"Final test accuracy minus the CNN's, after {chapter.epochs} epochs")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def delta_gain_figure(a: dict, chapter: Chapter) -> Figure:
    """The eFCN's gain over the CNN against its final δ, one point per release time (95% intervals)."""
    fig = Figure(figsize=(6.5, 3.6))
    ax = fig.subplots()
    g = gains(a, chapter)
    for i, t in enumerate(sorted(chapter.t_w)):
        d_mean, d_half = (v.item() for v in mean_ci(final(a[("efcn", t, 0)], "delta")))
        d_half = d_half if d_half == d_half else 0.0
        low = min(d_half, 0.999 * d_mean)  # a log axis: the interval's lower end drawn at most down to near 0
        ax.errorbar([d_mean], [100 * g[t].mean], xerr=[[low], [d_half]],
                    yerr=[100 * g[t].half if g[t].has_interval else 0], capsize=3, label=f"t_w = {t}",
                    **style(i, markers=True))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(xlabel="final δ = ‖θ_off-local‖ / ‖θ‖ (log scale)", xscale="log", ylabel="eFCN minus the CNN (points)",
           title="Gain against the distance from the CNN's subspace")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def delta_figure(a: dict, chapter: Chapter) -> Figure:
    """delta over training for each t_w and for the vanilla FCN, and its final value against t_w."""
    fig = Figure(figsize=(10, 3.6))
    over, end = fig.subplots(1, 2)
    epochs = torch.arange(1, chapter.epochs + 1)
    for i, t in enumerate(sorted(chapter.t_w)):
        d = curve(a[("efcn", t, 0)], "delta")[:, t:]
        plot_mean_band(over, epochs[t:], d, f"eFCN t_w = {t}", **style(i))
    plot_mean_band(over, epochs, curve(a[("fcn", 0, 0)], "delta"), NAMES["fcn"], **style(len(chapter.t_w)))
    over.set(xlabel="epoch", ylabel="δ = ‖θ_off-local‖ / ‖θ‖", yscale="log")
    over.legend(fontsize=9)
    ts = sorted(chapter.t_w)
    means, halves = zip(*(mean_ci(final(a[("efcn", t, 0)], "delta")) for t in ts))
    end.errorbar(ts, means, yerr=[h if h == h else 0 for h in halves], capsize=3, **style(0, markers=True))
    end.set(xlabel="release time t_w", ylabel="final δ", yscale="log")
    fig.tight_layout()
    return fig


def interpolation_figure(a: dict, chapter: Chapter) -> Figure:
    """Test accuracy along two straight lines to the trained eFCN: from the CNN at t_w (the released
    net) and from the CNN at the end of its run; one curve per t_w, the same y axis for both."""
    fig = Figure(figsize=(8, 3.4))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, path, start in zip(axes, ("interpolation", "interpolation_end"), ("the CNN at t_w", "the CNN at the end")):
        for i, t in enumerate(sorted(chapter.t_w)):
            acc = torch.stack([r[path]["acc"] for r in a[("efcn", t, 0)]]).double()
            plot_mean_band(ax, ALPHAS, 100 * acc, f"t_w = {t}", **style(i))
        ax.set(xlabel=f"α: (1 − α) · {start} + α · eFCN", title=f"From {start}")
    axes[0].set(ylabel="test accuracy (%, class-balanced)")
    axes[1].legend(fontsize=9)
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
            ax.set_title(f"{label}\nchannel {i}", fontsize=9)
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
        gain = 100 * (acc.mean().item() - cnn)
        ax.text(cols.index(t2), rows.index(t1), f"{gain:+.1f}", ha="center", va="center", fontsize=9,
                color="white" if abs(gain) > 0.6 * scale else "black")  # no dark text on dark cells
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
        + sorted(k for k in a if k[0] == "elcn-efcn") \
        + sorted(k for k in a if k[0] in ("efcn" + SLOW, "elcn-efcn" + SLOW)) \
        + [(f"cnn-lr {c}", t, 0) for c in CONTROL_NAMES for t in sorted(chapter.t_w) if (f"cnn-lr {c}", t, 0) in a]
    for key in order:
        to, t, t2 = key
        kind = to.removesuffix(SLOW)
        name = f"CNN at {CONTROL_NAMES[to.split(' ', 1)[1]]}" if to.startswith("cnn-lr") else NAMES[kind]
        if to != kind:
            name += f", lr × {chapter.slow_release:g} after the release"
        when = {"cnn": "never", "fcn": "(random init)", "elcn-efcn": f"t1 = {t}, t2 = {t2}"}.get(kind, f"t_w = {t}")
        gain = "" if to == "cnn" else paired(final(a[key]), cnn).points()
        lines.append(f"| {name} | {when} | {loss_text(a[key])} "
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


def _controls_at(a: dict, t_w: int) -> list[tuple[str, int, int]]:
    """The keys of the arms that continue the CNN from t_w at a reduced learning rate."""
    return [k for k in a if k[0].startswith("cnn-lr") and k[1] == t_w]


def controls(a: dict, t_w: int) -> dict[str, torch.Tensor]:
    """(seeds,) final test accuracy of the CNN continued from t_w at each reduced learning rate that was run."""
    return {key[0].split(" ", 1)[1]: final(a[key]) for key in _controls_at(a, t_w)}


def best_control(a: dict, t_w: int) -> tuple[str, torch.Tensor] | None:
    """The reduced learning rate whose CNN continued from t_w ends with the highest mean test accuracy
    (the strongest control), and its (seeds,) accuracies; None when no control was run."""
    runs = controls(a, t_w)
    if not runs:
        return None
    name = max(runs, key=lambda k: runs[k].mean().item())
    return name, runs[name]


def against_cnn(a: dict, to: str, t_w: int) -> dict[str, Effect]:
    """Final test accuracy of the net released at t_w minus the CNN at the original lr and minus the
    CNN continued at the best reduced lr (when run), paired by seed."""
    released = final(a[(to, t_w, 0)])
    out = {f"t_w = {t_w} vs CNN": paired(released, final(a[("cnn", 0, 0)]))}
    best = best_control(a, t_w)
    if best is not None:
        out[f"t_w = {t_w} vs CNN at {CONTROL_NAMES[best[0]]}"] = paired(released, best[1])
    return out


def control_gains(a: dict, chapter: Chapter) -> dict[str, dict[int, Effect]]:
    """Per reduced learning rate: final test accuracy of the CNN continued from each t_w at that rate
    minus the CNN at the original rate, paired by seed."""
    cnn = final(a[("cnn", 0, 0)])
    out = {}
    for t in sorted(chapter.t_w):
        for name, acc in controls(a, t).items():
            out.setdefault(name, {})[t] = paired(acc, cnn)
    return out


def local_change_text(a: dict, t_w: int) -> str:
    """The local weights' relative change since the release at t_w over seeds, or how many seeds diverged."""
    moved = torch.tensor([r["local_change"] for r in a[("efcn", t_w, 0)]]).double()
    if torch.isfinite(moved).all():
        return local_changes(a, t_w).text(1, 3)
    return f"diverged in {int((~torch.isfinite(moved)).sum())} of {len(moved)} seeds"


def local_changes(a: dict, t_w: int) -> Effect:
    """Relative change of the eFCN's local weights since its release at t_w, over seeds."""
    return effect(torch.tensor([r["local_change"] for r in a[("efcn", t_w, 0)]]).double())


def end_bump(a: dict, t_w: int) -> Effect:
    """On the path from the CNN at the end of its run to the eFCN released at t_w: test accuracy at the
    midpoint minus the better of the two ends, paired by seed."""
    acc = torch.stack([r["interpolation_end"]["acc"] for r in a[("efcn", t_w, 0)]]).double()
    return paired(acc[:, len(ALPHAS) // 2], torch.maximum(acc[:, 0], acc[:, -1]))


def _loss_at(runs: list[dict], epoch: int) -> torch.Tensor:
    """(seeds,) training loss of the last epoch before `epoch` (the loss at a release at `epoch`)."""
    return curve(runs, "train_loss")[:, epoch - 1]


def loss_drop(a: dict, chapter: Chapter) -> dict[int, Effect]:
    """Training loss at the release minus the eFCN's final training loss, for every release after the start."""
    return {t: paired(_loss_at(a[("efcn", t, 0)], t), final(a[("efcn", t, 0)], "train_loss"))
            for t in sorted(chapter.t_w) if t > 0}


def barrier(a: dict, t_w: int, path: str = "interpolation_end") -> Effect:
    """Highest test loss on a path (from the CNN at the end of its run, or "interpolation": from the
    CNN at t_w) to the trained eFCN minus the higher end (per seed)."""
    loss = torch.stack([r[path]["loss"] for r in a[("efcn", t_w, 0)]]).double()
    return effect(loss.max(1).values - torch.maximum(loss[:, 0], loss[:, -1]))


def by_delta(a: dict, chapter: Chapter) -> list[int]:
    """The release times ordered by their mean final δ, smallest first."""
    return sorted(chapter.t_w, key=lambda t: final(a[("efcn", t, 0)], "delta").mean().item())


def lost(runs: list[dict]) -> int:
    """How many seeds of an arm end with a non-finite training loss (diverged)."""
    return int((~torch.isfinite(final(runs, "train_loss"))).sum())


def loss_text(runs: list[dict]) -> str:
    """The final training loss over seeds ('0.006 ± 0.005'), saying how many seeds diverged when some did."""
    loss = final(runs, "train_loss")
    ok = torch.isfinite(loss)
    if ok.all():
        return mean_ci_text(loss, 1, 3)
    return f"diverged in {lost(runs)} of {len(loss)} seeds" + (f"; the others {mean_ci_text(loss[ok], 1, 3)}"
                                                              if ok.any() else "")


def released_losses(a: dict, chapter: Chapter) -> str:
    """The eFCNs' final training loss at each release time, in words."""
    return "; ".join(f"t_w = {t}: {loss_text(a[('efcn', t, 0)])}" for t in sorted(chapter.t_w))


def _mean_loss(runs: list[dict]) -> float:
    return final(runs, "train_loss").mean().item()


def diverged(a: dict, keys) -> float:
    """How many runs of the arms `keys` (those present) reached a non-finite training loss."""
    return float(sum(not torch.isfinite(r["train_loss"]).all() for k in set(keys) if k in a for r in a[k]))


def regime(a: dict, chapter: Chapter) -> dict[str, float]:
    """The measured values of the registry's regime conditions (means over seeds)."""
    late = max(chapter.t_w)
    return {cl.CNN_FINAL: _mean_loss(a[("cnn", 0, 0)]),
            cl.RELEASED_FINAL: max(_mean_loss(a[("efcn", t, 0)]) for t in chapter.t_w),
            cl.CNN_AT_RELEASE: _loss_at(a[("cnn", 0, 0)], late).mean().item() if late > 0 else math.inf,
            cl.CONTROLS: float(sum(1 for k in a if k[0].startswith("cnn-lr"))),
            cl.RELEASES: float(len(chapter.t_w)),
            cl.LATER: float(sum(1 for t in chapter.t_w if t > 0)),
            "chain_runs": float(sum(1 for k in a if k[0] == "elcn-efcn")),
            cl.ON_STUDY_DATA.name: float(chapter.dataset == "cifar10")}


def measurements(a: dict, chapter: Chapter) -> dict[str, Measurement]:
    """What our runs measure for every testable claim of the registry; each claim's divergence count is over
    the arms it compares."""
    checks = regime(a, chapter)
    mid, late, ts = intermediate(chapter), max(chapter.t_w), sorted(chapter.t_w)
    cnn = final(a[("cnn", 0, 0)])
    tw = lambda t: f"t_w = {t}"  # noqa: E731
    efcn = lambda *times: [("efcn", t, 0) for t in times]  # noqa: E731
    every = efcn(*ts)
    released = {cl.RELEASED_FINAL: _mean_loss(a[("efcn", late, 0)])}
    out = {}

    def measure(cid: str, values: dict, keys: list, extra: dict | None = None, note: str = "") -> None:
        out[cid] = Measurement(values, {**checks, **(extra or {}), cl.DIVERGED: diverged(a, keys)}, note)

    drop = loss_drop(a, chapter)
    measure("needle.train-loss-keeps-falling", {tw(t): e for t, e in drop.items()} or {"": NOT_RUN},
            efcn(*[t for t in ts if t > 0]))
    measure("needle.train-loss-falls-near-convergence", {tw(late): drop.get(late, NOT_RUN)}, efcn(late), released)
    measure("needle.stays-in-cnn-basin", {tw(late): barrier(a, late)}, efcn(late), released,
            "the path starts from the CNN at the end of its run")
    fcn = final(a[("fcn", 0, 0)])
    measure("needle.beats-vanilla-fcn", {tw(t): paired(final(a[("efcn", t, 0)]), fcn) for t in ts},
            every + [("fcn", 0, 0)])
    rise = improvement(a, chapter)
    measure("needle.test-acc-keeps-rising", {tw(t): e for t, e in rise.items()} or {"": NOT_RUN},
            efcn(*[t for t in ts if t > 0]))
    measure("needle.late-release-beats-cnn", against_cnn(a, "efcn", late),
            efcn(late) + [("cnn", 0, 0)] + _controls_at(a, late), released,
            f"our latest t_w is {late} of {chapter.epochs} epochs")
    if mid is not None:
        measure("needle.gain-largest-intermediate",
                {f"{tw(mid)} vs {t}": paired(final(a[("efcn", mid, 0)]), final(a[("efcn", t, 0)])) for t in (ts[0], late)},
                efcn(ts[0], mid, late))
        measure("needle.interpolation-improves",
                {f"{tw(mid)}, from the CNN at t_w": bump(a, mid)[1], f"{tw(mid)}, from the CNN at the end": end_bump(a, mid)},
                efcn(mid))
        measure("needle.elcn-similar-gain", against_cnn(a, "elcn", mid),
                [("elcn", mid, 0), ("cnn", 0, 0)] + _controls_at(a, mid),
                {cl.RELEASED_FINAL: _mean_loss(a[("elcn", mid, 0)])})
        measure("needle.local-blocks-hardly-change", {tw(t): local_changes(a, t) for t in (mid, late)},
                efcn(mid, late), released)
    else:
        for cid in ("needle.gain-largest-intermediate", "needle.interpolation-improves", "needle.elcn-similar-gain",
                    "needle.local-blocks-hardly-change"):
            measure(cid, {"": NOT_RUN}, [])
    order = delta_order(a, chapter)
    measure("needle.earlier-escapes-further", {f"δ({t}) − δ({u})": order[t] for t, u in zip(ts, ts[1:])} or {"": NOT_RUN},
            every)
    near = by_delta(a, chapter)  # ordered by every release's δ: each claim below compares them all
    if len(near) >= 3:
        m = near[len(near) // 2]
        measure("needle.optimal-distance",
                {f"{tw(m)} vs {t}": paired(final(a[("efcn", m, 0)]), final(a[("efcn", t, 0)])) for t in (near[-1], near[0])},
                every, note="releases ordered by final δ: " + ", ".join(tw(t) for t in near))
    else:
        measure("needle.optimal-distance", {"": NOT_RUN}, every)
    far = near[-1]
    measure("needle.cutoff-distance", {f"{tw(far)} (largest δ)": paired(final(a[("efcn", far, 0)]), cnn)},
            every + [("cnn", 0, 0)])
    off = {tw(t): effect(parts(a[("efcn", t, 0)])[1]) for t in ts}
    whole = {tw(t): final(a[("efcn", t, 0)]).mean().item() for t in ts}
    measure("needle.off-local-useless", off, every, {cl.WHOLE: whole})
    _, helps = parts_effects(a, chapter)
    measure("needle.off-local-helps", {tw(t): e for t, e in helps.items()}, every)
    h = hierarchy(a)
    chains = [k for k in a if k[0] == "elcn-efcn"]
    measure("needle.hierarchical-further-gain", {f"t1 = {t1}, t2 = {t2}": e for (t1, t2), e in h.items()} or {"": NOT_RUN},
            chains + efcn(*[k[2] for k in chains]))
    out.update(slow_measurements(a, chapter, checks))
    return out


def slow_measurements(a: dict, chapter: Chapter, checks: dict) -> dict[str, Measurement]:
    """The late-release claims measured on the releases trained at lr * slow_release after the release, against
    the CNN continued from the same t_w at the same reduced rate (the same step, the same batches) and the CNN
    trained on; NOT_RUN when the chapter ran no slow release."""
    late = max(chapter.t_w)
    slow, same = ("efcn" + SLOW, late, 0), (f"cnn-lr {chapter.slow_release:g}", late, 0)
    ids = [c.id for c in cl.CLAIMS if c.id.endswith(cl.SLOW_SUFFIX)]
    if slow not in a:
        return {cid: Measurement({"": NOT_RUN}, {**checks, cl.SLOW_RUNS: 0.0, cl.DIVERGED: 0.0}) for cid in ids}
    extra = {cl.RELEASED_FINAL: _mean_loss(a[slow]), cl.SLOW_RUNS: float(len(a[slow])),
             cl.CONTROLS: float(same in a)}
    tw = f"t_w = {late}"
    acc = final(a[slow])
    out = {}
    loss = paired(_loss_at(a[slow], late), final(a[slow], "train_loss"))
    out["needle.train-loss-falls-near-convergence" + cl.SLOW_SUFFIX] = Measurement(
        {tw: loss}, {**checks, **extra, cl.DIVERGED: diverged(a, [slow])})
    vs = {f"{tw} vs CNN": paired(acc, final(a[("cnn", 0, 0)]))}
    if same in a:
        vs[f"{tw} vs CNN at {CONTROL_NAMES.get(same[0].split(' ', 1)[1], same[0])}"] = paired(acc, final(a[same]))
    out["needle.late-release-beats-cnn" + cl.SLOW_SUFFIX] = Measurement(
        vs, {**checks, **extra, cl.DIVERGED: diverged(a, [slow, ("cnn", 0, 0), same])},
        f"the eFCN trained at lr × {chapter.slow_release:g} after the release; our latest t_w is {late}")
    chains = [k for k in a if k[0] == "elcn-efcn" + SLOW and k[2] == late]
    out["needle.hierarchical-further-gain" + cl.SLOW_SUFFIX] = Measurement(
        {f"t1 = {k[1]}, t2 = {k[2]}": paired(final(a[k]), acc) for k in chains} or {"": NOT_RUN},
        {**checks, **extra, "chain_runs": float(len(chains)), cl.DIVERGED: diverged(a, chains + [slow])})
    return out


def scorecard(a: dict, chapter: Chapter) -> Scorecard:
    """Every registered claim of the poster, graded by the book's one engine at this chapter's scale."""
    return engine.scorecard(cl, measurements(a, chapter))


def converged_at(runs: list[dict]) -> int | None:
    """The first epoch (counted from 1) from which the mean training loss stays below CONVERGED, or None."""
    loss = curve(runs, "train_loss").mean(0)
    above = (loss >= cl.CONVERGED).nonzero()
    first = 0 if len(above) == 0 else above[-1].item() + 1
    return first + 1 if first < len(loss) else None


def _vs(e: Effect, what: str) -> str:
    return f"{e.points()} against {what} ({side(e, 'above', 'below')})"


def separation(a: dict, chapter: Chapter, to: str, t_w: int) -> str:
    """One sentence built from the numbers: what the control separates for the net released at t_w."""
    best = best_control(a, t_w)
    name = NAMES[to]
    vs = against_cnn(a, to, t_w)
    plain = vs[f"t_w = {t_w} vs CNN"]
    if n := lost(a[(to, t_w, 0)]):
        name = f"{name} ({n} of {len(a[(to, t_w, 0)])} seeds diverged and count at their final, chance accuracy)"
    if best is None:
        return (f"Released at t_w = {t_w}, the {name} ends {_vs(plain, 'the CNN trained on')}; no learning-rate "
                "control was run, so a slower step in the CNN's subspace is not ruled out.")
    control = vs[f"t_w = {t_w} vs CNN at {CONTROL_NAMES[best[0]]}"]
    slowed = paired(best[1], final(a[("cnn", 0, 0)]))
    text = (f"Released at t_w = {t_w}, the {name} ends {_vs(plain, 'the CNN trained on')} and "
            f"{_vs(control, f'the CNN continued from t_w at {CONTROL_NAMES[best[0]]}, the best of the controls')}, "
            f"which itself ends {_vs(slowed, 'the CNN')}. ")
    if control.has_interval and control.mean - control.half > 0:
        return text + "The freed weights add accuracy that a slower step in the CNN's subspace does not give."
    if plain.has_interval and plain.mean - plain.half > 0:
        return text + ("The gain over the CNN is not told apart from what a slower step in the CNN's subspace gives: "
                       "the control explains it as well as the freed weights do.")
    if plain.has_interval and plain.mean + plain.half < 0:
        return text + f"The {name} ends below the CNN: there is no gain for the control to explain."
    return text + "No gain over the CNN is shown (its interval includes 0), so there is nothing for the control to explain."


def slow_text(a: dict, chapter: Chapter) -> str:
    """One sentence from the numbers on the eFCN released at our latest t_w and trained at the reduced rate
    after it (empty when not run)."""
    late = max(chapter.t_w)
    key, same = ("efcn" + SLOW, late, 0), (f"cnn-lr {chapter.slow_release:g}", late, 0)
    if key not in a:
        return ""
    acc, rate = final(a[key]), CONTROL_NAMES.get(f"{chapter.slow_release:g}", f"lr × {chapter.slow_release:g}")
    text = (f"Trained at {rate} after its release at t_w = {late}, the eFCN ends at training loss "
            f"{mean_ci_text(final(a[key], 'train_loss'), 1, 3)} and {_vs(paired(acc, final(a[('cnn', 0, 0)])), 'the CNN trained on')}")
    if same in a:
        text += f" and {_vs(paired(acc, final(a[same])), f'the CNN continued from t_w at {rate}, the same step')}"
    return text + "."


BLOWUP = 10.0  # nats: a training loss above this after the start of a phase (chance is ln 10 = 2.3) is a blow-up


def blowups(a: dict) -> list[dict]:
    """Every run whose training loss rose above BLOWUP nats, or to a non-finite value, after its first phase
    (for the CNN and the vanilla FCN, after the first epoch): what it is, its peak and where it ended."""
    out = []
    for runs in a.values():
        for r in runs:
            run, loss = r["run"], r["train_loss"]
            phases = run.phases()
            start = max(phases[0][1] if len(phases) > 1 else 0, 1)
            after = loss[start:]
            if len(after) and (not torch.isfinite(after).all() or after.max().item() > BLOWUP):
                bad = (~torch.isfinite(after)).nonzero()
                out.append({"label": label(run), "seed": run.seed, "peak": after.nan_to_num(math.inf).max().item(),
                            "final_loss": loss[-1].item(), "final_acc": r["test_acc"][-1].item(),
                            "non_finite_at": start + bad[0].item() + 1 if len(bad) else None})
    return sorted(out, key=lambda b: (b["label"], b["seed"]))


def blowup_text(a: dict) -> str:
    """One sentence on the runs that blew up (empty when none did)."""
    found = blowups(a)
    if not found:
        return ""
    total = sum(len(runs) for runs in a.values())
    each = "; ".join(f"{b['label']} (seed {b['seed']}): " + (
        f"a non-finite loss from epoch {b['non_finite_at']}" if b["non_finite_at"] else
        f"peak {b['peak']:,.1f}, final {b['final_loss']:.3f} nats") + f", final test accuracy {b['final_acc']:.1%}"
        for b in found)
    return (f"{len(found)} of {total} runs blew up (training loss above {BLOWUP:g} nats after the release; chance is "
            f"{math.log(10):.2f}): {each}. A run that "
            "ends at chance counts in every mean and interval it belongs to.")


def key_findings(a: dict, chapter: Chapter) -> str:
    """Two to four bullets for the top of the chapter, generated from the results."""
    cnn = a[("cnn", 0, 0)]
    at = converged_at(cnn)
    late, mid = max(chapter.t_w), intermediate(chapter)
    bullets = [f"**The regime.** The CNN's training loss falls to {mean_ci_text(final(cnn, 'train_loss'), 1, 3)} "
               + (f"(below {cl.CONVERGED} from epoch {at} of {chapter.epochs})" if at else
                  f"(never below {cl.CONVERGED}: the poster's regime is not reached, and its release-time claims are "
                  "not tested here)")
               + f"; the released eFCNs end at training loss {released_losses(a, chapter)}."]
    if blowup := blowup_text(a):
        bullets.append(f"**Instability.** {blowup}")
    bullets.append(f"**Released late, against the learning-rate control.** {separation(a, chapter, 'efcn', late)}")
    if slow_text(a, chapter):
        bullets.append(f"**Released late at a reduced rate.** {slow_text(a, chapter)}")
    g = gains(a, chapter)
    bullets.append("**The eFCN minus the CNN by release time** (95% intervals over seeds): "
                   + "; ".join(f"t_w = {t}: {e.points()}" for t, e in g.items()) + ".")
    off = {t: parts(a[("efcn", t, 0)])[1] for t in sorted(chapter.t_w)}
    bullets.append(f"**The off-local weights alone** give {min(v.mean().item() for v in off.values()):.1%} to "
                   f"{max(v.mean().item() for v in off.values()):.1%} test accuracy (chance is {cl.CHANCE:.0%}); the "
                   f"local weights' change since the release, relative to their norm then, is "
                   + "; ".join(f"t_w = {t}: {local_change_text(a, t)}" for t in sorted({late, mid} - {None})) + ".")
    return "\n".join(f"- {b}" for b in bullets)


def _graded_times(chapter: Chapter) -> list[int]:
    """The release times the registry grades against the CNN: the intermediate one and the latest."""
    return sorted({t for t in (intermediate(chapter), max(chapter.t_w)) if t is not None})


def findings(a: dict, chapter: Chapter) -> str:
    """The chapter's conclusions in words, each read off the intervals by the shared rule."""
    ex = exactness(a)
    alone, helps = parts_effects(a, chapter)
    lines = [
        f"- **The switch is exact.** Over every release, outputs differ by at most {ex['output']:.1e} and "
        f"losses by {ex['loss']:.1e}; δ right after a release is {ex['delta']:g}.",
        "- **The eFCN against its CNN and the control**: " + " ".join(
            separation(a, chapter, "efcn", t) for t in _graded_times(chapter)),
        "- **The eLCN against its CNN and the control**: " + " ".join(
            separation(a, chapter, "elcn", t) for t in _graded_times(chapter)),
        "- **Both parts minus the local part only**: "
        + "; ".join(f"t_w = {t}: {e.points()}, {side(e, 'the off-local part helps', 'the off-local part hurts')}"
                    for t, e in helps.items()) + ".",
    ]
    lines.append(
        f"- **Scale.** Every run ends after {chapter.epochs} epochs, the CNN at training loss "
        f"{mean_ci_text(final(a[('cnn', 0, 0)], 'train_loss'), 1, 3)} and the eFCNs at {released_losses(a, chapter)}; "
        f"the paper trains the CNN for {PAPER['epochs']} epochs on "
        "50,000 images and each eFCN to near-zero training loss.")
    return "\n".join(lines)


def setting(chapter: Chapter, train_counts: list[int], test_counts: list[int]) -> str:
    """One sentence: what this run is next to the paper's, with the class counts read from the data."""
    differs = [f"{k.replace('_', ' ') if k != 't_w' else 'release times'} "
               f"{list(getattr(chapter, k)) if k == 't_w' else getattr(chapter, k)} "
               f"(paper: {list(v) if k == 't_w' else v})"
               for k, v in PAPER.items() if getattr(chapter, k) != v]
    def counts(c):
        return f"{min(c):,} to {max(c):,} per class" if min(c) != max(c) else f"{c[0]:,} per class"
    data = (f"{chapter.dataset}: {sum(train_counts):,} training images ({counts(train_counts)}"
            + (", a class-balanced subset" if chapter.train_per_class else "") + f"), "
            f"{sum(test_counts):,} test images ({counts(test_counts)}"
            + (f", at most {chapter.test_per_class} per class" if chapter.test_per_class else "")
            + "), test loss and accuracy class-balanced (each class weighs 1/10)"
            + (f", evaluated every {chapter.eval_every} epochs and at every release" if chapter.eval_every > 1 else ""))
    partial = " (the partial offline copy of CIFAR-10, not the full 50,000 / 10,000)" if chapter.dataset == "cifar10" \
        else ""
    if not differs:
        return f"This run uses the paper's VanillaCNN and schedule, {chapter.seeds} seeds, on {data}{partial}."
    return (f"This run is reduced from the paper's: {'; '.join(differs)}; {chapter.seeds} seeds; on {data}{partial}.")


# --- the paper's scale -----------------------------------------------------------------------------

GPU_TFLOPS = 50.0  # assumed sustained float32 matmul rate of one GPU (an H100's float32 peak is about 67)
PAPER_TRAIN, PAPER_TEST = 50_000, 10_000


def paper_chapter(**overrides) -> Chapter:
    """The chapter's parameters at the paper's scale: 64 channels, 150 epochs, the nine release times,
    batch 250, the whole data, with the chain CNN -> eLCN (4) -> eFCN (23)."""
    from nblib.params import check_params
    values = dict(channels=64, epochs=150, t_w=list(PAPER["t_w"]), t_lcn=[4], t_chain=[23], batch_size=250,
                  train_per_class=0, test_per_class=0)
    return check_params(Chapter, **{**values, **overrides})


def paper_command(chapter: Chapter) -> str:
    """The papermill command that runs `chapter` (given as the paper's scale) on a GPU."""
    lists = ", ".join(f"{k}: {list(getattr(chapter, k))}" for k in ("t_w", "t_lcn", "t_chain"))
    return (f"papermill notebooks/needle.ipynb needle-paper.ipynb -p channels {chapter.channels} -p epochs "
            f"{chapter.epochs} -p batch_size {chapter.batch_size} -p train_per_class {chapter.train_per_class} "
            f"-p test_per_class {chapter.test_per_class} -y \"{{{lists}}}\" -p device cuda")


def dense_flops(chapter: Chapter, n_train: int, n_test: int) -> float:
    """Floating-point operations of the eFCN-sized runs of every seed (vanilla FCN, eFCNs, chains): per epoch
    6 per weight per training image (forward, input and weight gradients) and 2 per weight per test image
    every `eval_every` epochs.
    The CNN, eLCN and control runs cost a few percent of this and are left out."""
    weights = param_counts(chapter.channels)["eFCN (padding inside)"]
    return chapter.seeds * chapter.dense_epochs() * weights * (6 * n_train + 2 * n_test / chapter.eval_every)


def paper_cost_text(train_here: int, test_here: int, tflops: float = GPU_TFLOPS) -> str:
    """The paper's scale in one sentence: the command, its dense work and its GPU time at `tflops`, on the
    full CIFAR-10 and on the copy here (`train_here` / `test_here` images)."""
    paper = paper_chapter()
    flops = dense_flops(paper, PAPER_TRAIN, PAPER_TEST)
    flops_here = dense_flops(paper, train_here, test_here)
    hours = flops / (tflops * 1e12) / 3600
    return (f"`{paper_command(paper)}`: {paper.seeds} seeds, {len(paper.runs())} runs, "
            f"{param_counts(64)['eFCN (padding inside)'] / 1e6:.1f}M weights per eFCN, "
            f"{flops / 1e15:,.0f} PFLOP in the eFCN-sized runs on the full CIFAR-10 (50,000 / 10,000 images), "
            f"about {hours:.1f} GPU-hours at a sustained {tflops:g} TFLOP/s in float32 (memory: one eFCN with its "
            f"gradients and a batch of 250 needs about {3 * 4 * param_counts(64)['eFCN (padding inside)'] / 2**30:.1f} "
            f"GiB). On the copy here ({train_here:,} / {test_here:,} images) the same command takes about "
            f"{flops_here / (tflops * 1e12) / 3600:.2f} GPU-hours.")
