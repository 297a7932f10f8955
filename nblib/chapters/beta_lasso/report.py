"""Tables, figures and the scorecard of the beta-LASSO chapter."""
from __future__ import annotations

import torch
from matplotlib.figure import Figure

from .experiment import Chapter, RunConfig, split_sizes
from .nets import make_model, n_params
from nblib.scorecard import Claim, paired, verdict, with_runs
from .sparsity import first_layer_maps, spatial_spread, weight_layers
from nblib.stats import mean_ci

PAPER_PARAMS = {"s-conv": "138M", "s-local": "147M", "s-fc": "256M"}
# CIFAR-10 test accuracy (%): the paper's Table 2 (alpha = 150, 4000 epochs, full data,
# augmentation) and the students' reproduction (alpha = 1, 400 epochs, no augmentation).
PAPER_CIFAR10 = {"S-CONV": 87.05, "S-LOCAL": 85.86, "S-FC SGD": 78.63, "S-FC beta-LASSO beta=50": 85.19}
STUDENTS_CIFAR10 = {"S-FC SGD": 45.07, "S-FC beta-LASSO beta=0": 49.32, "S-FC beta-LASSO beta=1": 51.10,
                    "S-FC beta-LASSO beta=50": 48.54}


def label(config: RunConfig) -> str:
    if config.optimizer == "beta-lasso":
        return f"S-FC beta-LASSO beta={config.beta:g}"
    return "S-FC SGD" if config.model == "s-fc" else config.model.upper()


def param_table(alpha: int, side: int = 32, channels: int = 3) -> str:
    """Markdown: parameters of the six nets at `alpha`, and of the S family at alpha = 150."""
    rows = ["| model | params, alpha = %d | params, alpha = 150 | paper, alpha = 150 |" % alpha, "|---|---|---|---|"]
    for name in ("s-conv", "s-local", "s-fc", "d-conv", "d-local", "d-fc"):
        with torch.device("meta"):  # shapes only: alpha = 150 needs no memory
            small = n_params(make_model(name, alpha, side, channels))
            big = f"{n_params(make_model(name, 150, side, channels)):,}" if name in PAPER_PARAMS else ""
        rows.append(f"| {name.upper()} | {small:,} | {big} | {PAPER_PARAMS.get(name, '')} |")
    return "\n".join(rows)


def results_by_label(results: list[dict], dataset: str) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in results:
        if r["config"].dataset == dataset:
            groups.setdefault(label(r["config"]), []).append(r)
    return groups


def accuracy_table(results: list[dict], dataset: str) -> str:
    """Markdown: balanced test accuracy, mean and 95% interval over seeds, with the seed's numbers."""
    compare = dataset == "cifar10"
    head = "| model | ours: test accuracy % (mean ± 95% CI) | seeds | non-zero weights |"
    head += " students (alpha=1, full data) | paper (alpha=150) |" if compare else ""
    rows = [head, "|---" * (6 if compare else 4) + "|"]
    for name, runs in results_by_label(results, dataset).items():
        acc = torch.tensor([100 * r["test_acc"] for r in runs])
        mean, half = mean_ci(acc)
        nonzero = sum(runs[0]["final_nonzero"])
        row = f"| {name} | {mean:.2f} ± {half:.2f} | {len(runs)} | {nonzero:,} |"
        if compare:
            row += f" {STUDENTS_CIFAR10.get(name, '')} | {PAPER_CIFAR10.get(name, '')} |"
        rows.append(row)
    return "\n".join(rows)


def nonzero_figure(results: list[dict], dataset: str) -> Figure:
    """Non-zero weights per layer of S-FC over epochs under beta-LASSO, with S-CONV and S-LOCAL sizes."""
    groups = results_by_label(results, dataset)
    lasso = {k: v for k, v in groups.items() if "beta-LASSO" in k}
    layers = lasso[next(iter(lasso))][0]["nonzero"].shape[1]
    fig = Figure(figsize=(11, 3.4))
    axes = fig.subplots(1, layers)
    for i, ax in enumerate(axes):
        for (name, runs), color in zip(lasso.items(), ("tab:blue", "tab:orange", "tab:green", "tab:purple")):
            counts = torch.stack([r["nonzero"][:, i] for r in runs]).float()  # (seeds, epochs)
            epochs = torch.arange(1, counts.shape[1] + 1)
            ax.plot(epochs, counts.median(0).values, color=color, label=name.replace("S-FC beta-LASSO ", ""))
            ax.fill_between(epochs, counts.min(0).values, counts.max(0).values, color=color, alpha=0.2)
        for ref, style in (("S-CONV", ":"), ("S-LOCAL", "--")):
            if ref in groups:
                ax.axhline(groups[ref][0]["layer_sizes"][i], color="k", ls=style, lw=1, label=f"{ref} size")
        ax.axhline(lasso[next(iter(lasso))][0]["layer_sizes"][i], color="0.6", lw=1, label="S-FC size")
        ax.set(yscale="log", xlabel="epoch", title=f"layer {i + 1}")
    axes[0].set_ylabel("non-zero weights")
    axes[-1].legend(fontsize=7)
    fig.suptitle(f"{dataset}: S-FC under beta-LASSO (median over seeds, band: min-max)", fontsize=9)
    fig.tight_layout()
    return fig


def filter_maps(result: dict, channels: int, side: int) -> torch.Tensor:
    """First-layer maps |w| of a run's final weights: (units, side, side)."""
    config = result["config"]
    model = make_model(config.model, config.alpha, side, channels)
    with torch.no_grad():
        weight_layers(model)[0].weight.copy_(result["first_layer"])
    return first_layer_maps(model, channels, side)


def filters_figure(result: dict, channels: int, side: int, units: int = 16) -> Figure:
    """The first-layer units with the most weight mass, each drawn over the input image."""
    maps = filter_maps(result, channels, side)
    top = maps.sum((1, 2)).argsort(descending=True)[:units]
    fig = Figure(figsize=(8, 2.3))
    axes = fig.subplots(2, units // 2)
    for ax, u in zip(axes.flat, top):
        ax.imshow(maps[u].numpy(), cmap="viridis")
        ax.set_xticks([]), ax.set_yticks([])
    spread = spatial_spread(maps)
    fig.suptitle(f"{label(result['config'])} ({result['config'].dataset}, seed {result['config'].seed}): "
                 f"|w| of the {units} heaviest first-layer units; median spread "
                 f"{spread.nanmedian():.1f} px", fontsize=9)
    return fig


def locality_table(results: list[dict], dataset: str, channels: int, side: int) -> tuple[str, dict]:
    """Markdown: median spatial spread (px) of first-layer units, per model, mean over seeds."""
    rows, medians = ["| model | spread of first-layer weight mass, px (median over units; mean ± 95% CI over seeds) |",
                     "|---|---|"], {}
    for name, runs in results_by_label(results, dataset).items():
        if name in ("S-CONV",):
            continue
        values = torch.tensor([spatial_spread(filter_maps(r, channels, side)).nanmedian().item() for r in runs])
        mean, half = mean_ci(values)
        medians[name] = mean.item()
        rows.append(f"| {name} | {mean:.2f} ± {half:.2f} |")
    return "\n".join(rows), medians


def scorecard(results: list[dict], chapter: Chapter, spreads: dict) -> list[Claim]:
    """The seed's claims, at our scale (CIFAR-10 when it was run)."""
    dataset = "cifar10" if "cifar10" in chapter.datasets else chapter.datasets[0]
    groups = results_by_label(results, dataset)
    acc = {k: torch.tensor([100 * r["test_acc"] for r in v]) for k, v in groups.items()}
    rows = []
    sgd, lasso = acc.get("S-FC SGD"), {k: v for k, v in acc.items() if "beta-LASSO" in k}
    if sgd is not None and lasso:
        best_name = max(lasso, key=lambda k: lasso[k].mean())
        gain = paired(lasso[best_name], sgd)
        rows.append(Claim("beta-LASSO beats SGD for S-FC (test accuracy)",
                          "students +4.3 to +6.0 points (alpha=1); paper +6.6 (alpha=150)",
                          f"{best_name}: {gain.text()} points ({dataset}, paired by seed)", verdict(gain)))
    if "S-FC SGD" in spreads and lasso:
        best_spread = min(v for k, v in spreads.items() if "beta-LASSO" in k)
        ratio = best_spread / spreads["S-FC SGD"]
        rows.append(Claim("beta-LASSO makes S-FC's first-layer filters local",
                          "filters 'sparse and more local' (pictures only)",
                          f"spread {spreads['S-FC SGD']:.1f} px with SGD -> {best_spread:.1f} px with beta-LASSO"
                          + (f"; S-LOCAL {spreads['S-LOCAL']:.1f} px" if "S-LOCAL" in spreads else ""),
                          with_runs("reproduced" if ratio < 0.75 else "not reproduced" if ratio > 0.95
                                    else "inconclusive", len(groups["S-FC SGD"]))))
    fifty = [k for k in lasso if k.endswith("beta=50")]
    if fifty:
        runs = groups[fifty[0]]
        first = torch.tensor([r["final_nonzero"][0] / r["layer_sizes"][0] for r in runs])
        last = torch.tensor([r["final_nonzero"][-1] / r["layer_sizes"][-1] for r in runs])
        rows.append(Claim("Layer 1 becomes sparse, the last layer stays dense (beta=50)",
                          "students' figure 2 (SVHN, CIFAR-10)",
                          f"non-zero share: layer 1 {first.mean():.1%}, last layer {last.mean():.1%}",
                          with_runs("reproduced" if first.mean() < 0.5 and last.mean() > 0.8 else
                                    "inconclusive" if first.mean() < last.mean() else "not reproduced", len(runs))))
    small = [k for k in lasso if not k.endswith("beta=50")]
    if fifty and small:
        best_small = max(small, key=lambda k: acc[k].mean())
        cost = paired(acc[fifty[0]], acc[best_small])
        rows.append(Claim("Large beta (50) hurts accuracy compared with a small beta (students)",
                          "students: beta=50 48.54 vs beta=1 51.10; paper: beta=50 is its best",
                          f"beta=50 minus {best_small.split()[-1]}: {cost.text()} points", verdict(cost, -1)))
    return rows


FULL_TRAIN = {"cifar10": 50_000, "mnist": 60_000, "cifar100": 50_000, "svhn": 73_257}


def shrink_budget(results: list[dict], dataset: str) -> str:
    """Markdown: how far beta-LASSO's L1 term can move a weight in our run and in the students'.

    Each step moves a weight by lr_t * lam towards 0; over a cosine schedule the sum of lr_t is
    lr / 2 per step, so the total pull is lam * lr / 2 * steps. A first-layer weight starts in
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)); without a consistent gradient it is zeroed once the pull
    exceeds |w| - beta * lam, so the pull over the init range predicts the share zeroed.
    """
    runs = [r for r in results if r["config"].dataset == dataset and r["config"].optimizer == "beta-lasso"]
    config = runs[0]["config"]
    fan_in = runs[0]["first_layer"].shape[1]
    bound = fan_in ** -0.5
    n_train = split_sizes(config)[0]
    rows = ["| | training images | steps | L1 pull (lam * lr/2 * steps) | pull / init bound |", "|---|---|---|---|---|"]
    full = "the students' run" if dataset == "cifar10" else "the full training set"
    for who, n in (("ours", n_train), (full, FULL_TRAIN[dataset])):
        steps = -(-n // config.batch_size) * config.epochs
        pull = config.lam_first * config.lr / 2 * steps
        rows.append(f"| {who} | {n:,} | {steps:,} | {pull:.2e} | {pull / bound:.2f} |")
    observed = ", ".join(f"beta={r['config'].beta:g}: {1 - r['final_nonzero'][0] / r['layer_sizes'][0]:.0%}"
                         for r in runs if r["config"].seed == 0)
    return ("\n".join(rows) + f"\n\nFirst-layer init bound 1/sqrt({fan_in}) = {bound:.4f}. Share of layer-1 "
            f"weights zeroed at the end of our runs (seed 0): {observed}.")
