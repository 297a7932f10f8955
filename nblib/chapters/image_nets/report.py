"""Tables, figures, sliders and the scorecard of the image half of study 1."""
from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure

from nblib import palette
from nblib.claims import Measurement, Scorecard
from nblib.claims import scorecard as claims_scorecard
from nblib.effects import Effect, effect, paired, side, unpaired
from nblib.stats import mean_ci, mean_ci_text, plot_mean_band

from . import claims as cl

from .experiment import (ARCHS, BUG_ARCH, INPUT, SEED_EPS, Chapter, image_net, n_params, per_class_available,
                         stage_outputs)

NAMES = {"mnist": "MNIST", "cifar10": "CIFAR-10"}
CLASSES = {"mnist": [str(d) for d in range(10)],
           "cifar10": ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]}
COLORS = dict(zip(("LocalNet", "WeightNet", "FCNet", "ConvNet"), palette.COLORS))  # the book's one palette
# the study's numbers live in its registry: means of 5 runs at 1,000 per class (Figure 3's data, and FGSM
# from its code / Table 2), and Table 2 at 10,000 per class (means of 2 runs)
SEED_N = cl.STUDY_N
SEED_RUNS = cl.STUDY_RUNS
SEED_CLEAN, SEED_FGSM, SEED_10000 = cl.STUDY_CLEAN, cl.STUDY_FGSM, cl.STUDY_10000


def index(results: list[dict]) -> dict[tuple[str, str, int], dict]:
    """(dataset, arch, n_train) -> the cell's result."""
    return {(r["cell"].dataset, r["cell"].arch, r["cell"].n_train): r for r in results}


def present(g: dict) -> list[str]:
    """The datasets these results cover, MNIST first."""
    return [d for d in ("mnist", "cifar10") if any(key[0] == d for key in g)]


def sizes(g: dict, dataset: str) -> list[int]:
    return sorted({n for (d, _, n) in g if d == dataset})


def archs(g: dict) -> list[str]:
    present = {a for (_, a, _) in g}
    return [a for a in ARCHS if a in present]


def eps_index(r: dict, scale: float) -> int:
    """Where the budget `scale` x the study's sits in a cell's eps grid."""
    target = scale * SEED_EPS[r["cell"].dataset]
    return min(range(len(r["cell"].eps)), key=lambda i: abs(r["cell"].eps[i] - target))


def clean_on_attacked(r: dict) -> torch.Tensor:
    """(seeds,) accuracy on the attacked images before the attack (eps 0)."""
    return r["fgsm"][eps_index(r, 0.0)].double()


def at_seed_budget(r: dict) -> torch.Tensor:
    """(seeds,) FGSM accuracy at the study's budget."""
    return r["fgsm"][eps_index(r, 1.0)].double()


def relative_drop(r: dict) -> torch.Tensor:
    """(seeds,) 1 - FGSM / clean accuracy on the same images (the study's Table 2 column)."""
    return 1 - at_seed_budget(r) / clean_on_attacked(r)


def table_n(g: dict, dataset: str) -> int:
    """Our size for the study's 1000 per class: 1000, else the largest we ran below it."""
    ns = sizes(g, dataset)
    below = [n for n in ns if n <= SEED_N]
    return max(below) if below else min(ns)


def _size_note(g: dict, dataset: str) -> str:
    """Where our size for the study's 1000 per class differs from it, and why."""
    n = table_n(g, dataset)
    if n == SEED_N:
        return ""
    available = per_class_available(dataset)
    why = (f"the copy here has at most {available:,} per class" if available < SEED_N
           else "the largest size of this run")
    return f"; ours at {n:,} per class: {why}"


# --- the nets -------------------------------------------------------------------------------------

def architectures(datasets: tuple[str, ...]) -> str:
    """Every net's parameter count and latent shapes after each stage, measured on a forward pass."""
    lines = []
    for name in datasets:
        channels, side = INPUT[name]
        for arch in ARCHS + ((BUG_ARCH,) if name == "mnist" else ()):
            shapes = stage_outputs(image_net(arch, name), torch.zeros(1, channels, side, side))
            lines.append(f"{NAMES[name]:8s} {arch:14s} {n_params(arch, name):>9,} parameters; latents "
                         + ", ".join("x".join(map(str, s)) + f" = {math.prod(s)}" for s in shapes))
    return "\n".join(lines)


# --- the setting ------------------------------------------------------------------------------------

def setting(chapter: Chapter, g: dict) -> str:
    """What was run, in one paragraph (every number from the runs)."""
    parts = []
    for name in chapter.datasets:
        some = next(r for (d, _, _), r in g.items() if d == name)
        first = archs(g)[0]
        schedule = ", ".join(f"{n:,} ({g[(name, first, n)]['cell'].seeds} runs, {g[(name, first, n)]['epochs']} epochs, "
                             f"batch {g[(name, first, n)]['batch']}, learning rate {g[(name, first, n)]['lr']:g})"
                             for n in sizes(g, name))
        parts.append(f"{NAMES[name]}: n_train {schedule} per class; test accuracy on {some['test_size']:,} test images"
                     f"{' (class-balanced: the copy has unequal test classes)' if name == 'cifar10' else ''}, "
                     f"attacks on a balanced subset of {some['attack_size']:,} of them "
                     f"(PGD on {some['pgd_size']:,})")
    return ("Each run has its own balanced training subset and initialisation. " + "; ".join(parts) + ". "
            f"SGD with momentum 0.9 and cross-entropy: the study's epochs and batch sizes (1, 1, 2, 2, 4 for 10 ... "
            f"1,000 per class) with every batch {chapter.batch_scale} times larger and the learning rate with it "
            f"(the study's 1e-3 times the same factor), except where a run would then make fewer than "
            f"{chapter.min_steps:,} SGD steps: there the factor halves until it makes at least that many"
            f"{'' if chapter.epoch_scale == 1 else f'; epochs scaled by {chapter.epoch_scale:g}'}. "
            f"Inputs in [-1, 1] (the study's convention), so its FGSM budgets apply as they are: "
            f"{SEED_EPS['mnist']:g} on MNIST, {SEED_EPS['cifar10']:g} on CIFAR-10. "
            f"The study {cl.protocol_text()}.")


def data_note(g: dict) -> str:
    """Where a dataset's sizes stop short of the study's, and why (read off the data here), and the
    study's sizes below ours that this run leaves out."""
    notes = []
    for name in present(g):
        ours, largest = sizes(g, name), max(sizes(g, name))
        skipped = [n for n in cl.STUDY_N_TRAIN if n < largest and n not in ours]
        if skipped:
            grid = ", ".join(str(n) for n in sorted({*ours, *skipped}))
            notes.append(f"{NAMES[name]} leaves out the study's {' and '.join(f'{n:,}' for n in skipped)} per class "
                         f"(this machine's time budget; `-y \"{name}_n_train: [{grid}]\"` adds them).")
    for name in present(g):
        available, largest = per_class_available(name), max(sizes(g, name))
        some = next(r for (d, _, _), r in g.items() if d == name)
        reason = (f"the copy here has at most {available:,} training images per class and {some['test_size']:,} test images"
                  if available < SEED_N else f"its smallest class has {available:,} training images")
        notes.append(f"{NAMES[name]} stops at {largest:,} per class in this run ({reason}; the study's grid lists sizes up to 30,000).")
    return " ".join(notes)


# --- accuracy against n_train (the study's Figure 3) -------------------------------------------------

def accuracy_figure(g: dict) -> Figure:
    names = present(g)
    fig = Figure(figsize=(5.2 * len(names), 3.8))
    for k, name in enumerate(names):
        ax = fig.add_subplot(1, len(names), k + 1)
        ns = sizes(g, name)
        for arch in archs(g):
            # sizes have different run counts (the study's 11 ... 5): mean and interval per size
            stats = [mean_ci(100 * g[(name, arch, n)]["clean"].double()) for n in ns]
            mean = torch.stack([m for m, _ in stats])
            half = torch.stack([h for _, h in stats]).nan_to_num(0.0)
            ax.plot(ns, mean, label=arch, color=COLORS[arch], marker="o", markersize=3)
            ax.fill_between(ns, mean - half, mean + half, color=COLORS[arch], alpha=0.2, linewidth=0)
            ax.plot([SEED_N], [100 * SEED_CLEAN[name][arch]], marker="x", color=COLORS[arch], linestyle="none")
        ax.set_xscale("log")
        ax.set_xlabel("training images per class")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{NAMES[name]} (x: the study's mean of {SEED_RUNS} runs at {SEED_N:,})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def accuracy_table(g: dict) -> str:
    nets = archs(g)
    lines = ["| Dataset | n_train per class | " + " | ".join(nets) + " |", "|---|---|" + "---|" * len(nets)]
    for name in present(g):
        for n in sizes(g, name):
            lines.append(f"| {NAMES[name]} | {n:,} | " + " | ".join(mean_ci_text(g[(name, a, n)]["clean"]) for a in nets) + " |")
        lines.append(f"| {NAMES[name]}, the study (mean of {SEED_RUNS} runs) | {SEED_N:,} | "
                     + " | ".join(f"{100 * SEED_CLEAN[name][a]:.2f}" for a in nets) + " |")
    return "\n".join(lines)


# --- FGSM (the study's Table 2) -------------------------------------------------------------------------

def robustness_table(g: dict) -> str:
    """Clean and FGSM accuracy (same images) and the relative drop, every net, at every n_train."""
    lines = [f"| Dataset | n_train | Net | clean (%) | FGSM (%) | relative drop (%) | the study (mean of "
             f"{SEED_RUNS} runs at {SEED_N:,}, {cl.STUDY_TRIALS[cl.STUDY_N_LARGE]} at {cl.STUDY_N_LARGE:,}) |",
             "|---|---|---|---|---|---|---|"]
    for name in present(g):
        for n in sizes(g, name):
            for arch in archs(g):
                r = g[(name, arch, n)]
                seed = ""
                if n == table_n(g, name) and arch in SEED_FGSM.get(name, {}):
                    c, a = SEED_CLEAN[name][arch], SEED_FGSM[name][arch]
                    seed = f"{100 * c:.2f} -> {100 * a:.2f} ({100 * (1 - a / c):.1f}%) at {SEED_N:,}"
                if n == max(sizes(g, name)) and (name, arch) in SEED_10000:
                    c, a = SEED_10000[(name, arch)]
                    seed += ("; " if seed else "") + f"{100 * c:.2f} -> {100 * a:.2f} ({100 * (1 - a / c):.1f}%) at 10,000"
                lines.append(f"| {NAMES[name]} | {n:,} | {arch} | {mean_ci_text(clean_on_attacked(r))} | "
                             f"{mean_ci_text(at_seed_budget(r))} | {mean_ci_text(relative_drop(r))} | {seed} |")
    return "\n".join(lines)


def _eps_figure(g: dict, n: int) -> Figure:
    names = present(g)
    fig = Figure(figsize=(5.2 * len(names), 3.6))
    for k, name in enumerate(names):
        ax = fig.add_subplot(1, len(names), k + 1)
        if n not in sizes(g, name):
            ax.text(0.5, 0.5, f"not run on {NAMES[name]}\n(n_train {', '.join(map(str, sizes(g, name)))})",
                    ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            continue
        for arch in archs(g):
            r = g[(name, arch, n)]
            plot_mean_band(ax, list(r["cell"].eps), 100 * r["fgsm"].double().T, arch, color=COLORS[arch],
                           marker="o", markersize=3)
        ax.axvline(SEED_EPS[name], color="grey", linestyle=":", linewidth=1)
        ax.set_xlabel("FGSM budget ε (L∞, inputs in [-1, 1]); dotted: the study's")
        ax.set_ylabel("accuracy on attacked test images (%)")
        ax.set_ylim(0, 100)
        ax.set_title(f"{NAMES[name]}, {n:,} training images per class")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def eps_curve_items(g: dict) -> list[tuple[str, Figure]]:
    """For the n_train slider: accuracy against the FGSM budget at each training size."""
    every = sorted({n for (_, _, n) in g})
    return [(f"{n:,} per class", _eps_figure(g, n)) for n in every]


def sample_n(g: dict, dataset: str) -> int:
    """The training size of the attacked samples shown (the study's figures: its largest; ours)."""
    return max(sizes(g, dataset))


def _sample_figure(g: dict, k: int) -> Figure:
    names = present(g)
    nets = archs(g)
    some = g[(names[0], nets[0], sample_n(g, names[0]))]
    columns = len(some["samples"][k]["images"])
    fig = Figure(figsize=(1.25 * columns, 1.45 * len(nets) * len(names)))
    row = 0
    for name in names:
        n = sample_n(g, name)
        for arch in nets:
            r = g[(name, arch, n)]
            s = r["samples"][k]
            for j in range(columns):
                ax = fig.add_subplot(len(nets) * len(names), columns, row * columns + j + 1)
                image = (s["images"][j].float().permute(1, 2, 0).numpy() + 1) / 2
                ax.imshow(image.squeeze(-1) if image.shape[-1] == 1 else image.clip(0, 1),
                          cmap="gray" if image.shape[-1] == 1 else None, vmin=0, vmax=1)
                truth, guess = int(r["sample_labels"][j]), int(s["predictions"][0, j])
                ax.set_title(CLASSES[name][guess], fontsize=7, color="black" if guess == truth else "red", pad=2)
                ax.set_xticks([]), ax.set_yticks([])
                if j == 0:
                    ax.set_ylabel(f"{arch}\n{NAMES[name]}", fontsize=7)
            row += 1
    fig.suptitle(f"ε = {some['cell'].eps[k] / SEED_EPS[names[0]]:g} × the study's budget ("
                 + ", ".join(f"{NAMES[d]} {g[(d, nets[0], sample_n(g, d))]['cell'].eps[k]:g}" for d in names)
                 + "); titles: the first run's prediction, red when wrong", fontsize=9)
    fig.tight_layout()
    return fig


def sample_items(g: dict) -> list[tuple[str, Figure]]:
    """For the epsilon slider: the same test images attacked at each budget, per net (each image is
    attacked against the net shown; seed 0), with that net's prediction."""
    name = next(iter(g))[0]
    eps = next(iter(g.values()))["cell"].eps
    return [(f"{e / SEED_EPS[name]:g}× the study's ε", _sample_figure(g, k)) for k, e in enumerate(eps)]


# --- beyond the study: matched clean accuracy, and PGD --------------------------------------------------

def matched(g: dict, dataset: str) -> tuple[float, dict[str, torch.Tensor]] | None:
    """FGSM accuracy (the study's budget) of every net at one clean accuracy that every net reaches in every
    run: the highest such level (the top of the overlap of their ranges over n_train), read off each
    run's piecewise-linear curve of FGSM against clean accuracy. None when the ranges do not overlap."""
    nets, ns = archs(g), sizes(g, dataset)
    k = min(g[(dataset, a, n)]["cell"].seeds for a in nets for n in ns)  # the first k runs of every size
    curves = {a: (torch.stack([clean_on_attacked(g[(dataset, a, n)])[:k] for n in ns], 1),
                  torch.stack([at_seed_budget(g[(dataset, a, n)])[:k] for n in ns], 1)) for a in nets}  # (k, n)
    top = min(c.max(1).values.min().item() for c, _ in curves.values())
    bottom = max(c.min(1).values.max().item() for c, _ in curves.values())
    if len(ns) < 2 or top < bottom:
        return None
    out = {}
    for a, (clean, adv) in curves.items():
        values = []
        for c, v in zip(clean, adv):
            order = torch.argsort(c)
            values.append(float(np.interp(top, c[order].numpy(), v[order].numpy())))
        out[a] = torch.tensor(values, dtype=torch.float64)
    return top, out


def matched_table(g: dict) -> str:
    nets = archs(g)
    lines = ["| Dataset | matched clean accuracy (%) | " + " | ".join(f"{a} FGSM (%)" for a in nets)
             + " | LocalNet − WeightNet, matched | LocalNet − WeightNet at the largest n_train |",
             "|---|---|" + "---|" * (len(nets) + 2)]
    for name in present(g):
        m = matched(g, name)
        if m is None:
            lines.append(f"| {NAMES[name]} | no clean accuracy every net reaches in every run | " + " | " * (len(nets) + 1))
            continue
        level, values = m
        raw = _local_minus_weight(g, name, at_seed_budget)
        pair = paired(values["LocalNet"], values["WeightNet"]).points() if {"LocalNet", "WeightNet"} <= set(values) else ""
        lines.append(f"| {NAMES[name]} | {100 * level:.1f} | " + " | ".join(mean_ci_text(values[a]) for a in nets)
                     + f" | {pair} | {raw.points() if raw else ''} |")
    return "\n".join(lines)


def _local_minus_weight(g: dict, name: str, measure, n: int | None = None) -> Effect | None:
    if not {"LocalNet", "WeightNet"} <= set(archs(g)):
        return None
    n = n or max(sizes(g, name))
    return paired(measure(g[(name, "LocalNet", n)]), measure(g[(name, "WeightNet", n)]))


def pgd_table(g: dict) -> str:
    """FGSM and PGD at the study's budget on the same images, at our Table 2 size."""
    nets = archs(g)
    lines = ["| Dataset | n_train | attack | " + " | ".join(nets) + " | LocalNet − WeightNet |",
             "|---|---|---|" + "---|" * (len(nets) + 1)]
    for name in present(g):
        n = table_n(g, name)
        some = g[(name, nets[0], n)]
        for key, label in (("fgsm_on_pgd_images", "FGSM"), ("pgd", f"PGD, {some['cell'].pgd_steps} steps")):
            e = _local_minus_weight(g, name, lambda r: r[key].double(), n)
            lines.append(f"| {NAMES[name]} | {n:,} | {label} | " + " | ".join(mean_ci_text(g[(name, a, n)][key]) for a in nets)
                         + f" | {e.points() if e else ''} |")
    return "\n".join(lines)


def rank(g: dict, name: str, n: int, key: str) -> list[str]:
    return sorted(archs(g), key=lambda a: -g[(name, a, n)][key].double().mean().item())


# --- the scorecard: one measurement per registered claim, graded by the engine --------------------------

NOT_RUN = Effect(math.nan, math.nan, 0)


def _missing(claim_id: str, extra: dict | None = None) -> Measurement:
    """A claim our run cannot reach (its dataset, nets or sizes were not run): its in-run condition fails."""
    claim = next(c for c in cl.CLAIMS if c.id == claim_id)
    value = getattr(claim.study, "value", None)
    keys = list(value) if isinstance(value, dict) else [""]
    return Measurement({k: NOT_RUN for k in keys}, {cl.IN_RUN: 0.0, cl.RUNS: 0.0, **(extra or {})})


def runs_vs_study(g: dict) -> float:
    """Our runs over the study's at each size of the grid, the smallest (>= 1: the study's counts met)."""
    return min((r["cell"].seeds / Chapter(seeds=0).seeds_at(n) for (_, _, n), r in g.items()), default=0.0)


def _has(g: dict, dataset: str, nets, count: int = 1) -> bool:
    return len(sizes(g, dataset)) >= count and set(nets) <= set(archs(g))


def _clean(r: dict) -> torch.Tensor:
    return r["clean"].double()


def _abs(e: Effect) -> Effect:
    """|difference| with the difference's half-width: its interval lies below a margin M exactly when the
    difference's interval lies inside (-M, M) (the equivalence claims' quantity)."""
    return Effect(abs(e.mean), e.half, e.n)


def _size_text(g: dict, dataset: str) -> str:
    """Our size for the study's 1,000 per class, and why where it differs."""
    return _size_note(g, dataset).lstrip("; ") or f"ours at {table_n(g, dataset):,} per class"


def _vs(g, name, n, arch, others, measure=_clean):
    """`arch` minus each of `others` at size n, paired by seed."""
    return {o: paired(measure(g[(name, arch, n)]), measure(g[(name, o, n)])) for o in others}


def _two_largest(g: dict, dataset: str) -> tuple[int, int]:
    ns = sizes(g, dataset)
    return ns[-2], ns[-1]


def measurements(g: dict) -> dict[str, Measurement]:
    """What our runs measure for every testable claim of the registry."""
    out: dict[str, Measurement] = {}
    nets = archs(g)
    ok = {cl.IN_RUN: 1.0, cl.RUNS: runs_vs_study(g)}
    # MNIST accuracy
    if _has(g, "mnist", ARCHS):
        n = table_n(g, "mnist")
        diffs = _vs(g, "mnist", n, "ConvNet", cl.MNIST_OTHERS, _clean)
        out["image_nets.mnist-convnet-best"] = Measurement({f"vs {o}": e for o, e in diffs.items()}, ok,
                                                           _size_text(g, "mnist"))
    else:
        out["image_nets.mnist-convnet-best"] = _missing("image_nets.mnist-convnet-best")
    if _has(g, "mnist", cl.MNIST_OTHERS):
        n = table_n(g, "mnist")
        out["image_nets.mnist-others-comparable"] = Measurement(
            {f"{a} vs {b}": _abs(paired(_clean(g[("mnist", a, n)]), _clean(g[("mnist", b, n)])))
             for a, b in cl._pairs(cl.MNIST_OTHERS)}, ok, _size_text(g, "mnist"))
    else:
        out["image_nets.mnist-others-comparable"] = _missing("image_nets.mnist-others-comparable")
    # CIFAR-10 accuracy
    others = [a for a in ARCHS if a != "WeightNet"]
    if _has(g, "cifar10", ARCHS):
        n = table_n(g, "cifar10")
        diffs = _vs(g, "cifar10", n, "WeightNet", others, _clean)
        out["image_nets.cifar-weightnet-worst"] = Measurement({f"vs {o}": e for o, e in diffs.items()}, ok,
                                                              _size_text(g, "cifar10"))
    else:
        out["image_nets.cifar-weightnet-worst"] = _missing("image_nets.cifar-weightnet-worst")
    below = [n for n in sizes(g, "cifar10") if n < table_n(g, "cifar10")] if sizes(g, "cifar10") else []
    if _has(g, "cifar10", ARCHS) and below:
        out["image_nets.cifar-weightnet-worst-every-n"] = Measurement(
            {f"{n:,} vs {o}": e for n in below for o, e in _vs(g, "cifar10", n, "WeightNet", others, _clean).items()},
            ok)
    else:
        out["image_nets.cifar-weightnet-worst-every-n"] = _missing("image_nets.cifar-weightnet-worst-every-n")
    if _has(g, "cifar10", ("FCNet", *cl.FCNET_PEERS)):
        n = table_n(g, "cifar10")
        out["image_nets.cifar-fcnet-comparable"] = Measurement(
            {f"FCNet vs {o}": _abs(paired(_clean(g[("cifar10", "FCNet", n)]), _clean(g[("cifar10", o, n)])))
             for o in cl.FCNET_PEERS}, ok, _size_text(g, "cifar10"))
    else:
        out["image_nets.cifar-fcnet-comparable"] = _missing("image_nets.cifar-fcnet-comparable")
    # robustness (Table 2)
    lw = ("WeightNet", "LocalNet")  # the study's order in Table 2
    if _has(g, "cifar10", lw):
        out["image_nets.cifar-localnet-less-robust"] = Measurement(
            {"": _local_minus_weight(g, "cifar10", relative_drop, table_n(g, "cifar10"))}, ok, _size_text(g, "cifar10"))
    else:
        out["image_nets.cifar-localnet-less-robust"] = _missing("image_nets.cifar-localnet-less-robust")
    if _has(g, "mnist", lw):
        out["image_nets.mnist-robustness-same"] = Measurement(
            {"": _abs(_local_minus_weight(g, "mnist", relative_drop, table_n(g, "mnist")))}, ok, _size_text(g, "mnist"))
    else:
        out["image_nets.mnist-robustness-same"] = _missing("image_nets.mnist-robustness-same")
    for name, tag, grows in (("mnist", "mnist-robustness-grows", True), ("cifar10", "cifar-robustness-flat", False)):
        study_id = f"image_nets.{tag}-{'with' if grows else 'in'}-n"
        ours_id = f"image_nets.{tag}-below-1000"
        if not _has(g, name, lw, 2):
            largest = float(max(sizes(g, name))) if sizes(g, name) else 0.0
            out[study_id] = _missing(study_id, {cl.LARGEST: largest})
            out[ours_id] = _missing(ours_id)
            continue
        small, large = _two_largest(g, name)
        effects = {a: unpaired(relative_drop(g[(name, a, small)]), relative_drop(g[(name, a, large)])) for a in lw}
        if not grows:
            effects = {a: _abs(e) for a, e in effects.items()}
        note = f"ours: {small:,} -> {large:,} per class"
        out[study_id] = Measurement(effects, {**ok, cl.LARGEST: float(large)}, note)
        out[ours_id] = Measurement(effects, ok, note)
    for name in ("mnist", "cifar10"):
        claim_id = f"image_nets.not-very-robust-{'mnist' if name == 'mnist' else 'cifar'}"
        if _has(g, name, lw):
            n = table_n(g, name)
            out[claim_id] = Measurement({a: effect(relative_drop(g[(name, a, n)])) for a in lw}, ok, _size_text(g, name))
        else:
            out[claim_id] = _missing(claim_id)
        for arch in lw:
            claim_id = f"image_nets.fgsm-drop-{'mnist' if name == 'mnist' else 'cifar'}-{arch.lower()}"
            if _has(g, name, (arch,)):
                r = g[(name, arch, table_n(g, name))]
                e = paired(clean_on_attacked(r), at_seed_budget(r))
                out[claim_id] = Measurement({"": e}, ok, f"{mean_ci_text(clean_on_attacked(r))} -> "
                                            f"{mean_ci_text(at_seed_budget(r))}; {_size_text(g, name)}")
            else:
                out[claim_id] = _missing(claim_id)
    return out


def scorecard(g: dict) -> Scorecard:
    """Every registered claim of the study's image half, graded by the book's one engine."""
    return claims_scorecard(cl, measurements(g))

# --- the findings, in words ------------------------------------------------------------------------------

def findings(g: dict) -> str:
    """What the runs show, each sentence read off the numbers by the shared rule."""
    out, nets = [], archs(g)
    for name in present(g):
        n = table_n(g, name)
        order = rank(g, name, n, "clean")
        out.append(f"- **{NAMES[name]}, {n:,} per class:** by mean clean accuracy {' > '.join(order)} "
                   f"(the study: {' > '.join(sorted(nets, key=lambda a: -SEED_CLEAN[name][a]))}). "
                   f"By mean FGSM accuracy at ε {SEED_EPS[name]:g}: {' > '.join(sorted(nets, key=lambda a: -at_seed_budget(g[(name, a, n)]).mean().item()))}.")
        lw = _local_minus_weight(g, name, relative_drop, n)
        if lw is not None:
            out.append(f"  LocalNet's relative FGSM drop minus WeightNet's: {lw.points()}, "
                       f"{side(lw, 'LocalNet loses more', 'WeightNet loses more')}.")
        m = matched(g, name)
        if m is not None and {"LocalNet", "WeightNet"} <= set(m[1]):
            e = paired(m[1]["LocalNet"], m[1]["WeightNet"])
            out.append(f"  At a clean accuracy both reach ({100 * m[0]:.1f}%), LocalNet's FGSM accuracy minus WeightNet's is "
                       f"{e.points()}: {side(e, 'LocalNet more robust', 'LocalNet less robust')} at matched clean accuracy.")
        if {"LocalNet", "WeightNet"} <= set(nets):
            e_f = _local_minus_weight(g, name, lambda r: r["fgsm_on_pgd_images"].double(), n)
            e_p = _local_minus_weight(g, name, lambda r: r["pgd"].double(), n)
            same = side(e_f, "+", "-") == side(e_p, "+", "-")
            stronger = {a: paired(g[(name, a, n)]["fgsm_on_pgd_images"].double(), g[(name, a, n)]["pgd"].double())
                        for a in nets}
            out.append("  PGD's extra drop over FGSM (FGSM minus PGD accuracy, same images): "
                       + ", ".join(f"{a} {e.points()}" for a, e in stronger.items()) + ".")
            out.append(f"  Under PGD LocalNet minus WeightNet is {e_p.points()} (FGSM on the same images {e_f.points()}): "
                       f"{'the same reading' if same else 'a different reading'} by the shared rule; "
                       f"PGD order {' > '.join(rank(g, name, n, 'pgd'))}.")
    return "\n".join(out)


# --- the protocol check and the study's WeightNet ----------------------------------------------

def _steps(r: dict) -> int:
    return r["epochs"] * math.ceil(r["train_size"] / r["batch"])


def batch_check_table(g: dict, check: list[dict]) -> str:
    """The grid's runs against the same sizes at the study's batch and learning rate, on the same
    seeds (training subsets and initial weights): training and test accuracy, and the paired
    difference in test accuracy."""
    if not check:
        return ""
    lines = ["| dataset | n_train | net | ours: batch, lr, steps | study's: batch, lr, steps | training acc. ours / "
             "study's | test acc. ours / study's | ours − study's (test) |", "|---|---:|---|---|---|---|---|---|"]
    for r in sorted(check, key=lambda r: (list(NAMES).index(r["cell"].dataset), r["cell"].n_train,
                                          ARCHS.index(r["cell"].arch))):
        c = r["cell"]
        ours = g.get((c.dataset, c.arch, c.n_train))
        if ours is None:
            continue
        k = c.seeds
        diff = paired(ours["clean"][:k].double(), r["clean"].double())
        lines.append(f"| {NAMES[c.dataset]} | {c.n_train:,} | {c.arch} | {ours['batch']}, {ours['lr']:g}, {_steps(ours):,} | "
                     f"{r['batch']}, {r['lr']:g}, {_steps(r):,} | {mean_ci_text(ours['train_acc'][:k])} / "
                     f"{mean_ci_text(r['train_acc'])} | {mean_ci_text(ours['clean'][:k])} / {mean_ci_text(r['clean'])} | "
                     f"{diff.points()} |")
    return (f"Accuracies in percent, mean ± 95% interval over the {check[0]['cell'].seeds} runs of each check (the grid's "
            "first runs: the same training subsets and initial weights); training accuracy on each run's own training "
            "subset:\n\n" + "\n".join(lines))


def batch_check_findings(g: dict, check: list[dict]) -> str:
    """What the check shows, counted from its table."""
    pairs = [(g[(r["cell"].dataset, r["cell"].arch, r["cell"].n_train)], r) for r in check
             if (r["cell"].dataset, r["cell"].arch, r["cell"].n_train) in g]
    if not pairs:
        return ""
    diffs = [paired(o["clean"][:r["cell"].seeds].double(), r["clean"].double()) for o, r in pairs]
    worse = sum(d.has_interval and d.mean + d.half < 0 for d in diffs)
    better = sum(d.has_interval and d.mean - d.half > 0 for d in diffs)
    train_gap = [(o["train_acc"][:r["cell"].seeds].double().mean() - r["train_acc"].double().mean()).item()
                 for o, r in pairs]
    lowest = min(range(len(pairs)), key=lambda i: train_gap[i])
    c = pairs[lowest][1]["cell"]
    sizes_checked = sorted({r["cell"].n_train for _, r in pairs})
    return (f"Of the {len(pairs)} nets and sizes checked ({', '.join(f'{n:,}' for n in sizes_checked)} per class), "
            f"the grid's protocol has a test accuracy whose 95% interval lies below the study's protocol in {worse}, "
            f"above it in {better}, and includes no difference in {len(pairs) - worse - better}. Mean training "
            f"accuracy, ours minus the study's protocol, ranges from {100 * min(train_gap):+.1f} points "
            f"({NAMES[c.dataset]} {c.arch} at {c.n_train:,} per class) to {100 * max(train_gap):+.1f}.")


def bug_table(g: dict, bug: list[dict]) -> str:
    """The study's WeightNet (latents 13x13 and 5x5, 400 into the dense layers) against the book's
    (the ConvNet's latents), on the same training subsets."""
    rows = []
    for r in bug:
        c = r["cell"]
        ours = g.get((c.dataset, "WeightNet", c.n_train))
        if ours is None:
            continue
        rows.append(f"| {NAMES[c.dataset]} | {c.n_train:,} | {c.seeds} | {mean_ci_text(r['clean'])} | "
                    f"{mean_ci_text(ours['clean'])} | {paired(r['clean'].double(), ours['clean'].double()).points()} | "
                    f"{mean_ci_text(100 * relative_drop(r), scale=1)} | {mean_ci_text(100 * relative_drop(ours), scale=1)} |")
    if not rows:
        return ""
    return ("The study's WeightNet, its latent mismatch included, against the nets of record's WeightNet (percent, "
            "mean ± 95% interval over runs; the same training subsets; the difference paired by run):\n\n"
            "| dataset | n_train | runs | the study's WeightNet: test acc. | ours | study's − ours | relative FGSM "
            "drop, study's | ours |\n|---|---:|---:|---|---|---|---|---|\n" + "\n".join(rows))


def training_table(g: dict) -> str:
    """Mean training accuracy (each run on its own training subset) per dataset, size and net."""
    nets = archs(g)
    lines = ["| Dataset | n_train per class | batch, lr, SGD steps | " + " | ".join(nets) + " |",
             "|---|---:|---|" + "---|" * len(nets)]
    for name in present(g):
        for n in sizes(g, name):
            some = g[(name, nets[0], n)]
            lines.append(f"| {NAMES[name]} | {n:,} | {some['batch']}, {some['lr']:g}, {_steps(some):,} | "
                         + " | ".join(mean_ci_text(g[(name, a, n)]["train_acc"]) for a in nets) + " |")
    return ("Training accuracy in percent (mean ± 95% interval over runs), each run on its own training subset at "
            "the end of training:\n\n" + "\n".join(lines))


# --- the "What we found" box --------------------------------------------------------------------

def _verdict(card: Scorecard, slug: str) -> str:
    """The verdict of the registered claim `<chapter>.<slug>`, bold ('' when not in the card)."""
    return card.verdict_md(f"{cl.CHAPTER}.{slug}")


def key_findings(g: dict, check: list[dict], card: Scorecard) -> str:
    """Two to four bullets for the top of the chapter, every number from the runs and every verdict
    from the engine."""
    bullets = []
    if _has(g, "mnist", ARCHS):
        n = table_n(g, "mnist")
        acc = ", ".join(f"{a} {mean_ci_text(g[('mnist', a, n)]['clean'])}" for a in ARCHS)
        bullets.append(f"**MNIST at {n:,} per class** ({g[('mnist', 'ConvNet', n)]['cell'].seeds} runs; test accuracy "
                       f"in percent, mean ± 95% interval): {acc}. ConvNet best: {_verdict(card, 'mnist-convnet-best')}; "
                       f"the other three comparable: {_verdict(card, 'mnist-others-comparable')}.")
    if _has(g, "cifar10", ARCHS):
        n = table_n(g, "cifar10")
        acc = ", ".join(f"{a} {mean_ci_text(g[('cifar10', a, n)]['clean'])}" for a in ARCHS)
        drops = {a: relative_drop(g[("cifar10", a, n)]) for a in ("LocalNet", "WeightNet")}
        bullets.append(f"**CIFAR-10 at {n:,} per class** ({g[('cifar10', 'ConvNet', n)]['cell'].seeds} runs): {acc}. "
                       f"WeightNet worst: {_verdict(card, 'cifar-weightnet-worst')}. FGSM takes "
                       f"{mean_ci_text(drops['LocalNet'])}% of LocalNet's clean accuracy and "
                       f"{mean_ci_text(drops['WeightNet'])}% of WeightNet's: LocalNet less robust "
                       f"{_verdict(card, 'cifar-localnet-less-robust')}.")
    text = batch_check_findings(g, check)
    if text:
        bullets.append("**The protocol check** (the study's batch and learning rate against ours on the same runs): "
                       + text)
    return "\n".join(f"- {b}" for b in bullets)


def scale_line(g: dict, results: list[dict], where: str) -> str:
    """One line of scale: data, training, runs, hardware and time."""
    parts = []
    for name in present(g):
        ns = sizes(g, name)
        parts.append(f"{NAMES[name]} {ns[0]:,} to {ns[-1]:,} training images per class")
    runs = sum(r["cell"].seeds for r in results)
    minutes = sum(r["seconds"] for r in results) / 60
    return (f"{'; '.join(parts)}; {len(results)} cells, {runs} training runs in all; {minutes:.0f} minutes of "
            f"training and attacks summed over the cells on {where}.")


def gpu_command() -> str:
    """The command that runs the study's protocol at its sizes on a GPU, with this machine's MNIST
    class sizes read off the data (its whole training set is the study's '10,000 per class')."""
    train, test = per_class_available("mnist", True), per_class_available("mnist", False)
    return (f"Closer to the study, on a GPU: its batches and learning rate (`batch_scale` 1), MNIST up to its whole "
            f"training set (the study's 10,000 and 30,000 per class were its whole set: its balanced-subset helper "
            f"stops at what a class has; MNIST's smallest class has {train:,} training images), every test image of "
            f"the smallest class attacked: `papermill notebooks/image_nets.ipynb out.ipynb -y \"datasets: [mnist]\" "
            f"-y \"mnist_n_train: [10, 30, 100, 300, 1000, 3000, {train}]\" -p batch_scale 1 -p attack_per_class "
            f"{test} -p device cuda`, and the same for CIFAR-10 with the full dataset installed "
            f"(`-y \"datasets: [cifar10]\"`, `cifar10_n_train` up to 5,000).")
