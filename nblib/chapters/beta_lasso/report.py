"""Tables, figures, the scorecard and the generated findings of the beta-LASSO chapter.

Results are grouped by dataset and number of epochs: the students' setting runs `epochs`
epochs, the pull setting `pull_epochs` (one group when the two are equal). Every number is a
run's final epoch; a beta or a pull is chosen on validation accuracy, never on test, for the
prose, and by the registry's rule (the pull nearest the students') for the scorecard. The
claims and their conditions are registered in `claims.py`; this module only measures them.
"""
from __future__ import annotations

import dataclasses
import math

import torch
from matplotlib.figure import Figure

from nblib import palette
from nblib.claims import Measurement, Scorecard, scorecard as claims_scorecard
from nblib.effects import Effect, effect, paired, side
from nblib.machine import matmul_peak_gflops, training_step
from nblib.optim import total_lr
from nblib.stats import mean_ci_text
from nblib.train import cosine_schedule
from . import claims as cl
from .experiment import IMAGE_SHAPES, Chapter, RunConfig, effective, init_bound, pull, split_sizes
from .nets import make_model, n_params
from .sparsity import WINDOW, first_layer_locality, prune_per_unit, weight_layers, window_mass

PAPER_PARAMS = {"s-conv": "138M", "s-local": "147M", "s-fc": "256M"}
# CIFAR-10 test accuracy (%) by our row labels: the paper's Table 2 (alpha = 150, 4000 epochs, full data,
# augmentation) and the students' reproduction (alpha = 1, 400 epochs, no augmentation), from the registry
PAPER_CIFAR10 = {"S-CONV": 100 * cl.PAPER_TABLE2["cifar10"]["S-CONV"],
                 "S-LOCAL": 100 * cl.PAPER_TABLE2["cifar10"]["S-LOCAL"],
                 "S-FC SGD": 100 * cl.PAPER_TABLE2["cifar10"]["S-FC SGD"],
                 "S-FC beta-LASSO beta=50": 100 * cl.PAPER_TABLE2["cifar10"]["S-FC beta-LASSO"]}
STUDENTS_CIFAR10 = {"S-FC SGD": 100 * cl.STUDENTS_SGD,
                    **{f"S-FC beta-LASSO beta={b:g}": 100 * a for b, a in cl.STUDENTS_BETA_ACC.items()}}
BCE = "BCE: "  # the label prefix of the runs trained with the students' loss (they trained every run so)
STUDENTS_CIFAR10 |= {BCE + k: v for k, v in STUDENTS_CIFAR10.items()}
STUDENTS_TRAIN_IMAGES = cl.STUDENTS_IMAGES  # the students trained on all of CIFAR-10
LOCALITY_RULE = cl.LOCALITY_RULE


def label(config: RunConfig) -> str:
    """A run kind's name: its model and optimiser, its beta (the students' nominal one) or its pull,
    "BCE: " in front when trained with the students' loss."""
    if config.optimizer == "beta-lasso":
        name = f"S-FC beta-LASSO pull x{config.pull:g}" if config.pull else f"S-FC beta-LASSO beta={config.beta:g}"
    else:
        name = "S-FC SGD" if config.model == "s-fc" else config.model.upper()
    return (BCE if config.loss == "bce" else "") + name


def group(results: list[dict], dataset: str, epochs: int) -> dict[str, list[dict]]:
    """label -> the runs of one dataset and epoch count, in seed order."""
    groups: dict[str, list[dict]] = {}
    for r in sorted(results, key=lambda r: r["config"].seed):
        if r["config"].dataset == dataset and r["config"].epochs == epochs:
            groups.setdefault(label(r["config"]), []).append(r)
    return groups


def values(runs: list[dict], measure) -> torch.Tensor:
    return torch.tensor([float(measure(r)) for r in runs], dtype=torch.float64)


def _live_mean(mass: torch.Tensor) -> float:
    """Mean over live units (dead ones are nan); nan when every unit is dead."""
    live = ~mass.isnan()
    return mass[live].mean().item() if live.any() else math.nan


def live_window(r: dict) -> float:
    """Mean window mass over a run's live first-layer units."""
    return _live_mean(r["window"])


def live_shuffled(r: dict) -> float:
    """The same, with every unit's weights at shuffled positions."""
    return _live_mean(r["shuffled_window"])


def live_support(r: dict) -> float:
    """The same, with every unit's weights at pixels drawn in proportion to the pixels' variance."""
    return _live_mean(r["support_window"])


def pruned_window(lasso: dict, sgd: dict) -> float:
    """Mean window mass over live units of S-FC SGD's trained first layer (`sgd`) magnitude-pruned
    unit by unit to the number of weights the same unit keeps in the beta-LASSO run `lasso` (same
    seed, so the same initialisation); units dead in `lasso` are left out."""
    channels, side = IMAGE_SHAPES[sgd["config"].dataset]
    pruned = prune_per_unit(sgd["first_weight"], lasso["unit_nonzero"])
    return _live_mean(window_mass(pruned.abs().view(-1, channels, side, side).sum(1)))


def pruned_values(runs: list[dict], sgd_runs: list[dict]) -> torch.Tensor:
    """`pruned_window` of every run of `runs` against the SGD run of its seed (nan where there is none)."""
    by_seed = {r["config"].seed: r for r in sgd_runs}
    return torch.tensor([pruned_window(r, by_seed[r["config"].seed]) if r["config"].seed in by_seed else math.nan
                         for r in runs], dtype=torch.float64)


def live_units(r: dict) -> int:
    return int((~r["window"].isnan()).sum())


def share(r: dict, layer: int) -> float:
    return r["final_nonzero"][layer] / r["layer_sizes"][layer]


def chosen(groups: dict[str, list[dict]], prefix: str) -> str | None:
    """The label starting with `prefix` whose runs have the best mean final validation accuracy."""
    names = [k for k in groups if k.startswith(prefix)]
    return max(names, key=lambda k: values(groups[k], lambda r: r["val_acc"][-1]).mean().item()) if names else None


def settings(chapter: Chapter) -> list[tuple[str, int, str]]:
    """(name, epochs, label prefix of its beta-LASSO runs) of the settings the chapter ran."""
    out = [("students' setting", chapter.epochs, "S-FC beta-LASSO beta=")]
    if chapter.pulls:
        out.append(("pull setting", chapter.pull_epochs, "S-FC beta-LASSO pull"))
    return out


def lengths(chapter: Chapter) -> list[int]:
    """The distinct run lengths (epochs) of the settings: one group of runs each."""
    return list(dict.fromkeys(epochs for _, epochs, _ in settings(chapter)))


def param_table(alpha: int, side: int = 32, channels: int = 3) -> str:
    """Markdown: parameters of the six nets at `alpha`, and of the S family at alpha = 150."""
    rows = ["| model | params, alpha = %d | params, alpha = 150 | paper, alpha = 150 |" % alpha, "|---|---|---|---|"]
    for name in ("s-conv", "s-local", "s-fc", "d-conv", "d-local", "d-fc"):
        with torch.device("meta"):  # shapes only: alpha = 150 needs no memory
            small = n_params(make_model(name, alpha, side, channels))
            big = f"{n_params(make_model(name, 150, side, channels)):,}" if name in PAPER_PARAMS else ""
        rows.append(f"| {name.upper()} | {small:,} | {big} | {PAPER_PARAMS.get(name, '')} |")
    return "\n".join(rows)


def settings_table(results: list[dict], chapter: Chapter, dataset: str) -> str:
    """Markdown: lambda, beta, threshold and L1 pull of every beta-LASSO run of a dataset."""
    bound = init_bound(dataset)
    rows = ["| run | epochs | steps | lambda | beta | threshold beta * lambda (/ bound) | L1 pull lambda * sum lr (/ bound) |",
            "|---|---|---|---|---|---|---|"]
    for _, epochs, prefix in settings(chapter):
        for name, runs in group(results, dataset, epochs).items():
            if name.startswith(prefix):
                c, steps = runs[0]["config"], runs[0]["steps_per_epoch"] * epochs
                lam, _, beta = effective(c)
                rows.append(f"| {name} | {epochs} | {steps:,} | {lam:.3g} | {beta:.3g} | "
                            f"{beta * lam:.2g} ({beta * lam / bound:.2f}) | {pull(c) * bound:.3g} ({pull(c):.2f}) |")
    if dataset == "cifar10":  # the copy here is partial: what the students' full data gave at their lambda
        per_epoch = math.ceil(STUDENTS_TRAIN_IMAGES / chapter.batch_size)
        lr_sum = total_lr(chapter.lr, cosine_schedule(chapter.epochs), chapter.epochs, per_epoch)
        rows.append(f"| for comparison: the students' run on all of CIFAR-10 (50,000 images) | {chapter.epochs} | "
                    f"{per_epoch * chapter.epochs:,} | {chapter.lam_first:g} | | | {chapter.lam_first * lr_sum:.3g} "
                    f"({chapter.lam_first * lr_sum / bound:.2f}) |")
    return "\n".join(rows) + f"\n\nFirst-layer initial bound 1/sqrt(fan-in) = {bound:.4f}."


def accuracy_table(results: list[dict], dataset: str, epochs: int, students: bool = False) -> str:
    """Markdown: final-epoch test and validation accuracy and non-zero weights (mean ± 95% CI over
    seeds); with `students` (the students' setting on CIFAR-10) the students' and the paper's numbers."""
    compare = students and dataset == "cifar10"
    head = "| model | test accuracy % | validation accuracy % | seeds | layer-1 non-zero % | non-zero weights per layer |"
    head += " students (all of CIFAR-10) | paper (alpha = 150) |" if compare else ""
    rows = [head, "|---" * (8 if compare else 6) + "|"]
    for name, runs in group(results, dataset, epochs).items():
        layers = len(runs[0]["layer_sizes"])
        counts = " / ".join(mean_ci_text(values(runs, lambda r: r["final_nonzero"][i]), 1, 0) for i in range(layers))
        row = (f"| {name} | {mean_ci_text(values(runs, lambda r: r['test_acc']))} | "
               f"{mean_ci_text(values(runs, lambda r: r['val_acc'][-1]))} | {len(runs)} | "
               f"{mean_ci_text(values(runs, lambda r: share(r, 0)))} | {counts} |")
        if compare:
            row += f" {STUDENTS_CIFAR10.get(name, '')} | {PAPER_CIFAR10.get(name, '')} |"
        rows.append(row)
    sizes = group(results, dataset, epochs)
    if "S-FC SGD" in sizes:
        rows.append(f"\nS-FC layer sizes: {' / '.join(f'{n:,}' for n in sizes['S-FC SGD'][0]['layer_sizes'])} weights.")
    return "\n".join(rows)


def sparsity_table(results: list[dict], chapter: Chapter, dataset: str) -> str:
    """Markdown: the share of each S-FC layer's weights left non-zero at the final epoch, for every
    beta-LASSO run kind (mean ± 95% CI over seeds), with its pull, beside the students' Fig. 2."""
    rows = ["| run | epochs | L1 pull (/ bound) | layer 1 non-zero % | layer 2 non-zero % | layer 3 non-zero % |",
            "|---|---|---|---|---|---|"]
    for epochs in lengths(chapter):
        for name, runs in group(results, dataset, epochs).items():
            if not name.startswith("S-FC beta-LASSO"):
                continue
            shares = " | ".join(mean_ci_text(values(runs, lambda r, i=i: 100 * share(r, i)), 1, 1)
                                for i in range(len(runs[0]["layer_sizes"])))
            rows.append(f"| {name} | {epochs} | {run_pull(runs[0]):.2f} | {shares} |")
    if dataset in cl.STUDENTS_FIG2:
        students = " | ".join(f"about {100 * x:.0f}" for x in cl.STUDENTS_FIG2[dataset])
        rows.append(f"| the students' Fig. 2 (beta = 50, all of {dataset}, read off their plot) | {cl.FIG2_EPOCHS} | "
                    f"{cl.FIG2_PULL:.2f} | {students} |")
    return "\n".join(rows)


def layers_figure(results: list[dict], chapter: Chapter) -> Figure:
    """The share of each S-FC layer's weights left non-zero after every epoch of every beta-LASSO
    run (mean over seeds), against the pull so far, as in the students' Fig. 2: a row of three
    panels (layers 1, 2, 3) per dataset."""
    fig = Figure(figsize=(9, 3.1 * len(chapter.datasets)))
    rows = fig.subplots(len(chapter.datasets), 3, squeeze=False)
    for axes, dataset in zip(rows, chapter.datasets):
        kinds = [(epochs, name, runs) for epochs in lengths(chapter)
                 for name, runs in group(results, dataset, epochs).items() if name.startswith("S-FC beta-LASSO")]
        for k, (epochs, name, runs) in enumerate(kinds):
            x = _pull_so_far(runs[0])
            shares = torch.stack([r["nonzero"] / torch.tensor(r["layer_sizes"]) for r in runs]).double().mean(0)
            for i, ax in enumerate(axes):
                ax.plot(x, 100 * shares[:, i], **palette.style(k),
                        label=f"{name.replace('S-FC beta-LASSO ', '')} ({epochs} ep)")
        for i, ax in enumerate(axes):
            if dataset in cl.STUDENTS_FIG2:
                ax.plot([cl.FIG2_PULL], [100 * cl.STUDENTS_FIG2[dataset][i]], "k*", ms=10,
                        label="students' Fig. 2 (read off)")
            ax.set(xscale="log", xlabel="L1 pull so far / initial bound", ylim=(0, 102),
                   ylabel="weights non-zero, %" if i == 0 else "")
            ax.set_title(f"{dataset}, layer {i + 1}", fontsize=10)
        axes[2].legend(fontsize=8, loc="lower left")  # layer 3 stays dense: its lower half is free
    fig.tight_layout()
    return fig


def locality_table(results: list[dict], chapter: Chapter, dataset: str) -> str:
    """Markdown: window mass of every S-FC and S-LOCAL run with its baselines (mean ± 95% CI over seeds):
    the same weights at shuffled positions, at variance-weighted positions, and (beta-LASSO runs) S-FC
    SGD of the same seed pruned unit by unit to the run's sparsity."""
    rows = ["| run | epochs | window mass, live units | live units | baselines: shuffled positions | "
            "variance-weighted positions | SGD pruned to this sparsity |", "|---|---|---|---|---|---|---|"]
    uniform = None
    for epochs in lengths(chapter):
        groups = group(results, dataset, epochs)
        for name, runs in groups.items():
            if runs[0]["window"] is None:
                continue
            uniform = runs[0]["uniform_window"]
            sgd = groups.get(BCE + SGD if name.startswith(BCE) else SGD)
            pruned = (mean_ci_text(pruned_values(runs, sgd), 1, 3)
                      if runs[0]["config"].optimizer == "beta-lasso" and sgd else "")
            rows.append(f"| {name} | {epochs} | {mean_ci_text(values(runs, live_window), 1, 3)} | "
                        f"{mean_ci_text(values(runs, live_units), 1, 0)} of {len(runs[0]['window'])} | "
                        f"{mean_ci_text(values(runs, live_shuffled), 1, 3)} | "
                        f"{mean_ci_text(values(runs, live_support), 1, 3)} | {pruned} |")
    if uniform is not None:
        rows.append(f"\nA map uniform over the pixels where the {dataset} training images vary: {uniform:.3f}; "
                    f"a {WINDOW}x{WINDOW} kernel (S-CONV, S-LOCAL): 1.")
    return "\n".join(rows)


def control_runs(results: list[dict], chapter: Chapter, dataset: str) -> tuple[list[dict], list[dict]]:
    """(the control runs: beta-LASSO at the students' own lambda for their pull's epochs, the students'-
    setting runs of the same beta at the scaled lambda), CE loss, in seed order; ([], []) without a control."""
    control = sorted((r for r in results if r["config"].dataset == dataset and r["config"].optimizer == "beta-lasso"
                      and not r["config"].pull_match and not r["config"].pull and r["config"].loss == "ce"),
                     key=lambda r: r["config"].seed)
    if not control:
        return [], []
    beta = control[0]["config"].beta
    matched = [r for r in group(results, dataset, chapter.epochs).get(f"S-FC beta-LASSO beta={beta:g}", [])
               if r["config"].pull_match]
    return control, matched


def control_table(results: list[dict], chapter: Chapter, dataset: str) -> str:
    """Markdown: the control run(s) beside the students'-setting runs of the same beta and seed, and
    the mean over all seeds of the latter ('' without a control)."""
    control, matched = control_runs(results, chapter, dataset)
    if not control:
        return ""
    seeds = {r["config"].seed for r in control}
    rows = ["| run | seeds | epochs | steps | lambda | beta | L1 pull (/ bound) | layer 1 / 2 / 3 non-zero % | "
            "window mass, live units | test accuracy % |", "|---" * 10 + "|"]
    for text, runs in ((f"their lambda, their pull's epochs (control)", control),
                       (f"scaled lambda, {chapter.epochs} epochs, the same seed", [r for r in matched
                                                                                if r["config"].seed in seeds]),
                       (f"scaled lambda, {chapter.epochs} epochs, every seed", matched)):
        if not runs:
            continue
        c = runs[0]["config"]
        lam, _, beta = effective(c)
        shares = " / ".join(mean_ci_text(values(runs, lambda r, i=i: 100 * share(r, i)), 1, 1) for i in range(3))
        rows.append(f"| {text} | {len(runs)} | {c.epochs} | {runs[0]['steps_per_epoch'] * c.epochs:,} | {lam:.3g} | "
                    f"{beta:.3g} | {run_pull(runs[0]):.2f} | {shares} | {mean_ci_text(values(runs, live_window), 1, 3)} "
                    f"| {mean_ci_text(values(runs, lambda r: 100 * r['test_acc']), 1, 1)} |")
    return "\n".join(rows)


def _pull_so_far(r: dict) -> torch.Tensor:
    """The first layer's L1 pull after each epoch, in units of the initial bound: (epochs,)."""
    c = r["config"]
    schedule = cosine_schedule(c.epochs)
    lam = effective(c)[0]
    per_epoch = torch.tensor([c.lr * schedule(e) * r["steps_per_epoch"] * lam for e in range(c.epochs)])
    return per_epoch.cumsum(0) / init_bound(c.dataset)


def _training_panels(ax_w, ax_n, results: list[dict], chapter: Chapter, dataset: str) -> None:
    """One dataset's row of the training figure: window mass (left) and layer-1 non-zero share (right)."""
    uniform, k = None, 0
    for name_setting, epochs, prefix in settings(chapter):
        groups = group(results, dataset, epochs)
        for name, runs in groups.items():
            if not name.startswith(prefix):
                continue
            x, style = _pull_so_far(runs[0]), palette.style(k)
            k += 1
            window = torch.stack([r["locality"][:, 0] for r in runs]).double()
            nonzero = torch.stack([r["nonzero"][:, 0] / r["layer_sizes"][0] for r in runs]).double()
            text = f"{name.replace('S-FC beta-LASSO ', '')} ({epochs} ep)"
            recorded = ~window.isnan().all(0)  # recorded every `record_every` epochs (nan between)
            ax_w.plot(x[recorded], window[:, recorded].nanmean(0), **style, label=text)
            ax_n.plot(x, 100 * nonzero.mean(0), **style, label=text)
            uniform = runs[0]["uniform_window"]
        if SGD in groups:
            sgd = values(groups[SGD], live_window).mean().item()
            ax_w.axhline(sgd, color="0.45", ls=":" if epochs == chapter.epochs else "-.", lw=1.2,
                         label=f"S-FC SGD, final ({epochs} ep)")
    if uniform is not None:
        ax_w.axhline(uniform, color="k", ls="--", lw=1, label="uniform over the image area")
    ax_w.set(xscale="log", xlabel="L1 pull so far / initial bound", ylabel=f"window mass ({WINDOW}×{WINDOW})",
             ylim=(0, 1))
    ax_n.set(xscale="log", yscale="log", xlabel="L1 pull so far / initial bound", ylabel="layer-1 weights non-zero, %")
    ax_w.set_title(f"{dataset}: window mass of the live units", fontsize=10)
    ax_n.set_title(f"{dataset}: layer-1 weights left", fontsize=10)
    ax_w.legend(fontsize=8)


def training_figure(results: list[dict], chapter: Chapter) -> Figure:
    """Window mass of live units and layer-1 non-zero share against the pull accumulated so far,
    for every beta-LASSO run (mean over seeds), with S-FC SGD and the uniform map as references:
    a row per dataset."""
    fig = Figure(figsize=(9, 3.6 * len(chapter.datasets)))
    rows = fig.subplots(len(chapter.datasets), 2, squeeze=False)
    for (ax_w, ax_n), dataset in zip(rows, chapter.datasets):
        _training_panels(ax_w, ax_n, results, chapter, dataset)
    fig.tight_layout()
    return fig


def sample_units(maps: torch.Tensor, units: int = 16, seed: int = 0) -> torch.Tensor:
    """`units` first-layer units drawn at random (a fixed generator) among the live ones."""
    live = torch.nonzero(maps.flatten(1).sum(1) > 0).flatten()
    pick = torch.randperm(len(live), generator=torch.Generator().manual_seed(seed))[:units]
    return live[pick].sort().values


def _maps_figure(maps: torch.Tensor, chosen_units: torch.Tensor, title: str) -> Figure:
    fig = Figure(figsize=(8, 2.6))
    axes = fig.subplots(2, 8)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    for ax, u in zip(axes.flat, chosen_units):
        ax.imshow(maps[u].numpy(), cmap="viridis")
    fig.suptitle(title, fontsize=8)
    return fig


def filters_figure(r: dict) -> Figure:
    """|w| over the input image of 16 random live first-layer units of a run's final weights."""
    maps = r["maps"]
    units = sample_units(maps)
    return _maps_figure(maps, units, f"{label(r['config'])}, {r['config'].epochs} epochs ({r['config'].dataset}, "
                        f"seed {r['config'].seed})\n16 random live units of {live_units(r)}; window mass of the "
                        f"live units {live_window(r):.2f}")


def filter_items(results: list[dict], chapter: Chapter, dataset: str) -> list[tuple[str, Figure]]:
    """(name, figure) per run kind for the 'trained with' slider: seed 0 of each."""
    return [(f"{name} ({epochs} ep)", filters_figure(runs[0])) for epochs in lengths(chapter)
            for name, runs in group(results, dataset, epochs).items()
            if runs[0]["maps"] is not None and runs[0]["config"].seed == 0]


def epoch_items(r: dict) -> list[tuple[str, Figure]]:
    """(epoch, figure) of a run's snapshots: the same 16 units (random live ones at the end)."""
    units = sample_units(r["maps"])
    pulls = _pull_so_far(r)
    items = []
    for epoch, maps in sorted(r["snapshots"].items()):
        so_far = pulls[epoch - 1].item() if epoch else 0.0
        nonzero = (maps.flatten(1) > 0).double().mean().item()  # a pixel's |w| summed over channels
        window, live = first_layer_locality(maps)
        title = (f"{label(r['config'])} ({r['config'].dataset}, seed {r['config'].seed}), "
                 + (f"after epoch {epoch} of {r['config'].epochs}" if epoch else "at initialisation")
                 + f"\npull so far {so_far:.2f} x bound; {nonzero:.1%} of (unit, pixel) pairs hold a weight; "
                 f"window mass of the {live} live units {window:.2f}")
        items.append((str(epoch), _maps_figure(maps, units, title)))
    return items


def protocol(chapter: Chapter) -> str:
    """Markdown: what every run of this execution did, from its parameters."""
    data = (f"{chapter.train_per_class} training images per class" if chapter.train_per_class
            else "all the training data available here") + (
        f" on the students' datasets, a class-balanced {chapter.beyond_per_class} per class on the others (MNIST)"
        if chapter.beyond_per_class else "")
    pulls = (f" **Pull setting**: pulls {', '.join(f'{m:g}' for m in chapter.pulls)} x the initial bound, "
             f"threshold beta * lambda = {chapter.threshold:g}, {chapter.pull_epochs} epochs, with S-FC SGD, "
             f"S-CONV and S-LOCAL (SGD) for as many epochs." if chapter.pulls else " No pull setting in this run.")
    return (f"Alpha = {chapter.alpha}; softmax cross-entropy; batch {chapter.batch_size}; cosine schedule from lr "
            f"{chapter.lr:g}; SGD momentum {chapter.momentum:g}, weight decay {chapter.weight_decay:g}; augmentation "
            f"{'on' if chapter.augment else 'off'}; {data}, {chapter.val_fraction:.0%} of it held out for "
            f"validation, its accuracy and the first layer's window mass recorded after "
            f"{'every epoch' if chapter.record_every == 1 else f'every {chapter.record_every} epochs and the last'}; "
            f"{chapter.seeds} seed(s). **Students' setting**: lambda {chapter.lam_first:g} (first layer) "
            f"and {chapter.lam_rest:g} (the others), beta {', '.join(f'{b:g}' for b in chapter.betas)}, "
            f"{chapter.epochs} epochs, with S-FC SGD for as many" + (
                f", both lambdas scaled so that the first layer's L1 pull over the run is {chapter.students_pull:g} x its "
                "initial bound (the students': 2e-5 over their 39,200 steps) and beta divided by the same factor (the "
                "threshold beta * lambda is the students')" if chapter.students_pull else "") + "; on a dataset the "
            f"students never used, beta {', '.join(f'{b:g}' for b in chapter.beyond_betas)}. On the students' datasets, "
            f"the students' BCE loss for {chapter.bce_seeds} seed(s) (S-FC SGD and the largest beta) and a control run at "
            f"their own lambda for the epochs their pull takes, {chapter.control_seeds} seed(s)." + pulls)


def scale_note(results: list[dict], chapter: Chapter) -> str:
    """Markdown: the scale of this execution against the paper's, from the runs themselves."""
    units = {d: next(r["layer_sizes"][0] // (IMAGE_SHAPES[d][0] * IMAGE_SHAPES[d][1] ** 2) for r in results
                     if r["config"].dataset == d and r["config"].model == "s-fc") for d in chapter.datasets}
    first = {d: next(r for r in results if r["config"].dataset == d) for d in chapter.datasets}
    notes = {d: f"{r['note'].split(';')[0]}, {split_sizes(r['config'])[0]:,} of them for training"
             for d, r in first.items()}
    return (f"What would settle the rest: these runs are at alpha = {chapter.alpha} (S-FC's first layer has "
            + ", ".join(f"{u} units on {d}" for d, u in units.items())
            + f"), augmentation {'on' if chapter.augment else 'off'}, {max(chapter.epochs, chapter.pull_epochs)} epochs at most, on: "
            + "; ".join(notes.values()) + ". The paper's accuracy claim (beta-LASSO brings S-FC close to S-CONV) "
            "was made at alpha = 150 on all of CIFAR-10 with augmentation and 4000 epochs: GPU scale, one "
            "papermill command (below).")


def _beats(a: torch.Tensor, b: torch.Tensor) -> Effect:
    """a - b paired by seed (nan-safe: a seed where either is nan is left out)."""
    keep = ~(a.isnan() | b.isnan())
    return paired(a[keep], b[keep])


# --- the scorecard: one Measurement per registered claim ------------------------------------------------------

NOT_RUN = Effect(math.nan, math.nan, 0)
SGD = "S-FC SGD"


def run_pull(r: dict) -> float:
    """The first layer's L1 pull over a run, lambda * sum_t lr_t, in units of its initial bound."""
    return float(_pull_so_far(r)[-1])


def run_threshold(r: dict) -> float:
    """The threshold beta * lambda of a run's first layer (0 for SGD)."""
    lam, _, beta = effective(r["config"])
    return beta * lam if r["config"].optimizer == "beta-lasso" else 0.0


def _checks(r: dict | None) -> dict[str, float]:
    """The measured values of the registry's conditions for the run `r` (None: not in this run)."""
    if r is None:
        return {cl.IN_RUN: 0, cl.PULL: math.nan, cl.THRESH: math.nan, cl.STEPS: math.nan}
    return {cl.IN_RUN: 1, cl.PULL: run_pull(r), cl.THRESH: run_threshold(r),
            cl.STEPS: r["steps_per_epoch"] * r["config"].epochs}


def _not_run(settings: tuple[str, ...] = ("",), note: str = "") -> Measurement:
    """A claim whose run is not in this execution (its conditions then fail: "not tested here")."""
    return Measurement({k: NOT_RUN for k in settings}, _checks(None), note)


def _describe(name: str, runs: list[dict]) -> str:
    r = runs[0]
    text = (f"{name.replace('S-FC beta-LASSO ', 'beta-LASSO ')}, {r['config'].epochs} epochs, "
            f"{r['steps_per_epoch'] * r['config'].epochs:,} steps")
    return text + (f", pull {run_pull(r):.2f} x the bound" if r["config"].optimizer == "beta-lasso" else "")


def _nearest(groups: dict[str, list[dict]], target: float, prefix: str = "S-FC beta-LASSO") -> str | None:
    """The beta-LASSO run kind whose first-layer pull is nearest `target` (on a log scale)."""
    names = [k for k in groups if k.startswith(prefix)]
    return min(names, key=lambda k: abs(math.log(max(run_pull(groups[k][0]), 1e-12) / target))) if names else None


def _accuracy(groups: dict[str, list[dict]], name: str | None, sgd: str = SGD) -> Measurement:
    """beta-LASSO run `name` minus S-FC SGD (`sgd`) of the same length, paired by seed."""
    if name is None or name not in groups or sgd not in groups:
        return _not_run()
    acc = {k: values(groups[k], lambda r: r["test_acc"]) for k in (name, sgd)}
    return Measurement({_describe(name, groups[name]): _beats(acc[name], acc[sgd][:len(acc[name])])},
                       _checks(groups[name][0]))


def _sparsity(groups: dict[str, list[dict]], name: str | None, which: str) -> Measurement:
    """Layer shares of run `name`: `which` is 'layer1', 'layer2', 'layer3' or 'all' (the MNIST claim)."""
    if name is None:
        return _not_run(("layer 2 sparser", "more mildly than layer 1") if which == "layer2" else ("",))
    runs = groups[name]
    s = [values(runs, lambda r, i=i: share(r, i)) for i in range(len(runs[0]["layer_sizes"]))]
    last = s[-1]
    parts = {"layer 1 sparse": effect(1 - s[0]), "layer 2 sparser": effect(1 - s[1]),
             "more mildly than layer 1": effect(s[1] - s[0]), "layer 3 denser than layer 1": effect(last - s[0])}
    pick = {"layer1": {_describe(name, runs): parts["layer 1 sparse"]},
            "layer2": {k: parts[k] for k in ("layer 2 sparser", "more mildly than layer 1")},
            "layer3": {_describe(name, runs): parts["layer 3 denser than layer 1"]},
            "all": parts}[which]
    shares = " / ".join(f"{100 * x.mean():.1f}%" for x in s)
    return Measurement(pick, _checks(runs[0]), note=f"{_describe(name, runs)}: non-zero shares of layers 1 / 2 / 3 "
                                                   f"{shares}")


LOCALITY_BASELINES = ("vs SGD", "vs shuffled", "vs variance-weighted", "vs SGD pruned")


def _locality(groups: dict[str, list[dict]], name: str | None) -> Measurement:
    """Locality index of run `name` against its four baselines, paired by seed: S-FC SGD of the same
    length, its own weights at shuffled and at variance-weighted positions, and S-FC SGD pruned to its sparsity."""
    if name is None or name not in groups or SGD not in groups or groups[name][0]["window"] is None:
        return Measurement({k: NOT_RUN for k in LOCALITY_BASELINES}, _checks(None))
    runs = groups[name]
    by_seed = {r["config"].seed: r for r in groups[SGD]}
    lasso = values(runs, live_window)
    bases = dict(zip(LOCALITY_BASELINES, (
        torch.tensor([live_window(by_seed[r["config"].seed]) for r in runs], dtype=torch.float64),
        values(runs, live_shuffled), values(runs, live_support), pruned_values(runs, groups[SGD]))))
    index = lambda base: _beats((lasso - base) / (1 - base).clamp_min(1e-9), torch.zeros_like(lasso))  # base 1: a kernel
    baselines = ", ".join(f"{k.removeprefix('vs ')} {v.nanmean():.3f}" for k, v in bases.items())
    note = (f"{_describe(name, runs)}: window mass {lasso.nanmean():.3f}; baselines {baselines}; uniform "
            f"{runs[0]['uniform_window']:.3f}, a 9x9 kernel 1; live units {values(runs, live_units).mean():.0f} of "
            f"{len(runs[0]['window'])}")
    return Measurement({k: index(v) for k, v in bases.items()}, _checks(runs[0]), note)


def _beta_cost(groups: dict[str, list[dict]]) -> Measurement:
    """beta = 50 minus each smaller beta of the students' setting, paired by seed."""
    fifty = "S-FC beta-LASSO beta=50"
    if fifty not in groups:
        return Measurement({f"vs beta={b:g}": NOT_RUN for b in (0.0, 1.0)},
                           {**_checks(None), cl.IN_RUN: {f"vs beta={b:g}": 0 for b in (0.0, 1.0)}})
    effects, present = {}, {}
    for b in (0.0, 1.0):
        small = f"S-FC beta-LASSO beta={b:g}"
        key = f"vs beta={b:g}"
        present[key] = int(small in groups)
        effects[key] = _beats(values(groups[fifty], lambda r: r["test_acc"]),
                              values(groups[small], lambda r: r["test_acc"])) if small in groups else NOT_RUN
    return Measurement(effects, {**_checks(groups[fifty][0]), cl.IN_RUN: present})


def _sgd_local(groups: dict[str, list[dict]]) -> Measurement:
    if SGD not in groups or groups[SGD][0]["window"] is None:
        return _not_run()
    runs = groups[SGD]
    gap = _beats(values(runs, live_window), values(runs, live_shuffled))
    return Measurement({_describe(SGD, runs): gap}, _checks(runs[0]))


def measurements(results: list[dict], chapter: Chapter) -> dict[str, Measurement]:
    """What this execution measured for every registered claim that this machine can test."""
    ran = set(chapter.datasets)
    students = {d: group(results, d, chapter.epochs) if d in ran else {} for d in ("cifar10", "mnist")}
    pulled = {d: group(results, d, chapter.pull_epochs) if d in ran and chapter.pulls else {} for d in students}
    lasso = {d: {k: v for g in (students[d], pulled[d]) for k, v in g.items() if k.startswith("S-FC beta-LASSO")}
             for d in students}  # every beta-LASSO run kind of a dataset, both settings
    near = {d: _nearest(pulled[d], cl.TABLE2_PULL, "S-FC beta-LASSO pull") for d in students}
    fig2 = {d: _nearest(lasso[d], cl.FIG2_PULL) for d in students}
    fifty = "S-FC beta-LASSO beta=50"
    m = {f"{cl.CHAPTER}.beats-sgd-beta{b:g}": _accuracy(students["cifar10"], f"S-FC beta-LASSO beta={b:g}")
         for b in (0.0, 1.0, 50.0)}
    m |= {f"{cl.CHAPTER}.beats-sgd-at-students-pull": _accuracy(pulled["cifar10"], near["cifar10"]),
          f"{cl.CHAPTER}.beta50-hurts": _beta_cost(students["cifar10"]),
          f"{cl.CHAPTER}.beats-sgd-at-students-pull-mnist": _accuracy(pulled["mnist"], near["mnist"]),
          f"{cl.CHAPTER}.beats-sgd-beta50-mnist": _accuracy(students["mnist"], fifty),
          f"{cl.CHAPTER}.beats-sgd-bce": _accuracy(students["cifar10"], BCE + fifty, BCE + SGD),
          f"{cl.CHAPTER}.sparsity-mnist": _sparsity(lasso["mnist"], fig2["mnist"], "all"),
          f"{cl.CHAPTER}.local-filters": _locality(students["cifar10"], fifty),
          f"{cl.CHAPTER}.local-filters-at-students-pull": _locality(pulled["cifar10"], near["cifar10"]),
          f"{cl.CHAPTER}.local-filters-mnist": _locality(students["mnist"], fifty),
          f"{cl.CHAPTER}.local-filters-at-students-pull-mnist": _locality(pulled["mnist"], near["mnist"]),
          f"{cl.CHAPTER}.sgd-sometimes-local": _sgd_local(students["cifar10"])}
    m |= {f"{cl.CHAPTER}.{slug}": _sparsity(lasso["cifar10"], fig2["cifar10"], which)
          for slug, which in (("layer1-sparse", "layer1"), ("layer2-milder", "layer2"), ("layer3-dense", "layer3"))}
    for slug in STUDENTS_RUNS:  # where the students' run is not matched here, say what would match it
        key = f"{cl.CHAPTER}.{slug}"
        if not _matched(m[key]):
            m[key] = dataclasses.replace(m[key], note="; ".join(t for t in (m[key].note, cl.BETAS_CMD) if t))
    return m


# the claims on the students' setting of CIFAR-10, whose test needs their betas at their step count
STUDENTS_RUNS = ("beats-sgd-beta0", "beats-sgd-beta1", "beats-sgd-beta50", "beta50-hurts", "local-filters")


def _matched(m: Measurement) -> bool:
    """The run is in this execution (every setting) and its pull is within the students' tolerance."""
    present = m.checks[cl.IN_RUN]
    present = all(present.values()) if isinstance(present, dict) else present
    return bool(present) and abs(m.checks[cl.PULL] / cl.TABLE2_PULL - 1) <= cl.TOLERANCE


def scorecard(results: list[dict], chapter: Chapter) -> Scorecard:
    """Every registered claim of study 2, graded by the book's one engine from this execution's runs."""
    return claims_scorecard(cl, measurements(results, chapter))


def findings(results: list[dict], chapter: Chapter) -> str:
    """Generated sentences: what each setting's runs show, in the numbers' own words."""
    out = []
    for dataset in chapter.datasets:
        for setting, epochs, prefix in settings(chapter):
            groups = group(results, dataset, epochs)
            best = chosen(groups, prefix)
            if best is None or "S-FC SGD" not in groups or groups[best][0]["window"] is None:
                continue
            runs = groups[best]
            lasso = values(runs, live_window)
            sgd = values(groups["S-FC SGD"], live_window)
            shuffled = values(runs, live_shuffled)
            vs_sgd = side(_beats(lasso, sgd), "above", "below", "within noise of")
            vs_shuffled = side(_beats(lasso, shuffled), "above", "below", "within noise of")
            support, pruned = values(runs, live_support), pruned_values(runs, groups["S-FC SGD"])
            vs_support = side(_beats(lasso, support), "above", "below", "within noise of")
            vs_pruned = side(_beats(lasso, pruned), "above", "below", "within noise of")
            c, so_far = runs[0]["config"], run_pull(runs[0])
            regime = "within" if abs(so_far / cl.TABLE2_PULL - 1) <= cl.TOLERANCE else "outside"
            picked = " (best on validation)" if sum(k.startswith(prefix) for k in groups) > 1 else ""
            sentence = (f"**{dataset}, {setting}** ({epochs} epochs, {best}{picked}, L1 pull {so_far:.2f} x the "
                        f"initial bound, {regime} {cl.TOLERANCE:.0%} of the students' {cl.TABLE2_PULL:.2f}, "
                        f"threshold {c.beta * c.lam_first / init_bound(dataset):.2f} x bound): layer 1 keeps "
                        f"{mean_ci_text(values(runs, lambda r: share(r, 0)))}% of its weights; the window mass of "
                        f"its live units is {lasso.nanmean():.3f}, {vs_sgd} SGD's {sgd.mean():.3f} and {vs_shuffled} "
                        f"the {shuffled.nanmean():.3f} of the same weights at shuffled positions, {vs_support} the "
                        f"{support.nanmean():.3f} at variance-weighted positions and {vs_pruned} the "
                        f"{pruned.nanmean():.3f} of S-FC SGD pruned to its sparsity (uniform map "
                        f"{runs[0]['uniform_window']:.3f}).")
            pulls = sorted((k for k in groups if k.startswith("S-FC beta-LASSO pull")),
                           key=lambda k: groups[k][0]["config"].pull)
            if setting == "pull setting" and len(pulls) > 1:
                masses = [values(groups[k], live_window).nanmean().item() for k in pulls]
                rising = all(b > a for a, b in zip(masses, masses[1:]))
                sentence += (" Across the sweep (pull " + ", ".join(f"x{groups[k][0]['config'].pull:g}: {m:.3f}"
                                                                     for k, m in zip(pulls, masses))
                             + f") the mean window mass {'rises with every step of the pull' if rising else 'does not rise monotonically with the pull'}.")
            out.append(sentence)
    return "\n\n".join(out)


def _verdict(card: Scorecard, slug: str) -> str:
    """The verdict of the registered claim `<chapter>.<slug>`, bold."""
    return "**" + next(g.verdict for g in card if g.claim.id == f"{cl.CHAPTER}.{slug}") + "**"


def _locality_words(groups: dict[str, list[dict]], name: str) -> str:
    """'window mass 0.41 against ...': a run kind's live units against SGD and the two strong nulls."""
    runs = groups[name]
    return (f"window mass {values(runs, live_window).nanmean():.2f} against S-FC SGD's "
            f"{values(groups[SGD], live_window).mean():.2f}, {values(runs, live_support).nanmean():.2f} for the same "
            f"weights at variance-weighted positions and {pruned_values(runs, groups[SGD]).nanmean():.2f} for S-FC SGD "
            "pruned to its sparsity")


def _percent(x: torch.Tensor) -> str:
    """'52.3% ± 0.4' style for accuracies in [0, 1]: '52.3 ± 0.4%', or '52.3% (one run)'."""
    text = mean_ci_text(x)
    return text.replace(" (one run)", "% (one run)") if text.endswith("(one run)") else text + "%"


def _seeds(n: int) -> str:
    return f"{n} random seed{'' if n == 1 else 's'}"


def key_findings(results: list[dict], chapter: Chapter, card: Scorecard) -> str:
    """Two to four bullets for the top of the chapter, from the runs and the graded claims."""
    bullets = []
    if "cifar10" in chapter.datasets:
        students, pulled = group(results, "cifar10", chapter.epochs), group(results, "cifar10", chapter.pull_epochs)
        acc = {k: values(v, lambda r: r["test_acc"]) for k, v in students.items()}
        betas = [b for b in (0.0, 1.0, 50.0) if f"S-FC beta-LASSO beta={b:g}" in acc]
        if SGD in acc and betas:
            first = students[f"S-FC beta-LASSO beta={betas[0]:g}"][0]
            bullets.append(
                f"**The students' Table II, on CIFAR-10** ({chapter.epochs} epochs, L1 pull {run_pull(first):.2f} × the "
                f"initial bound, the students' {cl.TABLE2_PULL:.2f}; {_seeds(len(acc[SGD]))}): S-FC SGD ends at "
                f"{_percent(acc[SGD])} and beta-LASSO minus SGD is "
                + "; ".join(f"beta = {b:g}: {_beats(acc[f'S-FC beta-LASSO beta={b:g}'], acc[SGD]).points()} (the "
                            f"students': {100 * (cl.STUDENTS_BETA_ACC[b] - cl.STUDENTS_SGD):+.2f}), "
                            f"{_verdict(card, f'beats-sgd-beta{b:g}')}" for b in betas) + ".")
        near = _nearest(pulled, cl.TABLE2_PULL, "S-FC beta-LASSO pull") if chapter.pulls else None
        local = [f"in the students' setting (beta = 50), {_locality_words(students, 'S-FC beta-LASSO beta=50')}: "
                 f"{_verdict(card, 'local-filters')}" if "S-FC beta-LASSO beta=50" in students and SGD in students
                 else "",
                 f"at pull {pulled[near][0]['config'].pull:g} × the bound ({chapter.pull_epochs} epochs), "
                 f"{_locality_words(pulled, near)}: {_verdict(card, 'local-filters-at-students-pull')}"
                 if near and SGD in pulled else ""]
        if any(local):
            bullets.append("**Locality of the first layer, on CIFAR-10** (the registered claim: at least "
                           f"{cl.LOCAL_MIN:.0%} of the way from every baseline to a {WINDOW}×{WINDOW} kernel): "
                           + "; ".join(t for t in local if t) + ".")
        bce = BCE + "S-FC beta-LASSO beta=50"
        if bce in acc and BCE + SGD in acc:
            bullets.append(f"**The students' loss** (BCE on one-hot targets, {_seeds(len(acc[BCE + SGD]))}): "
                           f"S-FC SGD ends at {_percent(acc[BCE + SGD])} against {_percent(acc[SGD])} with "
                           f"cross-entropy, and beta-LASSO (beta = 50) minus SGD is "
                           f"{_beats(acc[bce], acc[BCE + SGD][:len(acc[bce])]).points()}: {_verdict(card, 'beats-sgd-bce')}.")
    if "mnist" in chapter.datasets:
        students, pulled = group(results, "mnist", chapter.epochs), group(results, "mnist", chapter.pull_epochs)
        near = _nearest(pulled, cl.TABLE2_PULL, "S-FC beta-LASSO pull") if chapter.pulls else None
        parts = [f"beta = 50 in the students' setting: {_verdict(card, 'local-filters-mnist')}"
                 if "S-FC beta-LASSO beta=50" in students else "",
                 f"the pull setting: {_verdict(card, 'local-filters-at-students-pull-mnist')}" if near else ""]
        if any(parts):
            bullets.append(f"**MNIST, beyond the study** ({chapter.beyond_per_class or 'all the'} training images per "
                           "class), locality against the same nulls: " + "; ".join(t for t in parts if t) + ".")
    return "\n".join(f"- {b}" for b in bullets)


def step_flops(widths: list[int], batch: int) -> int:
    """Multiply-adds x 2 of one training step of a dense net with these widths: the forward
    product of every layer, its weight gradient, and the input gradient of every layer but the first."""
    products = [batch * a * b for a, b in zip(widths[:-1], widths[1:])]
    return 2 * (2 * sum(products) + sum(products[1:]))


def step_speed(results: list[dict], dataset: str, alpha: int, batch_size: int) -> str:
    """One S-FC training step on `dataset`'s shapes timed now against the matmul peak measured
    now, and the per-step time of the chapter's own S-FC runs (validation and hooks included)."""
    channels, side = IMAGE_SHAPES[dataset]
    model = make_model("s-fc", alpha, side, channels)
    widths = [m.in_features for m in weight_layers(model)] + [weight_layers(model)[-1].out_features]
    x, y = torch.randn(batch_size, channels, side, side), torch.randint(0, 10, (batch_size,))
    seconds = training_step(model, x, y, steps=20, warmup=5)["seconds"]
    flops, peak = step_flops(widths, batch_size), matmul_peak_gflops()
    runs = [r for r in results if r["config"].dataset == dataset and r["config"].model == "s-fc"]
    per_step = sorted(r["seconds"] / (r["config"].epochs * r["steps_per_epoch"]) for r in runs)
    ran = (f"; the chapter's S-FC runs took {1e3 * per_step[len(per_step) // 2]:.1f} ms per step (median of "
           f"{len(runs)}; per-epoch validation and bookkeeping included)") if runs else ""
    return (f"S-FC on {dataset} (widths {' -> '.join(map(str, widths))}), batch {batch_size}: one SGD step is "
            f"{flops / 1e6:.0f} MFLOP and takes {1e3 * seconds:.2f} ms now, {flops / seconds / 1e9:.0f} GFLOP/s, "
            f"{flops / seconds / 1e9 / peak:.0%} of the {peak:.0f} GFLOP/s float32 matmul peak measured now{ran}.")
