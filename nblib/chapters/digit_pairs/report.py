"""Table 1, learning curves, effect sizes, the measurements the registry's claims are graded on
(`claims.py`), and the findings of the digit-pairs chapter."""
from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure

from . import claims as cl
from .experiment import ARCHS, SEED_STD, SEED_TABLE, VARIANTS
from nblib.claims import Graded, Measurement, Reported, Scorecard, grade_all, runs_to_decide
from nblib.claims import scorecard as claims_scorecard
from nblib.effects import Effect, effect, paired, side, unpaired
from nblib.stats import mean_ci, t_quantile

NAMES = {(False, False): "none", (True, False): "WS", (False, True): "AL", (True, True): "WS+AL"}
VARIANT = {name: v for v, name in NAMES.items()}  # "WS+AL" -> (True, True)


def final(result: dict) -> torch.Tensor:
    """Final-epoch test accuracy of every run: (runs,)."""
    return result["test_acc"][-1]


def best_on_test(result: dict) -> torch.Tensor:
    """The seed's number: each run's best test accuracy over epochs (chosen on the test set)."""
    return result["test_acc"].max(0).values


def welch_half(sd_a: float, n_a: int, sd_b: float, n_b: int) -> float:
    """Half-width of the 95% Welch interval of a difference of two independent means (from their sds)."""
    va, vb = sd_a ** 2 / n_a, sd_b ** 2 / n_b
    if n_a < 2 or n_b < 2 or not math.isfinite(va + vb):
        return math.nan
    if va + vb == 0:
        return 0.0
    dof = (va + vb) ** 2 / (va ** 2 / (n_a - 1) + vb ** 2 / (n_b - 1))  # Welch-Satterthwaite
    return t_quantile(max(1, int(dof))) * math.sqrt(va + vb)


def seed_gaps(results: dict) -> dict[tuple, tuple[float, float]]:
    """Per model: seed minus ours (best-on-test means) and the half-width of its 95% Welch interval."""
    gaps = {}
    for arch in ARCHS:
        for v, variant in enumerate(VARIANTS):
            best = best_on_test(results[(arch, *variant)])
            # two independent sets of runs (the seed's 10 and ours): Welch's 95% interval of the difference
            sd = best.std().item() if len(best) > 1 else math.nan
            half = welch_half(SEED_STD[arch][v], cl.STUDY_RUNS, sd, len(best))
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


# --- the measurements the registry's claims are graded on ---------------------------------------------------

def checks(results: dict) -> dict[str, float]:
    """The validity conditions' measured values: the fewest epochs any model trained, and the lowest final
    main-task training accuracy of any run (on its first 250 training pairs)."""
    return {cl.EPOCHS.name: min(r["test_acc"].shape[0] for r in results.values()),
            cl.FIT.name: min(r["train_acc"][-1].min().item() for r in results.values())}


def _final(results: dict, arch: str, name: str) -> torch.Tensor:
    return final(results[(arch, *VARIANT[name])])


def _table_cells(results: dict) -> dict[str, Effect]:
    """Per cell: our best-on-test mean, its interval widened by the study's spread (Welch: Table 1's last column)."""
    gaps = seed_gaps(results)
    return {f"{a} {NAMES[v]}": Effect(best_on_test(results[(a, *v)]).mean().item(), gaps[(a, *v)][1],
                                      len(best_on_test(results[(a, *v)])))
            for a in ARCHS for v in VARIANTS}


def measured_effects(results: dict) -> dict[str, dict[str, Effect]]:
    """claim id -> {setting: our effect} for every claim of the registry (final-epoch accuracy, paired by run,
    except Table 1's cells: best-on-test, the study's measure)."""
    acc = lambda arch, name: _final(results, arch, name)
    step = lambda arch, a, b: paired(acc(arch, a), acc(arch, b))
    gain = lambda arch: acc(arch, "WS+AL") - acc(arch, "none")
    eff = paired_effects(results)
    digits = {name: effect(results[("conv", *VARIANT[name])]["test_digit_acc"][-1]) for name in ("AL", "WS+AL")}
    found = {
        "table-1": _table_cells(results),
        "conv-best-every-combination": {f"{name} over {a}": paired(acc("conv", name), acc(a, name))
                                        for name in cl.VARIANTS for a in ARCHS[:2]},
        "conv-lead-no-technique": {"": paired(acc("conv", "none"), acc("shallow", "none"))},
        "shallow-beats-deep-no-technique": {"": paired(acc("shallow", "none"), acc("deep", "none"))},
        "deep-gains-most": {f"over {a}": paired(gain("deep"), gain(a)) for a in ("shallow", "conv")},
        "deep-second-best": {name: paired(acc("deep", name), acc("shallow", name)) for name in cl.SECOND_BEST_COLUMNS},
        "both-techniques-help": {f"{a} {label}": step(a, v, over) for a in ARCHS for label, v, over in cl.TECHNIQUE_STEPS},
        "al-helps-more-than-ws": {a: eff[a]["AL-WS"] for a in ARCHS},
        "conv-digits-above-90": digits,
        "both-together-best": {f"{a} {label}": step(a, "WS+AL", over) for a in ARCHS for label, over in cl.BEST_STEPS},
        "gains-not-additive": {a: eff[a]["interaction"] for a in ARCHS},
        "al-almost-both": {a: step(a, "WS+AL", "AL") for a in ARCHS},
    }
    return {f"{cl.CHAPTER}.{slug}": effects for slug, effects in found.items()}


def measurements(results: dict) -> dict[str, Measurement]:
    """claim id -> Measurement (our effects and the conditions' values) for every registered claim."""
    values = checks(results)
    return {cid: Measurement(effects, values) for cid, effects in measured_effects(results).items()}


def scorecard(results: dict) -> Scorecard:
    """Every registered claim of the study, graded by the book's one engine on runs paired by draw."""
    return claims_scorecard(cl, measurements(results))


def graded(results: dict) -> dict[str, Graded]:
    """claim slug -> graded row (the engine's verdicts without the registry's git history, for the prose)."""
    return {g.claim.id.split(".", 1)[1]: g for g in grade_all(cl.CLAIMS, measurements(results))}


def runs_to_settle(results: dict) -> dict[str, int | None]:
    """For each inconclusive claim: the runs per model that would bring the half-width of every inconclusive
    setting under half the study's effect (under our mean, with no study number), at our spread: the count the
    engine's row gives, the largest over the claim's settings (None: no number of runs at this spread)."""
    rows, effects = graded(results), measured_effects(results)
    need = {}
    for slug, g in rows.items():
        if g.verdict != "inconclusive":
            continue
        c, counts = g.claim, []
        for setting, outcome in g.settings:
            if outcome != "inconclusive":
                continue
            e, base = effects[c.id][setting], c.threshold or 0.0
            s = c.study.at(setting) if isinstance(c.study, Reported) else None
            counts.append(runs_to_decide(e, abs(s - base) / 2 if s is not None else abs(e.mean - base)))
        need[slug] = None if None in counts else max(counts)
    return need


# --- the findings, in words ------------------------------------------------------------------------------

def at_least(k: int, n: int, p: float = 0.05) -> float:
    """P(at least k of n independent tests at level p miss when nothing differs): binomial."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))


def findings(results: dict, sweep: dict, sizes: list[int]) -> str:
    """The chapter's summary paragraph, every comparison decided from the intervals above."""
    gaps = seed_gaps(results)
    off = [(m, g) for m, (g, h) in gaps.items() if not abs(g) <= h]
    off_text = ("; ".join(f"{m[0]} + {NAMES[m[1:]]} is {'lower' if g > 0 else 'higher'} here by "
                          f"{100 * abs(g):.1f} points" for m, g in off) or "none differs")
    chance = 0.05 * len(gaps)  # misses expected at 95% if nothing differed
    inflation = torch.cat([best_on_test(r) - final(r) for r in results.values()]).mean().item()
    rows = graded(results)
    eff = paired_effects(results)
    al_ws = {a: eff[a]["AL-WS"] for a in ARCHS}
    study_al_ws = rows["al-helps-more-than-ws"].claim.study
    al_text = ", ".join(f"{a}: {side(e, 'AL ahead', 'WS ahead')} ({100 * e.mean:+.1f} ± {100 * e.half:.1f}; "
                        f"the study {100 * study_al_ws.at(a):+.2f})" for a, e in al_ws.items())
    inter_text = ", ".join(
        f"{a} {100 * e.mean:+.1f} ± {100 * e.half:.1f} ({side(e, 'above zero', 'below zero', 'contains zero')}; "
        f"{'contains' if abs(e.mean - cl.interaction(a)) <= e.half else 'excludes'} the study's "
        f"{100 * cl.interaction(a):+.2f})" for a, e in ((a, eff[a]["interaction"]) for a in ARCHS))
    runs = len(final(next(iter(results.values()))))
    need = runs_to_settle(results)
    need_text = "; ".join(f"`{slug}` {f'about {n} runs' if n else 'no number of runs at this spread'}"
                          for slug, n in need.items()) or "none is inconclusive"
    steps = []
    for label, by_size in sweep.items():
        moves = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            e = unpaired(final(by_size[b]), final(by_size[a]))
            moves.append(f"{a}→{b} {side(e, 'higher', 'lower')} ({100 * e.mean:+.1f} ± {100 * e.half:.1f})")
        steps.append(f"{label}: " + ", ".join(moves))
    best_label, worst_label = list(sweep)
    gap = [100 * (final(sweep[best_label][n]).mean() - final(sweep[worst_label][n]).mean()).item() for n in sizes]
    verdict = lambda slug: rows[slug].verdict
    return (
        f"**What this run says** ({runs} runs per model). Measured the study's way (best epoch on the test "
        f"set), {len(gaps) - len(off)} of the {len(gaps)} cells of the study's Table 1 are within noise of "
        f"ours ({off_text}). With {len(gaps)} tests at 95%, about {len(gaps)} × 0.05 = {chance:.1f} cells would "
        f"fall outside by chance even if nothing differed"
        + (f" (at least {len(off)} with probability {100 * at_least(len(off), len(gaps)):.2g}%, were the cells "
           "independent)"
           if off else "") + f"; and 'within noise' means only that "
        f"{runs} runs show no difference, not that the numbers agree. Picking the epoch on the test set adds "
        f"{100 * inflation:.1f} points on average. By the engine: the ConvNet best in every column, "
        f"{verdict('conv-best-every-combination')}; the deep FC net gaining most from the two techniques together, "
        f"{verdict('deep-gains-most')}; both techniques helping every architecture, alone and together, "
        f"{verdict('both-techniques-help')}; the auxiliary loss helping more than weight sharing, "
        f"{verdict('al-helps-more-than-ws')}. The auxiliary loss against weight sharing, per architecture (points, "
        f"95% interval): {al_text}. Interactions (both − WS − AL + none): {inter_text}.\n\n"
        f"What would decide the inconclusive rows at our spread (runs per model that bring the half-width of every "
        f"undecided setting of a row under half the study's effect, counted as the engine counts them): "
        f"{need_text}. Halving an interval takes about four times the "
        f"runs (`-p runs {4 * runs}`): that settles a row only where the count above is at most {4 * runs}.\n\n"
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
