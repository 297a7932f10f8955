"""Tables, figures and the scorecard of the weight-divergence chapter."""
from __future__ import annotations

import functools

import torch
from matplotlib.figure import Figure

from nblib.scorecard import Claim, Effect, effect, ordering, paired, side, verdict
from nblib.stats import mean_ci_text, plot_mean_band

from .experiment import PROBE, Chapter, LeakDemo, _row_keys, leaky_split

SEED = {"cnn_epochs": 100, "patience": "100 (CIFAR-10) / 50 (MNIST)", "after": "to a validation plateau",
        "lr": "Adam 1e-4 (CIFAR-10) / 1e-3 (MNIST)"}  # the seed's protocol, for the setting sentence
SEED_COSINE = 0.7  # the seed's ring distances at the end of its sigma 0.5 run ("about 0.7")
OTT = {"cnn": 0.6711, "free": 0.6473}  # CIFAR-10 validation, no augmentation, median of 5 folds
LAYER = "l1"  # distances are read on the first layer, where every ring fits


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


LEAK_CURVES = (("leaky", "balanced copied", "seed's split: 'validation' images with a copy in training", "tab:red"),
               ("leaky", "balanced unseen", "seed's split: 'validation' images without a copy", "tab:orange"),
               ("clean", "balanced all", "a clean split", "black"))


@functools.lru_cache(maxsize=None)
def unseen_classes(demo: LeakDemo) -> tuple[int, int]:
    """For one leak demonstration's shuffle: how many 'validation' images have no copy in training,
    and how many classes they cover (recomputed from the data: the shuffle is deterministic)."""
    x, _, x_val, y_val = leaky_split(demo.dataset, demo.seed)
    seen = set(_row_keys(x))
    unseen = torch.tensor([k not in seen for k in _row_keys(x_val)])
    return int(unseen.sum()), len(y_val[unseen].unique())


def leak_testable(demos: list[dict], dataset: str, classes: int = 10) -> bool:
    """Whether copied against unseen compares like with like: in every shuffle the unseen images
    cover every class. On the CIFAR-10 copy they do not: they come from the merged array's last
    20%, its class-skewed test part."""
    return all(unseen_classes(d["demo"])[1] == classes for d in _demos(demos, dataset))


def leak_table(demos: list[dict]) -> str:
    """Markdown: per dataset, the leaky split's duplicates, the plain 'validation' accuracy the seed
    reported, and the class-balanced accuracy of the same model on the validation images with and
    without a copy in training, and on a clean split (paired by seed, after the last epoch)."""
    lines = ["| data | merged images | distinct | 'validation' with a copy in training | epochs "
             "| seed's split, plain 'validation' (%) | with a copy (%) | without (%) | with − without (points) "
             "| clean split (%) |", "|---" * 10 + "|"]
    for name in sorted({d["demo"].dataset for d in demos}):
        runs = _demos(demos, name)
        last = {part: _leak_curve(runs, split, part)[:, -1] for split, part, _, _ in LEAK_CURVES}
        plain = _leak_curve(runs, "leaky", "val_acc")[:, -1]
        distinct = torch.tensor([d["stats"]["distinct"] for d in runs]).double()
        shared = torch.tensor([d["stats"]["val_in_train"] for d in runs]).double()
        lines.append(f"| {name} | {runs[0]['stats']['images']:,} | {mean_ci_text(distinct, 1, 0)} | "
                     f"{mean_ci_text(shared)}% | {runs[0]['demo'].epochs} | {mean_ci_text(plain)} "
                     f"| {mean_ci_text(last['balanced copied'])} | {mean_ci_text(last['balanced unseen'])} "
                     f"| {leak_effect(demos, name).points()} | {mean_ci_text(last['balanced all'])} |")
    return "\n".join(lines)


def leak_effect(demos: list[dict], dataset: str, epoch: int = -1) -> Effect:
    """On the seed's split, balanced accuracy on 'validation' images with a copy in training minus
    on those without, after `epoch` (index; the last by default), paired by seed."""
    runs = _demos(demos, dataset)
    return paired(_leak_curve(runs, "leaky", "balanced copied")[:, epoch],
                  _leak_curve(runs, "leaky", "balanced unseen")[:, epoch])


def leak_figure(demos: list[dict]) -> Figure:
    """Class-balanced validation accuracy per epoch: the seed's split, its images with and without a
    copy in training, and a clean split (mean and 95% band over seeds), one panel per dataset."""
    names = sorted({d["demo"].dataset for d in demos})
    fig = Figure(figsize=(5.5 * len(names), 3.6))
    for ax, name in zip(fig.subplots(1, len(names), squeeze=False)[0], names):
        runs = _demos(demos, name)
        for split, part, label, color in LEAK_CURVES:
            acc = _leak_curve(runs, split, part)
            plot_mean_band(ax, torch.arange(1, acc.shape[1] + 1), 100 * acc, label, color=color)
        ax.set(title=name, xlabel="epoch", ylabel="class-balanced validation accuracy (%)")
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
        plot_mean_band(ax, after, scale * _stack(runs, "free", name), "free net", color="tab:red")
        plot_mean_band(ax, after, scale * _stack(runs, "cnn_after", name), "CNN continued", color="black",
                       linestyle="--")
        ax.axvline(0, color="gray", linestyle=":")
        ax.set(xlabel="epochs after the switch", ylabel=title)
    axes[1].legend(fontsize=8)
    run = runs[0]["run"]
    fig.suptitle(f"{run.dataset}, noise sigma = {run.sigma:g}, shift = {run.shift}")
    fig.tight_layout()
    return fig


def distance_figure(freed: list[dict], scratch: list[dict] | None) -> Figure:
    """Euclidean and cosine distance between neighbouring filters (ring 1 and 4, first layer) over
    the epochs after the switch, and for a free net trained from a random initialisation."""
    fig = Figure(figsize=(10, 3.6))
    axes = fig.subplots(1, 2)
    for ax, kind in zip(axes, ("euclid", "cosine")):
        for ring, style in ((1, "-"), (4, "--")):
            d = distance(freed, kind, ring)
            plot_mean_band(ax, torch.arange(1, d.shape[1] + 1), d, f"freed CNN, ring {ring}", color="tab:red", linestyle=style)
            for i, c in enumerate(curves(scratch or [], kind, ring)):  # each seed: they stop at their plateau
                ax.plot(torch.arange(1, len(c) + 1), c, color="tab:gray", linestyle=style, linewidth=1,
                        label=f"free from random init, ring {ring} (each seed)" if i == 0 else None)
        ax.set(xlabel="epochs after the switch (from the start for random init)",
               ylabel=f"{'Euclidean' if kind == 'euclid' else 'cosine'} distance", yscale="log")
    axes[1].legend(fontsize=8)
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


def robustness_table(g: dict) -> str:
    """Markdown: accuracy under FGSM and Gaussian noise, free net minus CNN continued (paired)."""
    keys = sorted(next(iter(g.values()))[0]["free"]["robustness"])
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


# --- claims ------------------------------------------------------------------------------------

def _gap(runs: list[dict], branch: str) -> torch.Tensor:
    """Final validation loss minus final clean training loss (overfitting, in loss)."""
    return final(runs, branch, "val_loss") - final(runs, branch, "train_clean_loss")


def scorecard(g: dict, demos: list[dict], attack: str = "fgsm 0.03") -> list[Claim]:
    """The seed's and Ott's claims, graded by the shared rule at this chapter's scale."""
    rows = []
    plain = {(name, sigma): runs for (name, sigma, shift, init), runs in g.items() if init == "cnn" and shift == 0}
    effects = {k: effect(_end_distance(runs)) for k, runs in plain.items()}
    rows.append(Claim("Freed weights diverge (first-layer cosine distance at ring 1 after training, every setting)",
                      "yes (figures 2, 4, 6)",
                      "; ".join(f"{n} sigma {s:g}: {mean_ci_text(_end_distance(r), 1000, 2)} ×1e-3"
                                for (n, s), r in sorted(plain.items())),
                      ordering(verdict(e) for e in effects.values())))
    far = {k: effect(_end_distance(runs) - SEED_COSINE) for k, runs in plain.items() if k[1] == 0.5}
    if far:
        after = next(iter(plain.values()))[0]["run"].after_epochs
        rows.append(Claim(f"They diverge as far as the seed saw (cosine distance reaching {SEED_COSINE:g}, sigma 0.5; "
                          f"ours after {after} epochs, the seed's after ~100)", f"~{SEED_COSINE:g} at the end of training",
                          "; ".join(f"{n}: {mean_ci_text(_end_distance(plain[(n, s)]), 1, 3)}" for n, s in sorted(far)),
                          ordering(verdict(e) for e in far.values())))
    noisier = {}
    for (name, sigma), runs in plain.items():
        if sigma > 0 and (name, 0.0) in plain:
            noisier[(name, sigma)] = paired(_end_distance(runs), _end_distance(plain[(name, 0.0)]))
    if noisier:
        rows.append(Claim("Noise increases divergence (cosine distance, sigma against 0, paired by seed)", "yes",
                          "; ".join(f"{n} sigma {s:g}: {e.text(1, 3)}" for (n, s), e in sorted(noisier.items())),
                          ordering(verdict(e) for e in noisier.values())))
    less = {k: effect(free_minus_cnn(r)) for k, r in plain.items()}
    rows.append(Claim("The free net is less accurate than the CNN continued (test accuracy)",
                      "yes (e.g. 94.0% vs 95.8% at sigma 0.3, on the leaky split)",
                      "; ".join(f"{n} sigma {s:g}: {e.points()}" for (n, s), e in sorted(less.items())),
                      ordering(verdict(e, -1) for e in less.values())))
    over = {k: paired(_gap(r, "free"), _gap(r, "cnn_after")) for k, r in plain.items()}
    rows.append(Claim("The free net overfits more (validation minus training loss, free minus CNN)", "yes",
                      "; ".join(f"{n} sigma {s:g}: {e.text(1, 3)}" for (n, s), e in sorted(over.items())),
                      ordering(verdict(e) for e in over.values())))
    robust = {k: paired(*(torch.tensor([x[b]["robustness"][attack] for x in r]).double() for b in ("free", "cnn_after")))
              for k, r in plain.items()}
    rows.append(Claim(f"The free net is less robust ({attack}: free minus CNN)", "yes (its summary says so; it measured no robustness)",
                      "; ".join(f"{n} sigma {s:g}: {e.points()}" for (n, s), e in sorted(robust.items())),
                      ordering(verdict(e, -1) for e in robust.values())))
    if ("cifar10", 0.0, 0, "random") in g and ("cifar10", 0.0) in plain:
        e = paired(final(g[("cifar10", 0.0, 0, "random")], "free"), final(plain[("cifar10", 0.0)], "cnn"))
        rows.append(Claim("Ott: trained from scratch to a plateau, the free net is less accurate than the CNN at its "
                          "plateau (CIFAR-10, no augmentation)", f"{100 * OTT['free']:.2f} vs {100 * OTT['cnn']:.2f}%",
                          e.points(), verdict(e, -1, OTT["free"] - OTT["cnn"])))
    for name in sorted({d["demo"].dataset for d in demos}):
        e = leak_effect(demos, name)
        testable = leak_testable(demos, name)
        rows.append(Claim(f"The seed's 'validation' accuracy is inflated by the leak ({name}: on its split, images "
                          "with a copy in training minus those without, class-balanced)",
                          "95.8% / 94.0% where Ott reports 56-67%",
                          e.points() if testable else f"{e.points()}, not a test here: the images without a copy "
                          f"cover only {unseen_classes(_demos(demos, name)[0]['demo'])[1]} of 10 classes",
                          verdict(e) if testable else "inconclusive"))
    return rows + shift_claims(g)


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


def shift_claims(g: dict) -> list[Claim]:
    """Beyond the seed (its future work): translation augmentation and divergence, and Ott's gap."""
    effects = shift_effects(g)
    if not effects:
        return []
    return [
        Claim("Beyond the seed: with random shifts the freed filters diverge less (ring-1 cosine distance, "
              "shift minus none)", "its future work (a hypothesis, no number)",
              "; ".join(f"{n} shift {s}: {d.text(1000, 2)} ×1e-3" for (n, s), (d, _) in effects.items()),
              ordering(verdict(d, -1) for d, _ in effects.values())),
        Claim("Beyond the seed: with random shifts the free net closes its gap to the CNN (change of free − CNN)",
              "Ott: gap 2.4 points without augmentation, 4.3 with their best translations (CNN 77.41 at 30%, "
              "free 73.15 at 20%)",
              "; ".join(f"{n} shift {s}: {e.points()}" for (n, s), (_, e) in effects.items()),
              ordering(verdict(e) for _, e in effects.values())),
    ]


def setting(chapter: Chapter, sizes: dict[str, dict[str, int]]) -> str:
    """One sentence: this run next to the seed's, every reduction named; sizes: dataset -> a run's
    "sizes" (train, val and test images)."""
    lr = "Ott's Adam learning rates" if not chapter.lr else f"Adam lr {chapter.lr:g} for both nets"
    data = "; ".join(f"{name}: {n['train']:,} training, {n['val']:,} validation and {n['test']:,} test images"
                     + (" (the partial offline copy of CIFAR-10, not the full 50,000 / 10,000; test accuracy "
                        "class-balanced)" if name == "cifar10" else "")
                     for name, n in sizes.items())
    return (f"This run is reduced from the seed's: the CNN for at most {chapter.cnn_epochs} epochs with early "
            f"stopping after {chapter.patience} epochs without a better validation loss (seed: {SEED['cnn_epochs']} "
            f"epochs, patience {SEED['patience']}); {chapter.after_epochs} epochs after the switch for both nets "
            f"(seed: {SEED['after']}); {lr} (seed: {SEED['lr']}); {chapter.seeds} seeds (seed: one run); "
            f"noise sigma {', '.join(f'{s:g}' for s in chapter.sigmas)}; "
            + (f"shifts {', '.join(str(s) for s in chapter.shifts if s)} pixels without noise; " if any(chapter.shifts)
               else "") + f"on {data}.")


def findings(g: dict, demos: list[dict]) -> str:
    """The chapter's conclusions in words, each read off an interval by the shared rule."""
    plain = {(n, s): runs for (n, s, sh, init), runs in sorted(g.items()) if init == "cnn" and sh == 0}
    bullets = []
    for name in sorted({n for n, _ in plain}):
        leak = _demos(demos, name)
        if leak:
            e, epochs = leak_effect(demos, name), leak[0]["demo"].epochs
            growth = (f" (after the first epoch: {leak_effect(demos, name, 0).points()}; the seed trained for 100 "
                      "epochs and more)" if epochs > 1 else "")
            if not leak_testable(demos, name):
                n, k = unseen_classes(leak[0]["demo"])
                shared = sum(d["stats"]["val_in_train"] for d in leak) / len(leak)
                bullets.append(f"**The leak** ({name}): {100 * shared:.0f}% of the seed's 'validation' images are "
                               f"training images too (table above), but this copy cannot show what that does to "
                               f"accuracy: its {n} 'validation' images without a copy (shuffle seed "
                               f"{leak[0]['demo'].seed}) are of {k} of the 10 classes only, so 'copied against "
                               f"unseen' compares different classes ({e.points()} after {epochs} epochs).")
            else:
                bullets.append(f"**The leak** ({name}): after {epochs} epoch{'s' * (epochs != 1)} on the seed's split, its "
                               f"'validation' images that have a copy in training are classified "
                               f"{side(e, 'better than', 'worse than', 'no differently, within noise, from')} those "
                               f"without ({e.points()}, class-balanced, paired by seed){growth}.")
        for sigma in sorted(s for n, s in plain if n == name):
            runs = plain[(name, sigma)]
            acc = effect(free_minus_cnn(runs))
            epochs = runs[0]["run"].after_epochs
            bullets.append(f"{name}, sigma {sigma:g}: after {epochs} epoch{'s' * (epochs != 1)} the freed first-layer "
                           f"filters sit at a ring-1 cosine distance of {mean_ci_text(_end_distance(runs), 1000, 2)} "
                           f"×1e-3 (0 at the switch); the free net is "
                           f"{side(acc, 'more accurate than', 'less accurate than', 'as accurate, within noise, as')} "
                           f"the CNN continued ({acc.points()}).")
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
