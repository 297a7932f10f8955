"""Tables, figures, the measurements the registry's claims are graded on (`claims.py`), and the
findings of the weight-divergence chapter."""
from __future__ import annotations

import dataclasses
import itertools
import math

import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from nblib.claims import Measurement, Scorecard
from nblib.claims import scorecard as claims_scorecard
from nblib.effects import Effect, effect, paired, side
from nblib.palette import COLORS, style
from nblib.stats import mean_ci_text, plot_mean_band

from . import claims as cl
from .experiment import LEAK_PROBE, PROBE, SIDES, Chapter, matched_distance

SEED = {"cnn_epochs": 100, "patience": "100 (CIFAR-10) / 50 (MNIST)", "after": "to a validation plateau",
        "lr": "Adam 1e-4 (CIFAR-10) / 1e-3 (MNIST)"}  # the study's protocol, for the setting sentence
SEED_COSINE = cl.STUDY_COSINE  # the study's ring distances at the end of its sigma 0.5 run ("about 0.7")
OTT = cl.OTT  # CIFAR-10 validation, median of 5 folds: no augmentation, and each net's best translation
LAYER = "l1"  # distances are read on the first layer, where every ring fits
NOT_RUN = Effect(math.nan, math.nan, 0)  # a setting this run does not have (its "runs" condition fails)


def groups(results: list[dict]) -> dict[tuple[str, float, int, str], list[dict]]:
    """Runs grouped by (dataset, sigma, shift, init), each list in seed order (runs pair by seed)."""
    out: dict[tuple, list[dict]] = {}
    for r in results:
        run = r["run"]
        out.setdefault((run.dataset, run.sigma, run.shift, run.init), []).append(r)
    for runs in out.values():
        runs.sort(key=lambda r: r["run"].seed)
    return out


def _stack(runs: list[dict], branch: str, name: str) -> torch.Tensor:
    return torch.stack([torch.as_tensor(r[branch][name]) for r in runs]).double()


def final(runs: list[dict], branch: str, name: str = "test_acc") -> torch.Tensor:
    """(seeds,) of a branch's final value: test_acc, or the last epoch of a curve."""
    values = [r[branch][name] for r in runs]
    return torch.tensor([v[-1].item() if torch.is_tensor(v) and v.ndim else float(v) for v in values]).double()


def free_minus_cnn(runs: list[dict]) -> torch.Tensor:
    """(seeds,) of the free net's final test accuracy minus the CNN continued's."""
    return final(runs, "free") - final(runs, "cnn_after")


def curves(runs: list[dict], kind: str = "cosine", ring: int = 1) -> list[torch.Tensor]:
    """Per seed, the free net's first-layer filter distance after every epoch (lengths differ
    between seeds where the run stopped early: the free net from a random initialisation)."""
    return [r["free"]["distances"][f"{LAYER} {kind} r{ring}"].double() for r in runs]


def distance(runs: list[dict], kind: str = "cosine", ring: int = 1) -> torch.Tensor:
    """(seeds, epochs) of the free net's first-layer filter distance, for runs of equal length."""
    return torch.stack(curves(runs, kind, ring))


# --- the leak ----------------------------------------------------------------------------------

def _demos(demos: list[dict], dataset: str) -> list[dict]:
    return sorted((d for d in demos if d["demo"].dataset == dataset), key=lambda d: d["demo"].seed)


def _leak_curve(runs: list[dict], split: str, name: str) -> torch.Tensor:
    """(seeds, epochs) of one validation accuracy of the leak demonstration."""
    return torch.stack([d[split][name] for d in runs]).double()


LEAK_CURVES = (("plain copied", "'validation' images with a copy in training", 1),
               ("plain unseen", "'validation' images without a copy", 0),
               ("val_acc", "all 'validation' images (the study's number)", 3),
               ("train_acc", f"training images (the first {LEAK_PROBE:,})", 2))


def unseen_classes(demo: dict) -> tuple[int, int]:
    """For one leak demonstration: how many 'validation' images have no copy in training, and how many
    classes they cover."""
    leaky = demo["leaky"]
    return leaky["val_size"] - leaky["copied"], len(leaky["unseen_classes"])


def _last(runs: list[dict], name: str) -> torch.Tensor:
    """(seeds,) of one leak curve after the last epoch."""
    return torch.stack([d["leaky"][name][-1] for d in runs]).double()


def _leak_epoch_counts(runs: list[dict]) -> tuple[str, bool]:
    """('12', False) or ('9 and 14', True): the distinct numbers of epochs the shuffles' nets trained on the
    leaky split (each stops once it has memorised its training images, or at the cap), and whether to say 'epochs'."""
    n = sorted({len(d["leaky"]["train_acc"]) for d in runs})
    return (str(n[0]) if len(n) == 1 else ", ".join(map(str, n[:-1])) + f" and {n[-1]}"), n != [1]


def leak_epochs(runs: list[dict]) -> str:
    """'12 epochs', or '9 and 14 epochs': how long each shuffle's net trained on the leaky split."""
    text, plural = _leak_epoch_counts(runs)
    return f"{text} epoch{'s' * plural}"


def leak_table(demos: list[dict]) -> str:
    """Markdown: per dataset, the leaky split's duplicates, and after the last epoch the accuracy on the
    training images, on the 'validation' images with a copy in training and without, and on all of them
    (the study's number), plain (the shares weight them as in the study's number)."""
    lines = ["| data | merged images | distinct | 'validation' with a copy in training | epochs trained | training (%) "
             "| with a copy (%) | without (%) | all 'validation' (%) |", "|---" * 9 + "|"]
    for name in sorted({d["demo"].dataset for d in demos}):
        runs = _demos(demos, name)
        distinct = torch.tensor([d["stats"]["distinct"] for d in runs]).double()
        shared = torch.tensor([d["stats"]["val_in_train"] for d in runs]).double()
        cells = " | ".join(mean_ci_text(_last(runs, k)) for k in ("train_acc", "plain copied", "plain unseen", "val_acc"))
        lines.append(f"| {name} | {runs[0]['stats']['images']:,} | {mean_ci_text(distinct, 1, 0)} | "
                     f"{mean_ci_text(shared)}% | {_leak_epoch_counts(runs)[0]} | {cells} |")
    return "\n".join(lines)


def leak_decomposition(demos: list[dict], dataset: str = "cifar10") -> str:
    """One sentence: the study's 95.8% against share copied x accuracy on copied + share unseen x accuracy
    on unseen, with our memorised net's accuracies, and the unseen accuracy the study's number implies."""
    runs = _demos(demos, dataset)
    if not runs:
        return ""
    share = sum(d["stats"]["val_in_train"] for d in runs) / len(runs)
    copied, unseen = _last(runs, "plain copied").mean().item(), _last(runs, "plain unseen").mean().item()
    study = cl.STUDY_ACC["exp1"]["cnn"]
    implied = (study - share * copied) / (1 - share)
    head = (f"On {dataset}, {100 * share:.1f}% of the study's 'validation' images have a copy in training. After "
            f"{leak_epochs(runs)} our net classifies {100 * copied:.1f}% of those and "
            f"{100 * unseen:.1f}% of the others (means over {len(runs)} shuffles), so its 'validation' accuracy is "
            f"{share:.3f} × {100 * copied:.1f}% + {1 - share:.3f} × {100 * unseen:.1f}% = "
            f"{100 * (share * copied + (1 - share) * unseen):.1f}%. ")
    if dataset != "cifar10":  # the study's 95.8% and Ott's 67.1% are CIFAR-10 numbers
        return head.rstrip()
    if implied > 1:
        return head + (f"With copies classified as ours are, the study's {100 * study:.1f}% is out of reach even with "
                       "every unseen image right: its net knew its training images better than ours does.")
    return head + (f"With copies classified as ours are, the study's {100 * study:.1f}% needs {100 * implied:.1f}% on "
                   "the images it had never seen"
                   + (f", within Ott's {100 * cl.OTT['cnn']:.1f}% for this net on a clean split" if implied <= cl.OTT["cnn"]
                      else f", more than Ott's {100 * cl.OTT['cnn']:.1f}% for this net on a clean split") + ".")


def leak_effect(demos: list[dict], dataset: str, epoch: int = -1) -> Effect:
    """On the study's split, balanced accuracy on the 'validation' images with a copy in training (within
    the classes the images without one cover) minus on those without, after `epoch` (index), paired by seed."""
    runs = _demos(demos, dataset)
    pick = lambda name: torch.stack([d["leaky"][name][epoch] for d in runs]).double()
    return paired(pick("balanced copied covered"), pick("balanced unseen"))


def leak_figure(demos: list[dict]) -> Figure:
    """Accuracy per epoch on the study's split: training images, 'validation' images with and without a
    copy in training, and all of them, one line per shuffle (each net stops once it has memorised its
    training images, so the shuffles' lines can end at different epochs), one panel per dataset."""
    names = sorted({d["demo"].dataset for d in demos})
    fig = Figure(figsize=(5.5 * len(names), 3.6))
    for ax, name in zip(fig.subplots(1, len(names), squeeze=False)[0], names):
        runs = _demos(demos, name)
        for part, label, i in LEAK_CURVES:
            for j, d in enumerate(runs):
                acc = d["leaky"][part].double()
                ax.plot(torch.arange(1, len(acc) + 1), 100 * acc, label=label if j == 0 else None,
                        alpha=1.0 if j == 0 else 0.5, ms=4, **style(i, markers=True))
        if name == "cifar10":  # the study's number is a CIFAR-10 number
            ax.axhline(100 * cl.STUDY_ACC["exp1"]["cnn"], color=COLORS[5], linestyle=":",
                       label=f"the study's {100 * cl.STUDY_ACC['exp1']['cnn']:.1f}%")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, 100)
        ax.set(title=name, xlabel="epoch", ylabel="accuracy on the study's split (%)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# --- figures -------------------------------------------------------------------------------------


def curves_figure(runs: list[dict]) -> Figure:
    """Training and validation loss and accuracy: the CNN up to its plateau (each seed, epochs
    counted back from the switch), then the free net and the CNN continued (mean and 95% band)."""
    fig = Figure(figsize=(10, 6.4))
    axes = fig.subplots(2, 2).flatten()
    panels = (("train_clean_loss", f"training loss (clean, up to {PROBE:,} images)", 1),
              ("val_loss", "validation loss", 1),
              ("train_clean_acc", "training accuracy (%)", 100), ("val_acc", "validation accuracy (%)", 100))
    for ax, (name, title, scale) in zip(axes, panels):
        for i, r in enumerate(runs):
            before = scale * r["cnn"][name]
            ax.plot(torch.arange(-len(before) + 1, 1), before, color="black", alpha=0.4, linewidth=1,
                    label="CNN to its plateau" if i == 0 else None)
        after = torch.arange(1, len(runs[0]["free"][name]) + 1)
        plot_mean_band(ax, after, scale * _stack(runs, "free", name), "free net", **style(1))
        plot_mean_band(ax, after, scale * _stack(runs, "cnn_after", name), "CNN continued", color="black",
                       linestyle="--")
        ax.axvline(0, color="gray", linestyle=":")
        ax.set(xlabel="epochs after the switch", ylabel=title)
    axes[1].legend(fontsize=8)
    run = runs[0]["run"]
    fig.suptitle(f"{run.dataset}, noise sigma = {run.sigma:g}, shift = {run.shift}")
    fig.tight_layout()
    return fig


def _drift(runs: list[dict], branch: str, name: str = "drift cosine") -> torch.Tensor:
    """(seeds, epochs) of a branch's drift from the first-layer kernel at the switch."""
    return torch.stack([r[branch]["drift"][name].double() for r in runs])


def distance_figure(freed: list[dict], scratch: list[dict] | None) -> Figure:
    """Euclidean and cosine distance between neighbouring filters (ring 1 and 4, first layer) over the
    epochs after the switch, ours and the study's definitions; for a free net trained from a random
    initialisation; and the yardstick: how far the CNN continued's one kernel moves from the switch."""
    fig = Figure(figsize=(15, 3.8))
    axes = fig.subplots(1, 3)
    x = torch.arange(1, len(freed[0]["free"]["val_loss"]) + 1)
    for ax, kind in zip(axes, ("euclid", "cosine", "study-cosine")):
        for ring, line in ((1, "-"), (4, "--")):
            if f"{LAYER} {kind} r{ring}" not in freed[0]["free"]["distances"]:
                continue
            plot_mean_band(ax, x, distance(freed, kind, ring), f"freed CNN, ring {ring}", color=COLORS[1],
                           linestyle=line)
            for i, c in enumerate(curves(scratch or [], kind, ring)):  # each seed: they stop at their plateau
                ax.plot(torch.arange(1, len(c) + 1), c, color=COLORS[4], linestyle=line, linewidth=1,
                        label=f"free from random init, ring {ring} (each seed)" if i == 0 else None)
        if kind != "euclid" and "drift" in freed[0]["cnn_after"]:
            name = "drift cosine" if kind == "cosine" else "drift study-cosine"
            plot_mean_band(ax, x, _drift(freed, "cnn_after", name), "CNN continued: its kernel against the switch",
                           color="black", linestyle=":")
        title = {"euclid": "Euclidean distance (ours)", "cosine": "cosine distance (ours: per output channel)",
                 "study-cosine": "cosine distance (the study's: whole block)"}[kind]
        ax.set(xlabel="epochs after the switch (from the start for random init)", ylabel=title, yscale="log")
        ax.legend(fontsize=7)
    run = freed[0]["run"]
    fig.suptitle(f"{run.dataset}, noise sigma = {run.sigma:g}: first-layer filters at neighbouring positions")
    fig.tight_layout()
    return fig


# --- tables ------------------------------------------------------------------------------------

def accuracy_table(g: dict) -> str:
    """Markdown: epochs the CNN trained before the switch; class-balanced test accuracy of the CNN at
    the switch and, at the end, of the CNN continued, of the free net and of the free net from a
    random initialisation (trained to its own plateau)."""
    lines = ["| data | sigma | shift | CNN epochs before the switch | CNN at the switch (%) | CNN continued (%) "
             "| free net (%) | free − CNN continued (points) | free from random init (%) |", "|---" * 9 + "|"]
    for (name, sigma, shift, init), runs in sorted(g.items()):
        if init != "cnn":
            continue
        scratch = g.get((name, sigma, shift, "random"))
        epochs = torch.tensor([r["switch_epoch"] for r in runs]).double()
        lines.append(f"| {name} | {sigma:g} | {shift} | {mean_ci_text(epochs, 1, 1)} | {mean_ci_text(final(runs, 'cnn'))} "
                     f"| {mean_ci_text(final(runs, 'cnn_after'))} "
                     f"| {mean_ci_text(final(runs, 'free'))} | {effect(free_minus_cnn(runs)).points()} "
                     f"| {mean_ci_text(final(scratch, 'free')) if scratch else '—'} |")
    return "\n".join(lines)


def independent_distance(runs: list[dict]) -> torch.Tensor:
    """Cosine distance between the first-layer filters of two CNNs trained apart (different seeds),
    channels matched greedily, for every pair of seeds' switch kernels (empty without two seeds)."""
    return torch.tensor([matched_distance(a["switch_kernel"], b["switch_kernel"])
                         for a, b in itertools.combinations(runs, 2)], dtype=torch.float64)


def _apart_text(runs: list[dict]) -> str:
    pairs = independent_distance(runs)
    return f"{pairs.mean().item():.3f} ({len(pairs)} pairs)" if len(pairs) else "—"


def divergence_table(g: dict) -> str:
    """Markdown: per dataset and noise level, the freed first-layer filters' final ring-1 distance, ours and
    the study's definitions, and what the last tenth of the epochs after the switch added to it."""
    lines = ["| data | sigma | epochs after the switch | cosine, ours (×1000) | cosine, the study's (×1000) "
             "| Euclidean, the study's (×1000) | last tenth added (%) |", "|---" * 7 + "|"]
    for (name, sigma, shift, init), runs in sorted(g.items()):
        if init != "cnn" or shift:
            continue
        end = lambda kind: torch.stack([c[-1] for c in curves(runs, kind, 1)])
        grew = torch.tensor([growth(c) for c in curves(runs)], dtype=torch.float64)
        lines.append(f"| {name} | {sigma:g} | {_free_epochs(runs)} | {mean_ci_text(end('cosine'), 1000, 2)} "
                     f"| {mean_ci_text(end('study-cosine'), 1000, 2)} | {mean_ci_text(end('study-euclid'), 1000, 2)} "
                     f"| {mean_ci_text(grew, 100, 1)} |")
    return "\n".join(lines)


def yardstick_table(g: dict) -> str:
    """Markdown: per dataset and noise level, the freed filters' final ring-1 cosine distance beside the
    yardsticks: the CNN continued's drift from its own kernel at the switch over the same epochs, the free
    net's drift from it, two CNNs trained apart (matched channels), and a free net trained from a random
    initialisation (all cosine distances, ours: per output channel)."""
    lines = ["| data | sigma | freed: neighbours apart (×1000) | CNN continued: drift (×1000) "
             "| free net: drift (×1000) | two CNNs trained apart | free from random init: neighbours apart |",
             "|---" * 7 + "|"]
    for (name, sigma, shift, init), runs in sorted(g.items()):
        if init != "cnn" or shift:
            continue
        scratch = g.get((name, 0.0, 0, "random"), [])
        apart = mean_ci_text(torch.stack([c[-1] for c in curves(scratch)]), 1, 3) if scratch else "—"
        lines.append(f"| {name} | {sigma:g} | {mean_ci_text(_end_distance(runs), 1000, 2)} "
                     f"| {mean_ci_text(_drift(runs, 'cnn_after')[:, -1], 1000, 2)} "
                     f"| {mean_ci_text(_drift(runs, 'free')[:, -1], 1000, 2)} | {_apart_text(runs)} | {apart} |")
    return "\n".join(lines)


def robustness_table(g: dict, kind: str = "") -> str:
    """Markdown: accuracy under FGSM and Gaussian noise (only the attacks whose name starts with `kind`),
    free net minus CNN continued (paired)."""
    keys = sorted(k for k in next(iter(g.values()))[0]["free"]["robustness"] if k.startswith(kind))
    lines = ["| data | sigma | shift | " + " | ".join(f"{k}: CNN / free (%) | free − CNN" for k in keys) + " |",
             "|---" * (3 + 2 * len(keys)) + "|"]
    for (name, sigma, shift, init), runs in sorted(g.items()):
        if init != "cnn":
            continue
        cells = []
        for k in keys:
            cnn, free = (torch.tensor([r[b]["robustness"][k] for r in runs]).double() for b in ("cnn_after", "free"))
            cells.append(f"{mean_ci_text(cnn)} / {mean_ci_text(free)} | {paired(free, cnn).points()}")
        lines.append(f"| {name} | {sigma:g} | {shift} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- the measurements the registry's claims are graded on ----------------------------------------------

def _gap(runs: list[dict], branch: str) -> torch.Tensor:
    """Final validation loss minus final clean training loss (overfitting, in loss)."""
    return final(runs, branch, "val_loss") - final(runs, branch, "train_clean_loss")


def _plain(g: dict, dataset: str, sigma: float) -> list[dict]:
    """The freed-CNN runs of one dataset and noise level without shifts (in seed order; [] if not run)."""
    return g.get((dataset, sigma, 0, "cnn"), [])


def _pairs(a: list[dict], b: list[dict]) -> tuple[list[dict], list[dict]]:
    """The runs of two settings that share a seed, in seed order (runs pair by seed)."""
    seeds = sorted({r["run"].seed for r in a} & {r["run"].seed for r in b})
    pick = lambda runs: [next(r for r in runs if r["run"].seed == s) for s in seeds]
    return pick(a), pick(b)


def _stopped(runs: list[dict]) -> float:
    """The share of runs whose CNN stopped on its validation plateau before the epoch cap (nan: no runs)."""
    return sum(r["switch_epoch"] < r["run"].cnn_epochs for r in runs) / len(runs) if runs else math.nan


def _free_epochs(runs: list[dict]) -> float:
    """The fewest epochs any free net of `runs` trained after the switch (nan: no runs)."""
    return min(len(r["free"]["val_loss"]) for r in runs) if runs else math.nan


def growth(curve: torch.Tensor) -> float:
    """What the last tenth of the epochs (at least one) added to a distance, as a share of its final value
    (the distance is 0 at the switch): near 0 on a plateau, 0.1 for a distance still growing linearly."""
    k = max(1, round(len(curve) / 10))
    before = curve[-1 - k].item() if len(curve) > k else 0.0
    return (curve[-1].item() - before) / curve[-1].item() if curve[-1].item() > 0 else math.nan


def growth_exponent(curve: torch.Tensor) -> float:
    """The slope of log distance against log epoch over the second half of a free phase (least squares): a
    distance growing like epochs ** a has exponent a (0 on a plateau, 1 growing linearly)."""
    n = len(curve)
    t = torch.arange(1, n + 1, dtype=torch.float64)[n // 2:].log()
    d = curve.double()[n // 2:].clamp_min(1e-12).log()
    return (((t - t.mean()) * (d - d.mean())).sum() / ((t - t.mean()) ** 2).sum()).item()


STUDY_STEPS_PER_EPOCH = math.ceil(0.8 * 60_000 / 128)  # the study's leaky split: 80% of CIFAR-10's 60,000, batch 128


def projection(runs: list[dict], target: float = cl.STUDY_COSINE) -> str:
    """A projection, not a measurement: the epochs and steps after which the free nets' ring-1 cosine distance
    would reach `target` if it kept growing as in the second half of their free phase, against the study's
    steps ('' when the distance is not growing)."""
    ends, exps = _end_distance(runs), torch.tensor([growth_exponent(c) for c in curves(runs)])
    if exps.mean() <= 0.05 or ends.mean() >= target:
        return ""
    epochs = _free_epochs(runs)
    needed = epochs * (target / ends.mean().item()) ** (1 / exps.mean().item())
    per_epoch = math.ceil(runs[0]["sizes"]["train"] / runs[0]["run"].optimizer_settings()[1])
    return (f"If it kept growing as over the second half of its {epochs} epochs (as epochs to the power "
            f"{mean_ci_text(exps, 1, 2)}, 95% interval over seeds), it would reach the study's {target:g} after about "
            f"{needed:,.0f} epochs of this setting ({needed * per_epoch:,.0f} steps of {runs[0]['run'].optimizer_settings()[1]} "
            f"images, {needed / epochs:,.0f} times this run's); the study's {cl.STUDY_FREE_EPOCHS['exp2']} epochs on its "
            f"split were about {cl.STUDY_FREE_EPOCHS['exp2'] * STUDY_STEPS_PER_EPOCH:,} steps. A projection, not a "
            "measurement: the claim stays 'not tested here' until a run reaches a plateau.")


def largest_drop(curve: torch.Tensor) -> float:
    """The largest fall of a distance from one epoch to the next, as a share of its value before the fall
    (negative when it rose every epoch; -1 after a single epoch: it rose from 0 by all of its value)."""
    if len(curve) < 2:
        return -1.0
    before, after = curve[:-1].double(), curve[1:].double()
    return ((before - after) / before).max().item()


def _seeds(values: list[float]) -> Effect:
    return effect(torch.tensor(values, dtype=torch.float64)) if values else NOT_RUN


def _over_sigmas(g: dict, dataset: str, sigmas, measure) -> tuple[dict, dict]:
    """Per noise level: measure(runs) -> Effect, and the 'runs' and 'cnn plateau' checks."""
    effects, runs, stopped = {}, {}, {}
    for sigma in sigmas:
        found, key = _plain(g, dataset, sigma), cl.setting(sigma)
        effects[key] = measure(found) if found else NOT_RUN
        runs[key], stopped[key] = len(found), _stopped(found)
    return effects, {cl.RUNS.name: runs, cl.CNN_PLATEAU.name: stopped}


def _longer(epochs: float, needed: int) -> str:
    """What would make a claim about the end of the divergence testable, where this run is shorter."""
    if math.isfinite(epochs) and epochs >= needed:
        return ""
    return (f"the study's free nets trained to a validation plateau ({cl.STUDY_FREE_EPOCHS['exp0']}-"
            f"{cl.STUDY_FREE_EPOCHS['exp2']} epochs); testing it takes a GPU run such as `papermill "
            "notebooks/weight_divergence.ipynb out.ipynb -y \"datasets: [cifar10]\" -p cnn_epochs 100 -p after_epochs "
            "500 -p patience 100 -p lr 0 -p train_per_class 0 -p device cuda` (GPU-hours, not measured here: 9 runs of "
            "up to 100 CNN epochs and 2 x 500 after the switch)")


def divergence_measurements(g: dict, dataset: str = "cifar10") -> dict[str, Measurement]:
    """The divergence claims: its size at sigma 0.5 (against 0.7, and against filters learnt apart), noise
    against none, Exp 0's plateau and Exp 1's non-decreasing curves."""
    out, suffix = {}, "" if dataset == "cifar10" else f"-{dataset}"
    noisy = _plain(g, dataset, 0.5)
    epochs = _free_epochs(noisy)
    grew = max((growth(c) for c in curves(noisy)), default=math.nan)
    if not suffix:
        random = g.get((dataset, 0.0, 0, "random"), [])
        freed, scratch = _pairs(noisy, random)
        ratio = [(_end_distance([a]) / _end_distance([b])).item() for a, b in zip(freed, scratch)]
        base = {cl.RUNS.name: len(noisy), cl.CNN_PLATEAU.name: _stopped(noisy),
                cl.LONG.name: epochs, cl.PLATEAU.name: grew}
        key = cl.setting(0.5)
        out[cl.DIVERGE.id] = Measurement({key: _seeds(ratio)}, {**base, cl.YARDSTICK.name: len(scratch)},
                                         _longer(epochs, cl.LONG_EPOCHS))
        out[cl.FAR.id] = Measurement({key: effect(_end_distance(noisy)) if noisy else NOT_RUN}, base,
                                     _longer(epochs, cl.LONG_EPOCHS))
        calm = _plain(g, dataset, 0.0)
        effects, checks = _over_sigmas(g, dataset, (0.0,), lambda r: _seeds([growth(c) for c in curves(r)]))
        out[cl.SMALL_PLATEAU.id] = Measurement(effects, {**checks, cl.QUICK.name: _free_epochs(calm)},
                                               _longer(_free_epochs(calm), cl.QUICK_EPOCHS))
        mid = _plain(g, dataset, 0.3)
        effects, runs = {}, {}
        for name in cl.CURVES:
            kind, ring = name.split()
            have = [r for r in mid if f"{LAYER} {kind} {ring}" in r["free"]["distances"]]
            effects[name] = _seeds([largest_drop(c) for c in curves(have, kind, int(ring[1:]))]) if have else NOT_RUN
            runs[name] = len(have)
        out[cl.SMOOTH.id] = Measurement(effects, {cl.RUNS.name: runs, cl.CNN_PLATEAU.name: _stopped(mid),
                                                  cl.LONG.name: _free_epochs(mid)},
                                        _longer(_free_epochs(mid), cl.LONG_EPOCHS))
    effects, runs, stopped = {}, {}, {}
    base = _plain(g, dataset, 0.0)
    for sigma in (0.3, 0.5):
        a, b = _pairs(_plain(g, dataset, sigma), base)
        key = cl.setting(sigma)
        effects[key] = paired(_end_distance(a), _end_distance(b)) if a else NOT_RUN
        runs[key], stopped[key] = len(a), min(_stopped(a), _stopped(b)) if a else math.nan
    out[cl.NOISE_DIVERGES.id + suffix] = Measurement(effects, {cl.RUNS.name: runs, cl.CNN_PLATEAU.name: stopped})
    return out


def training_measurements(g: dict, dataset: str = "cifar10") -> dict[str, Measurement]:
    """Accuracy and overfitting: free net against the CNN continued (Exp 0-2), against the CNN at the switch
    (Exp 3), 30% against 50% noise, and Ott's free net from scratch."""
    out, suffix = {}, "" if dataset == "cifar10" else f"-{dataset}"
    less = lambda runs: effect(free_minus_cnn(runs))
    over = lambda runs: paired(_gap(runs, "free"), _gap(runs, "cnn_after"))
    if suffix:
        out[cl.LESS_ACCURATE.id + suffix] = Measurement(*_over_sigmas(g, dataset, cl.SIGMAS, less))
        out[cl.OVERFITS.id + suffix] = Measurement(*_over_sigmas(g, dataset, cl.SIGMAS, over))
        return out
    out[cl.LESS_ACCURATE.id] = Measurement(*_over_sigmas(g, dataset, (0.3, 0.5), less))
    out[cl.LESS_ACCURATE_NO_NOISE.id] = Measurement(*_over_sigmas(g, dataset, (0.0,), less))
    out[cl.OVERFITS.id] = Measurement(*_over_sigmas(g, dataset, cl.SIGMAS, over))
    runs = _plain(g, dataset, 0.5)
    checks = {cl.RUNS.name: len(runs), cl.LEARNED.name: final(runs, "cnn").min().item() if runs else math.nan}
    out[cl.MORE_ACCURATE_SHORT.id] = Measurement(
        {cl.setting(0.5): paired(final(runs, "free"), final(runs, "cnn")) if runs else NOT_RUN}, checks)
    out[cl.VAL_LOSS_SHORT.id] = Measurement(
        {cl.setting(0.5): paired(final(runs, "free", "val_loss"), final(runs, "cnn", "val_loss")) if runs else NOT_RUN},
        checks)
    low, high = _pairs(_plain(g, dataset, 0.3), runs)
    removed = [1 - (_gap([b], "free") / _gap([a], "free")).item() for a, b in zip(low, high)]
    out[cl.NOISE_LITTLE_HELP.id] = Measurement(
        {cl.setting(0.5): _seeds(removed)},
        {cl.RUNS.name: len(low), cl.CNN_PLATEAU.name: min(_stopped(low), _stopped(high)) if low else math.nan,
         cl.OVERFIT_03.name: _gap(low, "free").min().item() if low else math.nan})
    scratch, plain = _pairs(g.get((dataset, 0.0, 0, "random"), []), _plain(g, dataset, 0.0))
    stopped = [len(r["free"]["val_loss"]) < r["run"].cnn_epochs + r["run"].after_epochs for r in scratch]
    out[cl.OTT_SCRATCH.id] = Measurement(
        {cl.setting(0.0): paired(final(scratch, "free"), final(plain, "cnn")) if scratch else NOT_RUN},
        {cl.RUNS.name: len(scratch), cl.CNN_PLATEAU.name: _stopped(plain),
         cl.RANDOM_PLATEAU.name: sum(stopped) / len(stopped) if stopped else math.nan})
    return out


def _under(runs: list[dict], branch: str, attack: str) -> torch.Tensor:
    return torch.tensor([r[branch]["robustness"][attack] for r in runs]).double()


def robustness_measurements(g: dict, dataset: str = "cifar10") -> dict[str, Measurement]:
    """Accuracy under attack, free net minus the CNN continued, where both nets stay above chance."""
    def measure(attacks: dict[str, tuple[float, str]]) -> Measurement:  # setting -> (sigma, attack)
        effects, checks = {}, {cl.RUNS.name: {}, cl.CNN_PLATEAU.name: {}, cl.ABOVE_CHANCE.name: {}}
        for key, (sigma, attack) in attacks.items():
            runs = _plain(g, dataset, sigma)
            have = bool(runs) and all(attack in r[b]["robustness"] for r in runs for b in ("free", "cnn_after"))
            free, cnn = (_under(runs, b, attack) if have else None for b in ("free", "cnn_after"))
            effects[key] = paired(free, cnn) if have else NOT_RUN
            checks[cl.RUNS.name][key], checks[cl.CNN_PLATEAU.name][key] = len(runs), _stopped(runs)
            checks[cl.ABOVE_CHANCE.name][key] = min(free.min().item(), cnn.min().item()) if have else math.nan
        return Measurement(effects, checks)

    per_sigma = lambda attack: {cl.setting(s): (s, attack) for s in cl.SIGMAS}
    if dataset != "cifar10":
        return {cl.LESS_ROBUST.id + f"-{dataset}": measure(per_sigma(cl.ATTACK))}
    return {cl.LESS_ROBUST.id: measure(per_sigma(cl.ATTACK)),
            cl.LESS_ROBUST_WEAK.id: measure(per_sigma(cl.WEAK_ATTACK)),
            cl.LESS_ROBUST_NOISE.id: measure({f"{cl.setting(s)}, test {k}": (s, k)
                                              for s in cl.SIGMAS for k in cl.TEST_NOISE})}


def shift_measurements(g: dict, dataset: str = "cifar10") -> dict[str, Measurement]:
    """Random shifts without noise against none: the divergence, and the free net's accuracy gap (Ott)."""
    suffix = "" if dataset == "cifar10" else f"-{dataset}"
    base = _plain(g, dataset, 0.0)
    shifts = sorted(sh for (n, s, sh, init) in g if n == dataset and s == 0 and sh > 0 and init == "cnn")
    gap, dist = {}, {}
    checks = {cl.RUNS.name: {}, cl.CNN_PLATEAU.name: {}, cl.SCALE.name: {}}
    for shift in shifts or [0]:
        key = f"shift {shift}" if shift else "no shifted run"
        a, b = _pairs(g.get((dataset, 0.0, shift, "cnn"), []), base) if shift else ([], [])
        dist[key] = paired(_end_distance(a), _end_distance(b)) if a else NOT_RUN
        gap[key] = paired(free_minus_cnn(a), free_minus_cnn(b)) if a else NOT_RUN
        checks[cl.RUNS.name][key] = len(a)
        checks[cl.CNN_PLATEAU.name][key] = min(_stopped(a), _stopped(b)) if a else math.nan
        checks[cl.SCALE.name][key] = shift / SIDES[dataset]
    side = SIDES[dataset]
    ott = math.ceil(cl.OTT_SHIFT_SHARE * side)
    note = "" if any(sh >= ott for sh in shifts) else (
        f"no run here shifted by Ott's 20-30% of the side ({ott} px or more on {side} px); test it with the chapter at "
        f"`-y \"shifts: [0, {ott}]\"` (one more run per seed and noise-free setting: about 7 CPU-minutes each here)")
    return {cl.OTT_SHIFT.id + suffix: Measurement(gap, checks, note),
            cl.SHIFT_LESS_DIVERGENCE.id + suffix: Measurement(dist, {k: v for k, v in checks.items()
                                                                     if k != cl.SCALE.name},
                                                               "" if shifts else note)}


def leak_measurements(demos: list[dict], dataset: str = "cifar10") -> dict[str, Measurement]:
    """The leak demonstration: the plain 'validation' accuracy the study reported (CIFAR-10), and copied
    against unseen images inside one model, within the classes the unseen images cover."""
    runs, suffix = _demos(demos, dataset), "" if dataset == "cifar10" else f"-{dataset}"
    unseen = min((unseen_classes(d)[0] for d in runs), default=math.nan)
    out = {cl.LEAK_COPIES.id + suffix: Measurement({"": leak_effect(demos, dataset) if runs else NOT_RUN},
                                                   {cl.RUNS.name: len(runs), cl.UNSEEN.name: unseen})}
    if not suffix:
        copied = _last(runs, "balanced copied").min().item() if runs else math.nan
        out[cl.LEAK_INFLATES.id] = Measurement({"": _seeds(_last(runs, "val_acc").tolist()) if runs else NOT_RUN},
                                               {cl.RUNS.name: len(runs), cl.MEMORISED_C.name: copied})
    return out


def measurements(g: dict, demos: list[dict]) -> dict[str, Measurement]:
    """claim id -> Measurement for every registered claim that this machine can test (CIFAR-10, the study's
    dataset; MNIST for the claims beyond it)."""
    out = {}
    for dataset in ("cifar10", "mnist"):
        for part in (divergence_measurements, training_measurements, robustness_measurements, shift_measurements):
            out.update(part(g, dataset))
        out.update(leak_measurements(demos, dataset))
    if not any(key[0] == "mnist" for key in g):  # beyond the study, and not run: say how to run it
        note = ("MNIST (beyond the study) was not trained in this run; the chapter at `-y \"datasets: [cifar10, "
                "mnist]\"` adds it (about 3 CPU-minutes per run here at 200 images per class)")
        for cid, m in out.items():
            if cid.endswith("-mnist") and not cid.startswith(cl.LEAK_COPIES.id):
                out[cid] = dataclasses.replace(m, note="; ".join(filter(None, (m.note, note))))
    return out


def scorecard(g: dict, demos: list[dict]) -> Scorecard:
    """Every registered claim of the study (and of Ott's), graded by the book's one engine."""
    return claims_scorecard(cl, measurements(g, demos))

# --- the chapter's other pieces ------------------------------------------------------------------

def plateaus(g: dict, chapter: Chapter) -> str:
    """How many CNNs stopped on their validation plateau before the epoch cap."""
    epochs = [r["switch_epoch"] for (_, _, _, init), runs in g.items() if init == "cnn" for r in runs]
    stopped = sum(e < chapter.cnn_epochs for e in epochs)
    return (f"{stopped} of {len(epochs)} CNNs stopped on a validation plateau (after {min(epochs)} to {max(epochs)} "
            f"epochs); {len(epochs) - stopped} reached the cap of {chapter.cnn_epochs} epochs.")


def exactness(g: dict) -> float:
    """The largest output difference at any switch (free net minus the CNN it came from)."""
    return max(r["switch_gap"] for (_, _, _, init), runs in g.items() if init == "cnn" for r in runs)


def _label(name: str, sigma: float, shift: int) -> str:
    return f"{name}, sigma {sigma:g}" + (f", shift {shift}" if shift else "")


def curve_items(g: dict) -> list[tuple[str, Figure]]:
    """(label, loss curves) per setting, for the slider."""
    return [(_label(n, s, sh), curves_figure(runs)) for (n, s, sh, init), runs in sorted(g.items()) if init == "cnn"]


def distance_items(g: dict) -> list[tuple[str, Figure]]:
    """(label, distance figure) per dataset and noise level (no shift), with the free net from a
    random initialisation (no augmentation) as the baseline in every figure."""
    return [(_label(n, s, 0), distance_figure(runs, g.get((n, 0.0, 0, "random"))))
            for (n, s, sh, init), runs in sorted(g.items()) if init == "cnn" and sh == 0]


def _end_distance(runs: list[dict], ring: int = 1) -> torch.Tensor:
    """(seeds,) of the final first-layer cosine distance."""
    return torch.stack([c[-1] for c in curves(runs, "cosine", ring)])


def shift_effects(g: dict) -> dict[tuple[str, int], tuple[Effect, Effect]]:
    """Per dataset and shift > 0 (no noise): the change in final ring-1 cosine distance (shift
    minus none) and the change in the free net's accuracy gap to the CNN continued (free − CNN with
    shifts minus the same without), both paired by seed."""
    out = {}
    for (name, sigma, shift, init), runs in sorted(g.items()):
        base = g.get((name, 0.0, 0, "cnn"))
        if init != "cnn" or sigma != 0 or shift == 0 or base is None:
            continue
        out[(name, shift)] = (paired(_end_distance(runs), _end_distance(base)),
                              paired(free_minus_cnn(runs), free_minus_cnn(base)))
    return out


def shift_table(g: dict) -> str:
    """Markdown: divergence and the free − CNN gap without and with translation augmentation."""
    lines = ["| data | shift | cosine distance, ring 1 (×1000) | change vs no shift (×1000) | free − CNN (points) "
             "| change of the gap vs no shift (points) |", "|---" * 6 + "|"]
    for (name, shift), (dist, gap) in shift_effects(g).items():
        runs, base = g[(name, 0.0, shift, "cnn")], g[(name, 0.0, 0, "cnn")]
        for s, r, d, e in ((0, base, "—", "—"), (shift, runs, dist.text(1000, 2), gap.points())):
            lines.append(f"| {name} | {s} | {mean_ci_text(_end_distance(r), 1000, 2)} | {d} "
                         f"| {effect(free_minus_cnn(r)).points()} | {e} |")
    return "\n".join(lines)


def setting(chapter: Chapter, sizes: dict[str, dict[str, int]]) -> str:
    """One sentence: this run next to the study's, every reduction named; sizes: dataset -> a run's
    "sizes" (train, val and test images)."""
    lr = "Ott's Adam learning rates" if not chapter.lr else f"Adam lr {chapter.lr:g} for both nets"
    data = "; ".join(f"{name}: {n['train']:,} training, {n['val']:,} validation and {n['test']:,} test images"
                     + (" (the partial offline copy of CIFAR-10, not the full 50,000 / 10,000; test accuracy "
                        "class-balanced)" if name == "cifar10" else "")
                     for name, n in sizes.items())
    return (f"This run is reduced from the study's: the CNN for at most {chapter.cnn_epochs} epochs with early "
            f"stopping after {chapter.patience} epochs without a better validation loss (the study: {SEED['cnn_epochs']} "
            f"epochs, patience {SEED['patience']}); {chapter.after_epochs} epochs after the switch for both nets "
            f"(the study: {SEED['after']}); {lr} (the study: {SEED['lr']}); {chapter.seeds} random seeds (the study: one "
            "run); "
            f"noise sigma {', '.join(f'{s:g}' for s in chapter.sigmas)}; "
            + (f"shifts {', '.join(str(s) for s in chapter.shifts if s)} pixels without noise; " if any(chapter.shifts)
               else "") + f"on {data}.")


def findings(g: dict, demos: list[dict]) -> str:
    """The chapter's conclusions in words, each read off an interval by the shared rule."""
    plain = {(n, s): runs for (n, s, sh, init), runs in sorted(g.items()) if init == "cnn" and sh == 0}
    bullets = []
    for name in sorted({d["demo"].dataset for d in demos}):
        runs = _demos(demos, name)
        e = leak_effect(demos, name)
        trained = _last(runs, "train_acc")
        bullets.append(f"**The leak** ({name}): after {leak_epochs(runs)} on the study's split the net "
                       f"classifies {mean_ci_text(trained)}% of its training images; its 'validation' images that have "
                       f"a copy in training are classified "
                       f"{side(e, 'better than', 'worse than', 'no differently, within noise, from')} those without "
                       f"({e.points()}, class-balanced within the classes the images without a copy cover, paired by "
                       f"shuffle). " + leak_decomposition(demos, name))
    for name in sorted({n for n, _ in plain}):
        for sigma in sorted(s for n, s in plain if n == name):
            runs = plain[(name, sigma)]
            acc = effect(free_minus_cnn(runs))
            epochs = _free_epochs(runs)
            grew = max(growth(c) for c in curves(runs))
            level = ("levelled off (the last tenth of the epochs added at most "
                     f"{100 * grew:.1f}% of it in every seed)" if grew < cl.PLATEAU_GROWTH else
                     f"still growing (the last tenth of the epochs added up to {100 * grew:.1f}% of it)")
            yard = ""
            if "drift" in runs[0]["cnn_after"]:
                yard = (f"; over the same epochs the CNN continued's own kernel moved "
                        f"{mean_ci_text(_drift(runs, 'cnn_after')[:, -1], 1000, 2)} ×1e-3 from the switch, and the "
                        f"first-layer filters of two CNNs trained apart are {_apart_text(runs)} apart")
            bullets.append(f"{name}, sigma {sigma:g}: after {epochs} epochs the freed first-layer filters sit at a "
                           f"ring-1 cosine distance of {mean_ci_text(_end_distance(runs), 1000, 2)} ×1e-3 (0 at the "
                           f"switch; the study's 0.7), {level}{yard}. The free net is "
                           f"{side(acc, 'more accurate than', 'less accurate than', 'as accurate, within noise, as')} "
                           f"the CNN continued ({acc.points()})."
                           + (f" {ahead}" if sigma == 0.5 and grew >= cl.PLATEAU_GROWTH and (ahead := projection(runs))
                              else ""))
        noisy = plain.get((name, 0.5), [])
        if len(noisy) > 1:
            freed, continued = (paired(final(noisy, b), final(noisy, "cnn")) for b in ("free", "cnn_after"))
            bullets.append(f"{name}, sigma 0.5, the study's Exp 3 comparison (the free net after its epochs against the "
                           f"CNN at the switch): {freed.points()}; the CNN continued gains {continued.points()} over the "
                           "same epochs, so what the free net gains there is the extra training, not the freedom.")
        scratch = g.get((name, 0.0, 0, "random"))
        if scratch and (name, 0.0) in plain:
            ratio = _end_distance(scratch).mean() / _end_distance(plain[(name, 0.0)]).mean()
            closer = " The freed filters stay far closer to one shared filter than filters learnt apart do." \
                if ratio > 2 else ""
            bullets.append(f"{name}: a free net trained from a random initialisation ends with first-layer filters at "
                           f"{ratio:.1f}× the freed CNN's ring-1 cosine distance (means over seeds, no noise).{closer}")
    for (name, shift), (dist, gap) in shift_effects(g).items():
        bullets.append(f"{name}, shifts of {shift} pixels: the freed filters' ring-1 cosine distance changes by "
                       f"{dist.text(1000, 2)} ×1e-3 ({side(dist, 'more divergence', 'less divergence')}), and the free "
                       f"net's gap to the CNN by {gap.points()} ({side(gap, 'the gap closes', 'the gap widens')}).")
    return "\n".join(f"- {b}" for b in bullets)


def key_findings(g: dict, demos: list[dict]) -> str:
    """Two to four bullets for the top of the chapter, generated from the results: the leak, how far the freed
    filters went at the study's strongest noise against the yardsticks, and accuracy at the study's noise levels."""
    bullets = []
    if _demos(demos, "cifar10"):
        runs = _demos(demos, "cifar10")
        share = sum(d["stats"]["val_in_train"] for d in runs) / len(runs)
        copied, unseen = _last(runs, "plain copied").mean().item(), _last(runs, "plain unseen").mean().item()
        trained = _last(runs, "train_acc").mean().item()
        bullets.append(f"**The leak.** {100 * share:.0f}% of the study's 'validation' images are training images too; "
                       f"a CNN trained on its split for {leak_epochs(runs)} ({100 * trained:.0f}% right on "
                       f"its training images) classifies {100 * copied:.1f}% of those and {100 * unseen:.1f}% of "
                       f"the others (CIFAR-10 copy, {len(runs)} shuffles), against the study's reported "
                       f"{100 * cl.STUDY_ACC['exp1']['cnn']:.1f}%.")
    noisy = _plain(g, "cifar10", 0.5)
    if noisy:
        grew = max(growth(c) for c in curves(noisy))
        end = _end_distance(noisy)
        level = "levelled off" if grew < cl.PLATEAU_GROWTH else "still growing"
        yard = ""
        if "drift" in noisy[0]["cnn_after"]:
            yard = (f"; the CNN continued's own kernel moved {mean_ci_text(_drift(noisy, 'cnn_after')[:, -1], 1000, 2)}"
                    f" ×1e-3 in the same epochs, and two CNNs trained apart are {_apart_text(noisy)} apart")
        bullets.append(f"**How far freed filters drift** (the study: a cosine distance of about {cl.STUDY_COSINE:g}). "
                       f"At noise sigma 0.5, "
                       f"{_free_epochs(noisy)} epochs after the switch, neighbouring first-layer filters sit at a "
                       f"cosine distance of {mean_ci_text(end, 1000, 2)} ×1e-3, {level}{yard}."
                       + (f" {ahead}" if grew >= cl.PLATEAU_GROWTH and (ahead := projection(noisy)) else ""))
    effects = [(sigma, effect(free_minus_cnn(_plain(g, "cifar10", sigma)))) for sigma in cl.SIGMAS
               if len(_plain(g, "cifar10", sigma)) > 1]
    if effects:
        parts = "; ".join(f"sigma {sigma:g}: {e.points()}" for sigma, e in effects)
        bullets.append(f"**Accuracy, free net minus the CNN trained on as long** (class-balanced test, 95% intervals "
                       f"over random seeds; the study, one run each: "
                       + " and ".join(f"{100 * (cl.STUDY_ACC[e]['free'] - cl.STUDY_ACC[e]['cnn']):+.1f}" for e in ("exp1", "exp2"))
                       + f" points at sigma 0.3 and 0.5): {parts}.")
    return "\n".join(f"- {b}" for b in bullets)
