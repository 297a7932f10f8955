"""Table 1, learning curves, effect sizes and the scorecard of the digit-pairs chapter."""
from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure

from .experiment import ARCHS, SEED_STD, SEED_TABLE, VARIANTS
from nblib.scorecard import Claim
from nblib.stats import mean_ci, t_quantile

NAMES = {(False, False): "none", (True, False): "WS", (False, True): "AL", (True, True): "WS+AL"}


def final(result: dict) -> torch.Tensor:
    """Final-epoch test accuracy of every run: (runs,)."""
    return result["test_acc"][-1]


def best_on_test(result: dict) -> torch.Tensor:
    """The seed's number: each run's best test accuracy over epochs (chosen on the test set)."""
    return result["test_acc"].max(0).values


def diff_ci(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    """Mean of a - b for independent runs, and the half-width of its 95% Welch interval."""
    va, vb = a.var() / len(a), b.var() / len(b)
    se = math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1)) if se > 0 else 1
    return (a.mean() - b.mean()).item(), t_quantile(max(1, int(dof))) * se


def table_1(results: dict) -> str:
    """Markdown: ours (final epoch and best-on-test) beside the seed's Table 1."""
    rows = ["| arch | variant | params | ours: final epoch (mean ± std) | ours: best-on-test | seed (best-on-test) "
            "| seed − ours (best-on-test) | within noise? |", "|---" * 8 + "|"]
    for arch in ARCHS:
        for v, variant in enumerate(VARIANTS):
            r = results[(arch, *variant)]
            fin, best = final(r), best_on_test(r)
            seed_mean, seed_std = SEED_TABLE[arch][v], SEED_STD[arch][v]
            # two independent sets of 10 runs: Welch's 95% interval of the difference
            half = t_quantile(2 * len(best) - 2) * math.sqrt(seed_std ** 2 / 10 + best.var().item() / len(best))
            gap = seed_mean - best.mean().item()
            rows.append(f"| {arch} | {NAMES[variant]} | {r['n_params']:,} | {fin.mean():.4f} ± {fin.std():.4f} "
                        f"| {best.mean():.4f} ± {best.std():.4f} | {seed_mean:.4f} ± {seed_std:.4f} "
                        f"| {gap:+.4f} ± {half:.4f} | {'yes' if abs(gap) <= half else 'no'} |")
    return "\n".join(rows)


def effects(results: dict) -> dict[str, dict[str, tuple[float, float]]]:
    """Per architecture: gain from WS alone, AL alone, both, and their interaction (final epoch)."""
    out = {}
    for arch in ARCHS:
        acc = {NAMES[v]: final(results[(arch, *v)]) for v in VARIANTS}
        interaction = acc["WS+AL"] - acc["WS"] - acc["AL"] + acc["none"]  # runs are independent draws
        n = len(acc["none"])
        se = math.sqrt(sum(a.var().item() / n for a in acc.values()))
        out[arch] = {"WS": diff_ci(acc["WS"], acc["none"]), "AL": diff_ci(acc["AL"], acc["none"]),
                     "WS+AL": diff_ci(acc["WS+AL"], acc["none"]),
                     "interaction": (interaction.mean().item(), t_quantile(4 * n - 4) * se)}
    return out


def effects_figure(results: dict) -> Figure:
    fig = Figure(figsize=(7, 3.4))
    ax = fig.subplots()
    eff = effects(results)
    width = 0.2
    for i, (name, color) in enumerate(zip(("WS", "AL", "WS+AL", "interaction"),
                                          ("tab:blue", "tab:orange", "tab:green", "0.5"))):
        xs = [a + (i - 1.5) * width for a in range(len(ARCHS))]
        means = [100 * eff[arch][name][0] for arch in ARCHS]
        halves = [100 * eff[arch][name][1] for arch in ARCHS]
        ax.bar(xs, means, width, yerr=halves, color=color, label=name, capsize=3)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(range(len(ARCHS)), ARCHS)
    ax.set(ylabel="gain over no technique (points)", title="Effect sizes, final-epoch test accuracy (95% CI)")
    ax.legend(fontsize=8)
    return fig


def curves_figure(result: dict) -> Figure:
    """Train/test accuracy of the comparison and of the digits over epochs (median, min-max band)."""
    fig = Figure(figsize=(9, 3.2))
    axes = fig.subplots(1, 2)
    epochs = torch.arange(1, result["test_acc"].shape[0] + 1)
    for ax, (kind, title) in zip(axes, (("acc", "comparison (main task)"), ("digit_acc", "digits (pipes)"))):
        for split, color in (("train", "tab:blue"), ("test", "tab:orange")):
            values = result[f"{split}_{kind}"]  # (epochs, runs)
            ax.plot(epochs, values.median(1).values, color=color, label=split)
            ax.fill_between(epochs, values.min(1).values, values.max(1).values, color=color, alpha=0.2)
        ax.set(xlabel="epoch", ylabel="accuracy", title=title, ylim=(0, 1.02))
        ax.legend(fontsize=8)
    variant = NAMES[(result["sharing"], result["aux"])]
    fig.suptitle(f"{result['arch']} {variant}: {result['test_acc'].shape[1]} runs "
                 "(train accuracy on 250 training pairs per run)", fontsize=9)
    fig.tight_layout()
    return fig


def sweep_figure(sweep: dict, sizes: tuple[int, ...]) -> Figure:
    fig = Figure(figsize=(6, 3.6))
    ax = fig.subplots()
    for (label, runs), color in zip(sweep.items(), ("tab:green", "tab:red")):
        means, halves = zip(*[mean_ci(final(runs[n])) for n in sizes])
        means, halves = torch.stack(means), torch.stack(halves)
        ax.errorbar(sizes, means, yerr=halves, color=color, marker="o", capsize=3, label=label)
    ax.set(xscale="log", xlabel="training pairs", ylabel="final test accuracy",
           title="Accuracy vs training-set size (mean, 95% CI)")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()  # no 3x10^2-style labels between the sizes
    ax.legend(fontsize=8)
    return fig


def scorecard(results: dict) -> list[Claim]:
    means = {k: final(r).mean().item() for k, r in results.items()}
    eff = effects(results)
    rows = []
    conv_best = all(means[("conv", *v)] >= max(means[(a, *v)] for a in ARCHS) for v in VARIANTS)
    rows.append(Claim("The ConvNet is the best architecture for every combination",
                      "conv first in all 4 columns of Table 1",
                      "; ".join(f"{NAMES[v]}: " + ", ".join(f"{a} {means[(a, *v)]:.3f}" for a in ARCHS) for v in VARIANTS),
                      "reproduced" if conv_best else "not reproduced"))
    gain = {a: eff[a]["WS+AL"] for a in ARCHS}
    top = max(gain, key=lambda a: gain[a][0])
    rows.append(Claim("Deep FC gains most from the two techniques together",
                      "+8.81 points (shallow +1.81, conv +5.25)",
                      "; ".join(f"{a} {100 * m:+.1f} ± {100 * h:.1f}" for a, (m, h) in gain.items()),
                      "reproduced" if top == "deep" else "not reproduced"))
    al_minus_ws = {a: diff_ci(final(results[(a, False, True)]), final(results[(a, True, False)])) for a in ARCHS}
    rows.append(Claim("The auxiliary loss helps more than weight sharing",
                      "AL gains 1.1-7.6 points, WS 0.5-3.2",
                      "AL − WS: " + "; ".join(f"{a} {100 * m:+.1f} ± {100 * h:.1f}" for a, (m, h) in al_minus_ws.items()),
                      _verdict(al_minus_ws.values())))
    inter = {a: eff[a]["interaction"] for a in ARCHS}
    seed_inter = {a: 100 * (t[3] - t[1] - t[2] + t[0]) for a, t in SEED_TABLE.items()}
    negative = [a for a, (m, h) in inter.items() if m + h < 0]
    positive = [a for a, (m, h) in inter.items() if m - h > 0]
    rows.append(Claim("The gains are not additive (both < WS + AL)",
                      "e.g. conv: WS +1.2, AL +5.2, both +5.3; interaction (both − WS − AL + none) "
                      + ", ".join(f"{a} {v:+.1f}" for a, v in seed_inter.items()),
                      "interaction " + "; ".join(f"{a} {100 * m:+.1f} ± {100 * h:.1f}" for a, (m, h) in inter.items()),
                      "reproduced" if len(negative) >= 2 else "not reproduced" if positive else "inconclusive"))
    return rows


def _verdict(differences) -> str:
    """A claim that a difference is positive for every architecture, from (mean, 95% half-width)
    pairs: reproduced when every interval is above zero, not reproduced when one is below."""
    differences = list(differences)
    if all(m - h > 0 for m, h in differences):
        return "reproduced"
    return "not reproduced" if any(m + h < 0 for m, h in differences) else "inconclusive"
