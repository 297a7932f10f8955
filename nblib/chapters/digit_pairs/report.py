"""Table 1, learning curves, effect sizes and the scorecard of the digit-pairs chapter."""
from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure

from .experiment import ARCHS, SEED_STD, SEED_TABLE, VARIANTS
from nblib.scorecard import Claim, Effect, effect, ordering, paired, side, unpaired, verdict
from nblib.stats import mean_ci, t_quantile

DIGIT_LEVEL = 0.90  # the seed: "the convolutional pipes easily achieve more than 90% accuracy on the auxiliary task"
NAMES = {(False, False): "none", (True, False): "WS", (False, True): "AL", (True, True): "WS+AL"}


def final(result: dict) -> torch.Tensor:
    """Final-epoch test accuracy of every run: (runs,)."""
    return result["test_acc"][-1]


def best_on_test(result: dict) -> torch.Tensor:
    """The seed's number: each run's best test accuracy over epochs (chosen on the test set)."""
    return result["test_acc"].max(0).values


def seed_gaps(results: dict) -> dict[tuple, tuple[float, float]]:
    """Per model: seed minus ours (best-on-test means) and the half-width of its 95% Welch interval."""
    gaps = {}
    for arch in ARCHS:
        for v, variant in enumerate(VARIANTS):
            best = best_on_test(results[(arch, *variant)])
            # two independent sets of 10 runs: Welch's 95% interval of the difference
            half = t_quantile(2 * len(best) - 2) * math.sqrt(SEED_STD[arch][v] ** 2 / 10 + best.var().item() / len(best))
            gaps[(arch, *variant)] = (SEED_TABLE[arch][v] - best.mean().item(), half)
    return gaps


def table_1(results: dict) -> str:
    """Markdown: ours (final epoch and best-on-test) beside the seed's Table 1."""
    rows = ["| arch | variant | params | ours: final epoch (mean ± std) | ours: best-on-test | seed (best-on-test) "
            "| seed − ours (best-on-test) | within noise? |", "|---" * 8 + "|"]
    gaps = seed_gaps(results)
    for arch in ARCHS:
        for v, variant in enumerate(VARIANTS):
            r = results[(arch, *variant)]
            fin, best = final(r), best_on_test(r)
            gap, half = gaps[(arch, *variant)]
            rows.append(f"| {arch} | {NAMES[variant]} | {r['n_params']:,} | {fin.mean():.4f} ± {fin.std():.4f} "
                        f"| {best.mean():.4f} ± {best.std():.4f} | {SEED_TABLE[arch][v]:.4f} ± {SEED_STD[arch][v]:.4f} "
                        f"| {gap:+.4f} ± {half:.4f} | {'yes' if abs(gap) <= half else 'no'} |")
    return "\n".join(rows)


def paired_effects(results: dict) -> dict[str, dict[str, Effect]]:
    """Per architecture: gain from WS alone, AL alone, both, their interaction, and AL minus WS
    (final epoch), paired by run: run r of every model trains and tests on the same draw of pairs."""
    out = {}
    for arch in ARCHS:
        acc = {NAMES[v]: final(results[(arch, *v)]) for v in VARIANTS}
        out[arch] = {"WS": paired(acc["WS"], acc["none"]), "AL": paired(acc["AL"], acc["none"]),
                     "WS+AL": paired(acc["WS+AL"], acc["none"]),
                     "interaction": paired(acc["WS+AL"] - acc["WS"], acc["AL"] - acc["none"]),
                     "AL-WS": paired(acc["AL"], acc["WS"])}
    return out


def effects_figure(results: dict) -> Figure:
    fig = Figure(figsize=(7, 3.4))
    ax = fig.subplots()
    eff = paired_effects(results)
    width = 0.2
    for i, (name, color) in enumerate(zip(("WS", "AL", "WS+AL", "interaction"),
                                          ("tab:blue", "tab:orange", "tab:green", "0.5"))):
        xs = [a + (i - 1.5) * width for a in range(len(ARCHS))]
        means = [100 * eff[arch][name].mean for arch in ARCHS]
        halves = [100 * eff[arch][name].half for arch in ARCHS]
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
    """The seed's claims, each graded by the shared rule on paired intervals (run r of every model
    uses the same draw of pairs)."""
    eff = paired_effects(results)
    rows = []
    leads = {(v, a): paired(final(results[("conv", *v)]), final(results[(a, *v)]))
             for v in VARIANTS for a in ARCHS if a != "conv"}
    rows.append(Claim("The ConvNet is the best architecture for every combination",
                      "conv first in all 4 columns of Table 1",
                      "conv lead (points, paired): " + "; ".join(
                          f"{NAMES[v]}: over {a} {e.text(100, 1)}" for (v, a), e in leads.items()),
                      ordering(verdict(e) for e in leads.values())))
    gain = {a: eff[a]["WS+AL"] for a in ARCHS}
    deep_over = {a: paired(final(results[("deep", True, True)]) - final(results[("deep", False, False)]),
                           final(results[(a, True, True)]) - final(results[(a, False, False)]))
                 for a in ARCHS if a != "deep"}
    rows.append(Claim("Deep FC gains most from the two techniques together",
                      "+8.81 points (shallow +1.81, conv +5.25)",
                      "gain: " + "; ".join(f"{a} {e.text(100, 1)}" for a, e in gain.items())
                      + "; deep's gain minus: " + "; ".join(f"{a}'s {e.text(100, 1)}" for a, e in deep_over.items()),
                      ordering(verdict(e) for e in deep_over.values())))
    al_minus_ws = {a: eff[a]["AL-WS"] for a in ARCHS}
    rows.append(Claim("The auxiliary loss helps more than weight sharing",
                      "AL gains 1.1-7.6 points, WS 0.5-3.2",
                      "AL − WS: " + "; ".join(f"{a} {e.text(100, 1)}" for a, e in al_minus_ws.items()),
                      ordering(verdict(e) for e in al_minus_ws.values())))
    inter = {a: eff[a]["interaction"] for a in ARCHS}
    seed_inter = {a: 100 * (t[3] - t[1] - t[2] + t[0]) for a, t in SEED_TABLE.items()}
    graded = [verdict(e, -1) for e in inter.values()]
    rows.append(Claim("The gains are not additive (both < WS + AL)",
                      "e.g. conv: WS +1.2, AL +5.2, both +5.3; interaction (both − WS − AL + none) "
                      + ", ".join(f"{a} {v:+.1f}" for a, v in seed_inter.items()),
                      "interaction " + "; ".join(f"{a} {e.text(100, 1)}" for a, e in inter.items()),
                      "reproduced" if graded.count("reproduced") >= 2 else
                      "not reproduced" if "not reproduced" in graded else "inconclusive"))
    shallow_over_deep = paired(final(results[("shallow", False, False)]), final(results[("deep", False, False)]))
    seed_gap = SEED_TABLE["shallow"][0] - SEED_TABLE["deep"][0]
    rows.append(Claim("With no technique the shallow FC net slightly beats the deep one",
                      f"shallow {SEED_TABLE['shallow'][0]:.4f} vs deep {SEED_TABLE['deep'][0]:.4f} "
                      f"({100 * seed_gap:+.2f} points)",
                      f"shallow − deep: {shallow_over_deep.text(100, 1)} points (paired)",
                      verdict(shallow_over_deep, seed_effect=seed_gap)))
    digits = {NAMES[v]: effect(results[("conv", *v)]["test_digit_acc"][-1] - DIGIT_LEVEL)
              for v in VARIANTS if v[1]}
    rows.append(Claim("The ConvNet pipes easily exceed 90% accuracy on the auxiliary (digit) task",
                      "'more than 90%' (no number)",
                      "conv digit accuracy − 90%: " + "; ".join(f"{k} {e.text(100, 1)} points" for k, e in digits.items()),
                      ordering(verdict(e) for e in digits.values())))
    return rows


def findings(results: dict, sweep: dict, sizes: list[int]) -> str:
    """The chapter's summary paragraph, every comparison decided from the intervals above."""
    gaps = seed_gaps(results)
    off = [(m, g) for m, (g, h) in gaps.items() if abs(g) > h]
    off_text = ("; ".join(f"{m[0]} + {NAMES[m[1:]]} is {'lower' if g > 0 else 'higher'} here by "
                          f"{100 * abs(g):.1f} points" for m, g in off) or "none differs")
    inflation = torch.cat([best_on_test(r) - final(r) for r in results.values()]).mean().item()
    conv_best, deep_most = (c.verdict for c in scorecard(results)[:2])
    eff = paired_effects(results)
    al_ws = {a: eff[a]["AL-WS"] for a in ARCHS}
    al_text = ", ".join(f"{a}: {side(e, 'AL ahead', 'WS ahead')} ({100 * e.mean:+.1f} ± {100 * e.half:.1f})"
                        for a, e in al_ws.items())
    seed_inter = {a: 100 * (t[3] - t[1] - t[2] + t[0]) for a, t in SEED_TABLE.items()}
    inter_text = ", ".join(
        f"{a} {100 * e.mean:+.1f} ± {100 * e.half:.1f} ({side(e, 'above zero', 'below zero', 'contains zero')}; "
        f"{'contains' if abs(100 * e.mean - seed_inter[a]) <= 100 * e.half else 'excludes'} the seed's "
        f"{seed_inter[a]:+.1f})" for a, e in ((a, eff[a]["interaction"]) for a in ARCHS))
    runs = len(final(next(iter(results.values()))))
    half = sum(e.half for e in al_ws.values()) / len(al_ws)
    steps = []
    for label, by_size in sweep.items():
        moves = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            e = unpaired(final(by_size[b]), final(by_size[a]))
            moves.append(f"{a}→{b} {side(e, 'higher', 'lower')} ({100 * e.mean:+.1f} ± {100 * e.half:.1f})")
        steps.append(f"{label}: " + ", ".join(moves))
    best_label, worst_label = list(sweep)
    gap = [100 * (final(sweep[best_label][n]).mean() - final(sweep[worst_label][n]).mean()).item() for n in sizes]
    return (
        f"**What this run says** ({runs} runs per model). Measured the seed's way (best epoch on the test "
        f"set), {len(gaps) - len(off)} of the {len(gaps)} cells of the seed's Table 1 are within noise of "
        f"ours ({off_text}). Picking the epoch on the test set adds {100 * inflation:.1f} points on average. "
        f"The scorecard's verdicts, decided pair by pair on paired intervals: the ConvNet best in every column, {conv_best}; "
        f"the deep FC net gaining most from the two techniques together, {deep_most}. The auxiliary loss against weight sharing, per "
        f"architecture (points, 95% interval): {al_text}. Interactions (both − WS − AL + none): "
        f"{inter_text}. A ±{100 * half:.1f}-point interval comes from {runs} runs per model; halving it "
        f"needs about four times as many runs (`-p runs {4 * runs}`).\n\n"
        f"Size sweep, final test accuracy between neighbouring sizes (Welch 95%): " + "; ".join(steps)
        + f". The mean gap between {best_label} and {worst_label} is "
        + ", ".join(f"{g:.1f}" for g in gap) + f" points at {', '.join(map(str, sizes))} pairs.")


def setting(chapter) -> str:
    """One sentence: is Table 1 here the seed's protocol, or what was reduced or changed."""
    seed = {"n_pairs": 1000, "runs": 10, "epochs": 50, "batch_size": 100, "lr": 1e-3}
    differs = [f"{k} {getattr(chapter, k)} (seed: {v})" for k, v in seed.items() if getattr(chapter, k) != v]
    sweep = (f"; the size sweep: {', '.join(map(str, chapter.sweep_sizes))} pairs with {chapter.sweep_runs} runs "
             "per size (beyond the seed)")
    if not differs:
        return ("Table 1 here is the seed's protocol (1000 pairs, 10 runs per model, 50 epochs, Adam 1e-3, "
                f"batch 100) on the complete MNIST{sweep}.")
    return f"Table 1 here is NOT the seed's protocol: {'; '.join(differs)}{sweep}."
