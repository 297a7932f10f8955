"""Tables, figures, the scorecard and the generated findings of the beta-LASSO chapter.

Results are grouped by dataset and number of epochs: the students' setting runs `epochs`
epochs, the pull setting `pull_epochs` (one group when the two are equal). Every number is a
run's final epoch; a beta or a pull is chosen on validation accuracy, never on test.
"""
from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure

from nblib.machine import matmul_peak_gflops, training_step
from nblib.optim import total_lr
from nblib.scorecard import Claim, Effect, effect, ordering, paired, side, verdict
from nblib.stats import mean_ci_text
from nblib.train import cosine_schedule
from .experiment import IMAGE_SHAPES, Chapter, RunConfig, init_bound, pull
from .nets import make_model, n_params
from .sparsity import WINDOW, first_layer_locality, weight_layers

PAPER_PARAMS = {"s-conv": "138M", "s-local": "147M", "s-fc": "256M"}
# CIFAR-10 test accuracy (%): the paper's Table 2 (alpha = 150, 4000 epochs, full data,
# augmentation) and the students' reproduction (alpha = 1, 400 epochs, no augmentation).
PAPER_CIFAR10 = {"S-CONV": 87.05, "S-LOCAL": 85.86, "S-FC SGD": 78.63, "S-FC beta-LASSO beta=50": 85.19}
STUDENTS_CIFAR10 = {"S-FC SGD": 45.07, "S-FC beta-LASSO beta=0": 49.32, "S-FC beta-LASSO beta=1": 51.10,
                    "S-FC beta-LASSO beta=50": 48.54}
STUDENTS_GAIN = "students +3.5 to +6.0 points (CIFAR-10, alpha = 1, betas 50 / 0 / 1); paper +6.6 (alpha = 150)"
STUDENTS_TRAIN_IMAGES = 50_000  # the students trained on all of CIFAR-10
LOCALITY_RULE = (
    "beta-LASSO makes S-FC's first layer local where the mean window mass of its live units (the share of a "
    f"unit's |weight| in its best {WINDOW}x{WINDOW} window, S-CONV's kernel; units with every weight zero are "
    "left out and counted) exceeds, paired by seed, (1) S-FC SGD's at the same epochs, (2) that of the same "
    "weights at shuffled pixel positions (what sparsity alone gives) and (3) a map uniform over the pixels "
    "where the images vary, each graded by the shared rule: reproduced when all three are, not reproduced "
    "when any is not, inconclusive otherwise. The run graded is chosen on validation accuracy, before its "
    "locality is seen: the best beta of the students' setting, the best pull of the pull setting.")


def label(config: RunConfig) -> str:
    if config.optimizer == "beta-lasso":
        return f"S-FC beta-LASSO pull x{config.pull:g}" if config.pull else f"S-FC beta-LASSO beta={config.beta:g}"
    return "S-FC SGD" if config.model == "s-fc" else config.model.upper()


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
                rows.append(f"| {name} | {epochs} | {steps:,} | {c.lam_first:.3g} | {c.beta:.3g} | "
                            f"{c.beta * c.lam_first:.2g} ({c.beta * c.lam_first / bound:.2f}) | "
                            f"{pull(c) * bound:.3g} ({pull(c):.2f}) |")
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


def locality_table(results: list[dict], chapter: Chapter, dataset: str) -> str:
    """Markdown: window mass of every S-FC and S-LOCAL run with its baselines (mean ± 95% CI over seeds)."""
    rows = ["| run | epochs | window mass, live units | live units | same weights, shuffled positions |",
            "|---|---|---|---|---|"]
    uniform = None
    for epochs in lengths(chapter):
        for name, runs in group(results, dataset, epochs).items():
            if runs[0]["window"] is None:
                continue
            uniform = runs[0]["uniform_window"]
            rows.append(f"| {name} | {epochs} | {mean_ci_text(values(runs, live_window), 1, 3)} | "
                        f"{mean_ci_text(values(runs, live_units), 1, 0)} of {len(runs[0]['window'])} | "
                        f"{mean_ci_text(values(runs, live_shuffled), 1, 3)} |")
    if uniform is not None:
        rows.append(f"\nA map uniform over the pixels where the {dataset} training images vary: {uniform:.3f}; "
                    f"a {WINDOW}x{WINDOW} kernel (S-CONV, S-LOCAL): 1.")
    return "\n".join(rows)


def _pull_so_far(r: dict) -> torch.Tensor:
    """The first layer's L1 pull after each epoch, in units of the initial bound: (epochs,)."""
    c = r["config"]
    schedule = cosine_schedule(c.epochs)
    per_epoch = torch.tensor([c.lr * schedule(e) * r["steps_per_epoch"] * c.lam_first for e in range(c.epochs)])
    return per_epoch.cumsum(0) / init_bound(c.dataset)


def training_figure(results: list[dict], chapter: Chapter, dataset: str) -> Figure:
    """Window mass of live units and layer-1 non-zero share against the pull accumulated so far,
    for every beta-LASSO run (mean over seeds), with S-FC SGD and the uniform map as references."""
    fig = Figure(figsize=(10, 3.6))
    ax_w, ax_n = fig.subplots(1, 2)
    colors = iter(["tab:red", "tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink"])
    uniform = None
    for name_setting, epochs, prefix in settings(chapter):
        groups = group(results, dataset, epochs)
        for name, runs in groups.items():
            if not name.startswith(prefix):
                continue
            color = next(colors, "k")
            x = _pull_so_far(runs[0])
            window = torch.stack([r["locality"][:, 0] for r in runs]).double()
            nonzero = torch.stack([r["nonzero"][:, 0] / r["layer_sizes"][0] for r in runs]).double()
            text = f"{name.replace('S-FC beta-LASSO ', '')} ({epochs} ep)"
            ax_w.plot(x, window.nanmean(0), color=color, label=text)
            ax_n.plot(x, 100 * nonzero.mean(0), color=color, label=text)
            uniform = runs[0]["uniform_window"]
        if "S-FC SGD" in groups:
            sgd = values(groups["S-FC SGD"], live_window).mean().item()
            ax_w.axhline(sgd, color="0.4", ls=":" if epochs == chapter.epochs else "-.", lw=1,
                         label=f"S-FC SGD, final ({epochs} ep)")
    if uniform is not None:
        ax_w.axhline(uniform, color="k", ls="--", lw=1, label="uniform over the image area")
    ax_w.set(xscale="log", xlabel="L1 pull so far / initial bound", ylabel=f"window mass ({WINDOW}x{WINDOW}), live units",
             ylim=(0, 1))
    ax_n.set(xscale="log", yscale="log", xlabel="L1 pull so far / initial bound", ylabel="layer-1 weights non-zero, %")
    ax_w.legend(fontsize=6)
    ax_n.legend(fontsize=6)
    fig.suptitle(f"{dataset}: S-FC's first layer under beta-LASSO, after every epoch (mean over seeds)", fontsize=9)
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
            else "all the training data available here")
    pulls = (f" **Pull setting**: pulls {', '.join(f'{m:g}' for m in chapter.pulls)} x the initial bound, "
             f"threshold beta * lambda = {chapter.threshold:g}, {chapter.pull_epochs} epochs, with S-FC SGD, "
             f"S-CONV and S-LOCAL (SGD) for as many epochs." if chapter.pulls else " No pull setting in this run.")
    return (f"Alpha = {chapter.alpha}; softmax cross-entropy; batch {chapter.batch_size}; cosine schedule from lr "
            f"{chapter.lr:g}; SGD momentum {chapter.momentum:g}, weight decay {chapter.weight_decay:g}; augmentation "
            f"{'on' if chapter.augment else 'off'}; {data}, {chapter.val_fraction:.0%} of it held out for "
            f"validation; {chapter.seeds} seed(s). **Students' setting**: lambda {chapter.lam_first:g} (first layer) "
            f"and {chapter.lam_rest:g} (the others), beta {', '.join(f'{b:g}' for b in chapter.betas)}, "
            f"{chapter.epochs} epochs, with S-FC SGD for as many." + pulls)


def scale_note(results: list[dict], chapter: Chapter) -> str:
    """Markdown: the scale of this execution against the paper's, from the runs themselves."""
    units = {d: next(r["layer_sizes"][0] // (IMAGE_SHAPES[d][0] * IMAGE_SHAPES[d][1] ** 2) for r in results
                     if r["config"].dataset == d and r["config"].model == "s-fc") for d in chapter.datasets}
    notes = {d: next(r["note"].split(";")[0] for r in results if r["config"].dataset == d) for d in chapter.datasets}
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


def locality_claim(groups: dict[str, list[dict]], name: str, epochs: int, setting: str) -> Claim | None:
    if "S-FC SGD" not in groups or groups[name][0]["window"] is None:
        return None
    runs = groups[name]
    lasso, sgd = values(runs, live_window), values(groups["S-FC SGD"], live_window)
    shuffled, uniform = values(runs, live_shuffled), runs[0]["uniform_window"]
    effects = {"SGD": _beats(lasso, sgd), "shuffled": _beats(lasso, shuffled),
               "uniform": effect(lasso[~lasso.isnan()] - uniform)}
    grade = ordering(verdict(e) for e in effects.values())
    dataset = runs[0]["config"].dataset
    ours = (f"{dataset}, {setting}, {name} ({epochs} ep): window mass {mean_ci_text(lasso, 1, 3)} vs SGD "
            f"{sgd.mean():.3f} ({effects['SGD'].text(digits=3)}), vs shuffled {shuffled.nanmean():.3f} "
            f"({effects['shuffled'].text(digits=3)}), vs uniform {uniform:.3f} ({effects['uniform'].text(digits=3)}); live units "
            f"{values(runs, live_units).mean():.0f} of {len(runs[0]['window'])}")
    return Claim("beta-LASSO makes S-FC's first-layer filters local", "filters 'sparse and more local' (pictures only)",
                 ours, grade)


def scorecard(results: list[dict], chapter: Chapter) -> list[Claim]:
    """The seed's claims, per dataset and setting, graded by the shared rule."""
    rows = []
    for dataset in chapter.datasets:
        for setting, epochs, prefix in settings(chapter):
            groups = group(results, dataset, epochs)
            acc = {k: values(v, lambda r: 100 * r["test_acc"]) for k, v in groups.items()}
            best = chosen(groups, prefix)
            if best is None:
                continue
            if "S-FC SGD" in acc:
                gain = paired(acc[best], acc["S-FC SGD"])
                rows.append(Claim("beta-LASSO beats SGD for S-FC (test accuracy)", STUDENTS_GAIN,
                                  f"{dataset}, {setting} ({epochs} ep), {best} (best on validation): "
                                  f"{gain.text()} points, paired by seed", verdict(gain)))
            claim = locality_claim(groups, best, epochs, setting)
            if claim:
                rows.append(claim)
            last = len(groups[best][0]["layer_sizes"]) - 1
            gap = effect(values(groups[best], lambda r: share(r, last) - share(r, 0)))
            rows.append(Claim("Layer 1 becomes sparse, the last layer stays dense",
                              "students' figure 2 (SVHN, CIFAR-10): layer 1 falls to a few %, the last stays near 100%",
                              f"{dataset}, {setting}, {best}: non-zero layer 1 "
                              f"{mean_ci_text(values(groups[best], lambda r: share(r, 0)))}%, last layer "
                              f"{mean_ci_text(values(groups[best], lambda r: share(r, last)))}%; "
                              f"last minus first {gap.text(100, 1)} points", verdict(gap)))
            betas = [k for k in groups if k.startswith("S-FC beta-LASSO beta=")]
            fifty = "S-FC beta-LASSO beta=50"
            if setting == "students' setting" and fifty in betas and len(betas) > 1:
                small = chosen({k: groups[k] for k in betas if k != fifty}, prefix)
                cost = paired(acc[fifty], acc[small])
                rows.append(Claim("Large beta (50) hurts accuracy compared with a small beta (students)",
                                  "students: beta=50 48.54 vs beta=1 51.10; paper: beta=50 is its best",
                                  f"{dataset}: beta=50 minus {small.split()[-1]} (best small on validation): "
                                  f"{cost.text()} points", verdict(cost, -1)))
    return rows


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
            c = runs[0]["config"]
            sentence = (f"**{dataset}, {setting}** ({epochs} epochs, {best}, L1 pull {pull(c):.2f} x the initial "
                        f"bound, threshold {c.beta * c.lam_first / init_bound(dataset):.2f} x bound): layer 1 keeps "
                        f"{mean_ci_text(values(runs, lambda r: share(r, 0)))}% of its weights; the window mass of "
                        f"its live units is {lasso.nanmean():.3f}, {vs_sgd} SGD's {sgd.mean():.3f} and {vs_shuffled} "
                        f"the {shuffled.nanmean():.3f} of the same weights at shuffled positions (uniform map "
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
