"""Table 1, the epoch-selection table, learning curves, effect sizes, the size sweep, the measurements the
registry's claims are graded on (`claims.py`), and the findings of the digit-pairs chapter.

The chapter's runs come in three kinds (`experiment.KINDS`): `table` (the study's protocol), `validation`
(the same draws with a share of the training pairs held out to choose the epoch on) and `sweep` (other
numbers of training pairs). Run r draws the same pairs in every model and kind, so every comparison is
paired by run; two models with different numbers of runs are compared on their first common runs.
"""
from __future__ import annotations

import dataclasses
import math

import torch
from matplotlib.figure import Figure

from nblib import palette
from nblib.claims import (MANY, Claim, Graded, Measurement, Scorecard, decide_target, grade_all, outcome,
                          runs_to_decide, study_effect)
from nblib.claims import scorecard as claims_scorecard
from nblib.effects import Effect, effect, paired, side
from nblib.stats import mean_ci_text, t_quantile

from . import claims as cl
from .experiment import ARCHS, VARIANT_NAMES, VARIANTS, Chapter

NAMES = dict(zip(VARIANTS, VARIANT_NAMES))  # (sharing, aux) -> "none", "WS", "AL", "WS+AL"
VARIANT = {name: v for v, name in NAMES.items()}  # "WS+AL" -> (True, True)
TECHNIQUES = ("WS", "AL")  # the gains the size sweep follows


def model_name(model: tuple) -> str:
    """(arch, sharing, aux) -> 'deep FC WS+AL'."""
    return f"{cl.NAME[model[0]]} {NAMES[tuple(model[1:])]}"


# --- the chapter's results, by kind --------------------------------------------------------------------------

def by_kind(results: list[dict], kind: str) -> dict[tuple, dict]:
    """The results of one kind (Table 1's or the validation split's): (arch, sharing, aux) -> result, in
    ARCHS x VARIANTS order."""
    found = {(r["arch"], r["sharing"], r["aux"]): r for r in results if r["kind"] == kind}
    return {(a, *v): found[(a, *v)] for a in ARCHS for v in VARIANTS if (a, *v) in found}


def size_grid(results: list[dict], chapter: Chapter) -> dict[tuple[str, str], dict[int, dict]]:
    """The size sweep: (arch, variant name) -> {n_pairs: result}, Table 1's runs at Table 1's size."""
    table = by_kind(results, "table")
    grid = {}
    for r in results:
        if r["kind"] == "sweep":  # measured after the last epoch only: the epochs come from the chapter's config
            epochs = chapter.config(r["arch"], "sweep", r["n_pairs"]).epochs
            grid.setdefault((r["arch"], NAMES[(r["sharing"], r["aux"])]), {})[r["n_pairs"]] = dict(r, epochs=epochs)
    for (arch, name), sizes in grid.items():
        if (arch, *VARIANT[name]) in table:
            sizes[chapter.n_pairs] = table[(arch, *VARIANT[name])]
    return {k: dict(sorted(v.items())) for k, v in sorted(grid.items(), key=lambda kv: (ARCHS.index(kv[0][0]),
                                                                                        VARIANT_NAMES.index(kv[0][1])))}


def final(result: dict) -> torch.Tensor:
    """Final-epoch test accuracy of every run: (runs,)."""
    return result["test_acc"][-1]


def best_on_test(result: dict) -> torch.Tensor:
    """The study's number: each run's best test accuracy over epochs (chosen on the test set)."""
    return result["test_acc"].max(0).values


def chosen_on_validation(result: dict) -> torch.Tensor:
    """Each run's test accuracy at its epoch of best validation accuracy (the first such epoch): (runs,)."""
    epoch = result["val_acc"].argmax(0)  # torch returns the first of equal maxima
    return result["test_acc"].gather(0, epoch[None])[0]


def _pair(a: torch.Tensor, b: torch.Tensor) -> Effect:
    """a - b paired by run, on the runs both have (run r draws the same pairs everywhere)."""
    k = min(len(a), len(b))
    return paired(a[:k], b[:k])


def _pm(e: Effect, digits: int = 1) -> str:
    """'+1.2 ± 0.4' in points (the book's ±: the half-width of a 95% interval)."""
    return f"{100 * e.mean:+.{digits}f} ± {100 * e.half:.{digits}f}" if e.has_interval else f"{100 * e.mean:+.1f}"


# --- Table 1 and the selection of the epoch ------------------------------------------------------------------

def welch_half(sd_a: float, n_a: int, sd_b: float, n_b: int) -> float:
    """Half-width of the 95% Welch interval of a difference of two independent means (from their sds)."""
    va, vb = sd_a ** 2 / n_a, sd_b ** 2 / n_b
    if n_a < 2 or n_b < 2 or not math.isfinite(va + vb):
        return math.nan
    if va + vb == 0:
        return 0.0
    dof = (va + vb) ** 2 / (va ** 2 / (n_a - 1) + vb ** 2 / (n_b - 1))  # Welch-Satterthwaite
    return t_quantile(max(1, int(dof))) * math.sqrt(va + vb)


def study_gaps(table: dict) -> dict[tuple, tuple[float, float]]:
    """Per model: the study's mean minus ours (best-on-test) and the half-width of its 95% Welch interval."""
    gaps = {}
    for model, r in table.items():
        best, name = best_on_test(r), NAMES[tuple(model[1:])]
        sd = best.std().item() if len(best) > 1 else math.nan  # two independent sets of runs: Welch
        half = welch_half(cl.STUDY_STD[model[0]][name], cl.STUDY_RUNS, sd, len(best))
        gaps[model] = (cl.study(model[0], name) - best.mean().item(), half)
    return gaps


def table_1(table: dict) -> str:
    """Markdown: ours (final epoch and best-on-test) beside the study's Table 1."""
    rows = ["| model | ours: final epoch | ours: best on test | the study: best on test | the study − ours "
            "| within noise? |", "|---" * 6 + "|"]
    gaps = study_gaps(table)
    for model, r in table.items():
        name = NAMES[tuple(model[1:])]
        gap, half = gaps[model]
        rows.append(f"| {model_name(model)} | {mean_ci_text(final(r))} | {mean_ci_text(best_on_test(r))} "
                    f"| {100 * cl.study(model[0], name):.1f} (sd {100 * cl.STUDY_STD[model[0]][name]:.1f}) "
                    f"| {100 * gap:+.1f} ± {100 * half:.1f} | {'yes' if abs(gap) <= half else 'no'} |")
    runs = sorted({len(final(r)) for r in table.values()})
    return (f"Test accuracy in percent, mean ± 95% interval over our runs ({' or '.join(map(str, runs))} per model); "
            f"the study: mean (standard deviation) of its {cl.STUDY_RUNS} runs; the difference with its 95% Welch "
            "interval (independent sets of runs).\n\n" + "\n".join(rows))


def selection_effects(table: dict, val: dict) -> dict[tuple, dict[str, Effect]]:
    """Per model: what choosing on the test set adds to the final epoch (Table 1's runs), what the validation
    split's choice gives against the final epoch on all the pairs (paired by draw), and what choosing on test
    instead of on validation adds within the runs with the split."""
    out = {}
    for model, r in table.items():
        v = val.get(model)
        out[model] = {"test": paired(best_on_test(r), final(r))}
        if v is not None:
            out[model]["validation"] = _pair(chosen_on_validation(v), final(r))
            out[model]["test over validation"] = paired(best_on_test(v), chosen_on_validation(v))
    return out


def selection_table(table: dict, val: dict) -> str:
    """Markdown: final epoch, epoch chosen on the validation split, best epoch on test, for every model."""
    effects = selection_effects(table, val)
    held = next(iter(val.values()), None)
    split = (f"{held['n_fit']:,} + {held['n_pairs'] - held['n_fit']:,}" if held else "no split in this run")
    rows = [f"| model | final epoch ({next(iter(table.values()))['n_fit']:,} pairs) | chosen on validation "
            f"({split}) | best on test | best on test − final | validation − final |", "|---" * 6 + "|"]
    for model, r in table.items():
        v, e = val.get(model), effects[model]
        rows.append(f"| {model_name(model)} | {mean_ci_text(final(r))} | "
                    f"{mean_ci_text(chosen_on_validation(v)) if v else '–'} | {mean_ci_text(best_on_test(r))} | "
                    f"{_pm(e['test'])} | {_pm(e['validation']) if 'validation' in e else '–'} |")
    return ("Test accuracy in percent, mean ± 95% interval over runs; differences in points, paired by run (the "
            "validation split's runs are the same draws with the last pairs held out).\n\n" + "\n".join(rows))


def selection_findings(table: dict, val: dict) -> str:
    """The selection table in words: the mean inflation and the validation split's gain or cost."""
    effects = selection_effects(table, val)
    inflation = torch.cat([best_on_test(r) - final(r) for r in table.values()])
    text = (f"Choosing each run's epoch on the test set adds {100 * inflation.mean():.1f} points to the final "
            f"epoch on average over all {len(inflation)} runs of Table 1 (from "
            + f"{100 * min(e['test'].mean for e in effects.values()):.1f} to "
              f"{100 * max(e['test'].mean for e in effects.values()):.1f} by model).")
    if not val:
        return text + " This run has no validation split."
    gains = {m: e["validation"] for m, e in effects.items() if "validation" in e}
    below = [model_name(m) for m, e in gains.items() if e.has_interval and e.mean + e.half < 0]
    above = [model_name(m) for m, e in gains.items() if e.has_interval and e.mean - e.half > 0]
    within = torch.cat([best_on_test(v) - chosen_on_validation(v) for v in val.values()])
    return (text + f" Holding out {held_share(val):.0%} of the pairs and choosing the epoch on them gives, against "
            f"the final epoch on all the pairs, from {_pm(min(gains.values(), key=lambda e: e.mean))} to "
            f"{_pm(max(gains.values(), key=lambda e: e.mean))} points: lower in {len(below)} of the {len(gains)} "
            f"models{(' (' + ', '.join(below) + ')') if below else ''}, higher in {len(above)}"
            f"{(' (' + ', '.join(above) + ')') if above else ''}, within noise in "
            f"{len(gains) - len(below) - len(above)}. Within the runs with the split, choosing on the test set "
            f"instead of on validation adds {100 * within.mean():.1f} points on average over "
            f"{len(within)} runs: the part of the study's number that is selection, measured honestly.")


def held_share(val: dict) -> float:
    """The share of the training pairs the validation runs held out (0 without them)."""
    r = next(iter(val.values()), None)
    return (r["n_pairs"] - r["n_fit"]) / r["n_pairs"] if r else 0.0


# --- figures ---------------------------------------------------------------------------------------------

def paired_effects(table: dict) -> dict[str, dict[str, Effect]]:
    """Per architecture: gain from WS alone, AL alone, both, their interaction, and AL minus WS
    (final epoch), paired by run: run r of every model trains and tests on the same draw of pairs."""
    out = {}
    for arch in ARCHS:
        acc = {NAMES[v]: final(table[(arch, *v)]) for v in VARIANTS}
        out[arch] = {"WS": paired(acc["WS"], acc["none"]), "AL": paired(acc["AL"], acc["none"]),
                     "WS+AL": paired(acc["WS+AL"], acc["none"]),
                     "interaction": paired(acc["WS+AL"] - acc["WS"], acc["AL"] - acc["none"]),
                     "AL-WS": paired(acc["AL"], acc["WS"])}
    return out


def effects_figure(table: dict) -> Figure:
    """The gains of each technique and of both, and their interaction, per architecture (95% intervals)."""
    fig = Figure(figsize=(7, 3.6))
    ax = fig.subplots()
    eff = paired_effects(table)
    width = 0.2
    for i, name in enumerate(("WS", "AL", "WS+AL", "interaction")):
        xs = [a + (i - 1.5) * width for a in range(len(ARCHS))]
        color = palette.COLORS[i]
        ax.bar(xs, [100 * eff[a][name].mean for a in ARCHS], width, yerr=[100 * eff[a][name].half for a in ARCHS],
               color=color, edgecolor="k", linewidth=0.5, hatch=("", "//", "..", "xx")[i], label=name, capsize=3)
    ax.axhline(0, color="k", lw=0.8)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.2 * (high - low))  # room for the legend above the bars
    ax.set_xticks(range(len(ARCHS)), [cl.NAME[a] for a in ARCHS], fontsize=10)
    ax.set_ylabel("points of test accuracy", fontsize=10)
    ax.legend(fontsize=9, ncol=4, loc="upper left")
    ax.tick_params(labelsize=9)
    fig.tight_layout()
    return fig


def curves_figure(result: dict) -> Figure:
    """Train/test accuracy of the comparison and of the digits over epochs (median, min-max band)."""
    fig = Figure(figsize=(7.5, 3.2))
    axes = fig.subplots(1, 2)
    epochs = torch.arange(1, result["test_acc"].shape[0] + 1)
    for ax, (kind, title) in zip(axes, (("acc", "comparison (main task)"), ("digit_acc", "digits (pipes)"))):
        for i, split in enumerate(("train", "test")):
            values = result[f"{split}_{kind}"]  # (epochs, runs)
            ax.plot(epochs, values.median(1).values, label=split, **palette.style(i))
            ax.fill_between(epochs, values.min(1).values, values.max(1).values, color=palette.COLORS[i], alpha=0.2)
        ax.set(ylim=(0, 1.02))
        ax.set_xlabel("epoch", fontsize=10)
        ax.set_ylabel("accuracy", fontsize=10)
        ax.set_title(title, fontsize=10)
        ax.tick_params(labelsize=9)
        ax.legend(fontsize=9, loc="lower right")
    fig.suptitle(f"{model_name((result['arch'], result['sharing'], result['aux']))}: {result['test_acc'].shape[1]} "
                 f"runs (training accuracy on up to 250 training pairs per run)", fontsize=10)
    fig.tight_layout()
    return fig


def size_gains(grid: dict) -> dict[tuple[str, str], dict[int, Effect]]:
    """(arch, technique) -> {n_pairs: gain over none, paired by run} for the techniques the sweep ran."""
    out = {}
    for (arch, name), sizes in grid.items():
        base = grid.get((arch, "none"))
        if name in TECHNIQUES and base:
            out[(arch, name)] = {n: _pair(final(r), final(base[n])) for n, r in sizes.items() if n in base}
    return out


def sizes_figure(grid: dict) -> Figure:
    """The gain of each technique against the number of training pairs, one panel per architecture."""
    gains = size_gains(grid)
    fig = Figure(figsize=(7.5, 3.2))
    axes = fig.subplots(1, len(ARCHS), sharey=True)
    sizes = sorted({n for s in grid.values() for n in s})
    for ax, arch in zip(axes, ARCHS):
        for i, name in enumerate(TECHNIQUES):
            if (arch, name) not in gains:
                continue
            g = gains[(arch, name)]
            ns = sorted(g)
            shift = [n * (0.96 if i == 0 else 1.04) for n in ns]  # side by side, so the bars do not overlap
            ax.errorbar(shift, [100 * g[n].mean for n in ns], yerr=[100 * g[n].half for n in ns], capsize=3,
                        label=f"{name} gain", **palette.style(i, markers=True))
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xscale("log")
        ax.set_xticks(sizes, [f"{n:,}" for n in sizes], fontsize=9)
        ax.minorticks_off()
        ax.tick_params(labelsize=9)
        ax.set_title(cl.NAME[arch], fontsize=10)
        ax.set_xlabel("training pairs", fontsize=10)
    axes[0].set_ylabel("gain over none (points)", fontsize=10)
    axes[0].legend(fontsize=9, loc="upper right")
    fig.tight_layout()
    return fig


def sizes_table(grid: dict) -> str:
    """Markdown: final test accuracy per size for every variant of the sweep, and the lowest training accuracy."""
    sizes = sorted({n for s in grid.values() for n in s})
    rows = ["| model | " + " | ".join(f"{n:,} pairs" for n in sizes) + " | lowest training acc. |",
            "|---" * (len(sizes) + 2) + "|"]
    for (arch, name), by_n in grid.items():
        cells = [mean_ci_text(final(by_n[n])) if n in by_n else "–" for n in sizes]
        lowest = min(r["train_acc"][-1].min().item() for r in by_n.values())
        rows.append(f"| {cl.NAME[arch]} {name} | " + " | ".join(cells) + f" | {100 * lowest:.1f} |")
    runs = sorted({len(final(r)) for s in grid.values() for r in s.values()})
    return (f"Final test accuracy in percent, mean ± 95% interval over runs ({', '.join(map(str, runs))} per model "
            "and size; Table 1's runs at its size); every size is tested on the same test pairs and trains the "
            "study's epochs; the last column: the lowest final main-task training accuracy of any run (on up to "
            "250 of its training pairs).\n\n" + "\n".join(rows))


def sizes_findings(grid: dict) -> str:
    """Where each technique helps most, in words, from the gains' intervals."""
    gains = size_gains(grid)
    parts = []
    for (arch, name), g in gains.items():
        ns = sorted(g)
        best = max(ns, key=lambda n: g[n].mean)
        ends = _pair(*(final(grid[(arch, name)][n]) - final(grid[(arch, "none")][n]) for n in (ns[0], ns[-1])))
        parts.append(f"{cl.NAME[arch]} {name}: " + ", ".join(f"{n:,} {_pm(g[n])}" for n in ns)
                     + f" (largest at {best:,}; {ns[0]:,} minus {ns[-1]:,}: {_pm(ends)}, "
                       f"{side(ends, 'larger with fewer pairs', 'larger with more pairs')})")
    return ("Gains over the same architecture with no technique, points of final test accuracy, 95% interval paired "
            "by run, at each number of pairs: " + "; ".join(parts) + "." if parts else "")


# --- the measurements the registry's claims are graded on ---------------------------------------------------

def checks(table: dict) -> dict[str, float]:
    """The validity conditions' measured values: the fewest epochs any model trained, and the lowest final
    main-task training accuracy of any run (on its first 250 training pairs)."""
    return {cl.EPOCHS.name: min(r["test_acc"].shape[0] for r in table.values()),
            cl.FIT.name: min(r["train_acc"][-1].min().item() for r in table.values())}


def trained_epochs(result: dict) -> int:
    """The epochs a result trained: its curves' length, or (measured after the last epoch only) its config's."""
    return result.get("epochs") or result["test_acc"].shape[0]


def _fit(runs: list[dict]) -> float:
    return min(r["train_acc"][-1].min().item() for r in runs)


def _table_cells(table: dict) -> dict[str, Effect]:
    """Per cell: our best-on-test mean, its interval widened by the study's spread (Welch: Table 1's last column)."""
    gaps = study_gaps(table)
    return {f"{m[0]} {NAMES[tuple(m[1:])]}": Effect(best_on_test(r).mean().item(), gaps[m][1], len(best_on_test(r)))
            for m, r in table.items()}


def _missing(settings, checks_: dict, why: str) -> Measurement:
    return Measurement({k: Effect(math.nan, math.nan, 0) for k in settings}, checks_, why)


def _validation(table: dict, val: dict) -> Measurement:
    settings = [f"{m[0]} {NAMES[tuple(m[1:])]}" for m in table]
    base = {cl.EPOCHS.name: min(r["test_acc"].shape[0] for r in [*table.values(), *val.values()]),
            cl.FIT_HERE.name: _fit([*table.values(), *val.values()]), cl.SPLIT.name: held_share(val),
            cl.SPLIT_MOST.name: held_share(val), cl.IN_RUN: float(bool(val) and set(val) == set(table))}
    if not base[cl.IN_RUN]:
        return _missing(settings, base, "a reduced run: no validation split was held out")
    return Measurement({f"{m[0]} {NAMES[tuple(m[1:])]}": _pair(chosen_on_validation(val[m]), final(r))
                        for m, r in table.items()}, base)


def _sizes(grid: dict) -> Measurement:
    settings = [f"{a} {t}" for a in ARCHS for t in TECHNIQUES]
    sizes = sorted({n for s in grid.values() for n in s})
    small, large = (sizes[0], sizes[-1]) if sizes else (math.inf, 0)
    needed = [(a, v) for a in ARCHS for v in ("none", *TECHNIQUES)]
    have = all(k in grid and small in grid[k] and large in grid[k] for k in needed) and small < large
    runs = [grid[k][n] for k in needed if k in grid for n in (small, large) if n in grid[k]]
    base = {cl.EPOCHS.name: min((trained_epochs(r) for r in runs), default=0),
            cl.FIT_HERE.name: _fit(runs) if runs else 0.0, cl.SMALL.name: small, cl.LARGE.name: large,
            cl.IN_RUN: float(have)}
    if not have:
        return _missing(settings, base, "a reduced run: the sweep lacks these variants or sizes")
    gain = lambda a, t, n: final(grid[(a, t)][n]) - final(grid[(a, "none")][n])  # the same runs within an arch
    return Measurement({f"{a} {t}": _pair(gain(a, t, small), gain(a, t, large)) for a in ARCHS for t in TECHNIQUES},
                       base)


def measured_effects(table: dict) -> dict[str, dict[str, Effect]]:
    """claim id -> {setting: our effect} for the claims on Table 1's runs (final-epoch accuracy, paired by run,
    except Table 1's cells: best-on-test, the study's measure)."""
    acc = lambda arch, name: final(table[(arch, *VARIANT[name])])
    step = lambda arch, a, b: paired(acc(arch, a), acc(arch, b))
    gain = lambda arch: acc(arch, "WS+AL") - acc(arch, "none")
    eff = paired_effects(table)
    digits = {name: effect(table[("conv", *VARIANT[name])]["test_digit_acc"][-1]) for name in ("AL", "WS+AL")}
    found = {
        "table-1": _table_cells(table),
        "conv-best-every-combination": {f"{name} over {a}": _pair(acc("conv", name), acc(a, name))
                                        for name in cl.VARIANTS for a in ARCHS[:2]},
        "conv-lead-no-technique": {"": _pair(acc("conv", "none"), acc("shallow", "none"))},
        "shallow-beats-deep-no-technique": {"": paired(acc("shallow", "none"), acc("deep", "none"))},
        "deep-gains-most": {f"over {a}": _pair(gain("deep"), gain(a)) for a in ("shallow", "conv")},
        "deep-second-best": {name: paired(acc("deep", name), acc("shallow", name)) for name in cl.SECOND_BEST_COLUMNS},
        "both-techniques-help": {f"{a} {label}": step(a, v, over) for a in ARCHS for label, v, over in cl.TECHNIQUE_STEPS},
        "al-helps-more-than-ws": {a: eff[a]["AL-WS"] for a in ARCHS},
        "conv-digits-above-90": digits,
        "both-together-best": {f"{a} {label}": step(a, "WS+AL", over) for a in ARCHS for label, over in cl.BEST_STEPS},
        "gains-not-additive": {a: eff[a]["interaction"] for a in ARCHS},
        "al-almost-both": {a: step(a, "WS+AL", "AL") for a in ARCHS},
    }
    return {f"{cl.CHAPTER}.{slug}": effects for slug, effects in found.items()}


def _runs_needed(claim: Claim, effects: dict[str, Effect], settings) -> int | None:
    """Runs per model that bring the half-width of each of `settings` under half the study's effect (under our
    mean, with no study number), at our spread, as the engine counts them: the largest (None: never)."""
    counts = [runs_to_decide(effects[k], decide_target(claim, effects[k], study_effect(claim, k))) for k in settings]
    return None if None in counts else max(counts, default=None)


def _with_runs_note(claim: Claim, m: Measurement) -> Measurement:
    """A row of more than MANY settings names its undecided settings without what would decide them: say it
    once, for all of them (only where the conditions hold, so that the row is graded at all)."""
    if len(m.effects) <= MANY or not all(c.holds(float(m.checks[c.name])) for c in claim.conditions):
        return m
    undecided = [k for k, e in m.effects.items()
                 if outcome(e, claim.direction, study_effect(claim, k), claim.threshold) == "inconclusive"]
    if not undecided:
        return m
    need = _runs_needed(claim, m.effects, undecided)
    return dataclasses.replace(m, note=(f"about {need} runs per model would decide the undecided setting"
                                        f"{'s' * (len(undecided) > 1)} at our spread" if need else
                                        "no number of runs at our spread decides the undecided settings"))


def measurements(table: dict, val: dict | None = None, grid: dict | None = None) -> dict[str, Measurement]:
    """claim id -> Measurement (our effects and the conditions' values) for every registered claim."""
    values = checks(table)
    out = {cid: Measurement(effects, values) for cid, effects in measured_effects(table).items()}
    out[f"{cl.CHAPTER}.validation-stopping-pays"] = _validation(table, val or {})
    out[f"{cl.CHAPTER}.techniques-help-most-with-few-pairs"] = _sizes(grid or {})
    return {c.id: _with_runs_note(c, out[c.id]) for c in cl.CLAIMS}


def scorecard(table: dict, val: dict | None = None, grid: dict | None = None) -> Scorecard:
    """Every registered claim of the study, graded by the book's one engine on runs paired by draw."""
    return claims_scorecard(cl, measurements(table, val, grid))


def graded(table: dict, val: dict | None = None, grid: dict | None = None) -> dict[str, Graded]:
    """claim slug -> graded row (the engine's verdicts without the registry's git history, for the prose)."""
    return {g.claim.id.split(".", 1)[1]: g for g in grade_all(cl.CLAIMS, measurements(table, val, grid))}


def runs_to_settle(table: dict, val: dict | None = None, grid: dict | None = None) -> dict[str, int | None]:
    """For each inconclusive claim: the runs per model that would bring the half-width of every inconclusive
    setting under half the study's effect (under our mean, with no study number), at our spread: the count the
    engine's row gives, the largest over the claim's settings (None: no number of runs at this spread)."""
    rows, found = graded(table, val, grid), measurements(table, val, grid)
    return {slug: _runs_needed(g.claim, found[g.claim.id].effects, [k for k, v in g.settings if v == "inconclusive"])
            for slug, g in rows.items() if g.verdict == "inconclusive"}


# --- the findings, in words ------------------------------------------------------------------------------

def at_least(k: int, n: int, p: float = 0.05) -> float:
    """P(at least k of n independent tests at level p miss when nothing differs): binomial."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))


def _runs_text(table: dict) -> str:
    runs = {a: len(final(table[(a, *VARIANTS[0])])) for a in ARCHS}
    fc, conv = runs["shallow"], runs["conv"]
    return f"{fc} runs per model" if fc == conv == runs["deep"] else f"{fc} runs per FC model, {conv} per ConvNet model"


def outside_noise(table: dict) -> dict[tuple, float]:
    """The models whose best-on-test mean differs from the study's beyond the Welch interval: model -> gap."""
    return {m: g for m, (g, h) in study_gaps(table).items() if not abs(g) <= h}


def within_noise_text(table: dict) -> str:
    """'k of the 12 cells within noise (which not), and how many misses chance gives at 95%'."""
    gaps, off = study_gaps(table), list(outside_noise(table).items())
    off_text = ("; ".join(f"{model_name(m)} is {'lower' if g > 0 else 'higher'} here by {100 * abs(g):.1f} points"
                          for m, g in off) or "none differs")
    chance = 0.05 * len(gaps)
    return (f"{len(gaps) - len(off)} of the {len(gaps)} cells of the study's Table 1 are within noise of ours, "
            f"measured its way ({off_text}). With {len(gaps)} tests at 95%, about {len(gaps)} × 0.05 = {chance:.1f} "
            "would fall outside by chance even if nothing differed"
            + (f" (at least {len(off)} with probability {100 * at_least(len(off), len(gaps)):.2g}%, were the cells "
               "independent)" if off else "")
            + "; and 'within noise' says only that our runs show no difference, not that the numbers agree.")


def effects_findings(card: Scorecard) -> str:
    """What the effects figure decides, by the engine."""
    verdict = lambda slug: card.verdict_md(f"{cl.CHAPTER}.{slug}")
    return (f"By the engine, on these runs: both techniques help every architecture, alone and with the other on, "
            f"{verdict('both-techniques-help')}; both together are the best variant of every architecture, "
            f"{verdict('both-together-best')}; the auxiliary loss alone gives almost the benefit of both, "
            f"{verdict('al-almost-both')}; it helps more than weight sharing, {verdict('al-helps-more-than-ws')}; the "
            f"gains do not add up, {verdict('gains-not-additive')}; the deep FC net gains most, "
            f"{verdict('deep-gains-most')}.")


def findings(table: dict, val: dict, grid: dict, card: Scorecard) -> str:
    """The chapter's summary paragraphs, every comparison decided from the intervals above."""
    eff = paired_effects(table)
    study_al_ws = {c.id: c for c in cl.CLAIMS}[f"{cl.CHAPTER}.al-helps-more-than-ws"].study
    al_text = ", ".join(f"{cl.NAME[a]}: {side(e, 'AL ahead', 'WS ahead')} ({_pm(e)}; the study "
                        f"{100 * study_al_ws.at(a):+.2f})" for a, e in ((a, eff[a]["AL-WS"]) for a in ARCHS))
    inter_text = ", ".join(
        f"{cl.NAME[a]} {_pm(e)} ({side(e, 'above zero', 'below zero', 'contains zero')}; "
        f"{'contains' if abs(e.mean - cl.interaction(a)) <= e.half else 'excludes'} the study's "
        f"{100 * cl.interaction(a):+.2f})" for a, e in ((a, eff[a]["interaction"]) for a in ARCHS))
    halves = {a: [100 * e.half for e in eff[a].values()] for a in ARCHS}
    resolution = "; ".join(f"{cl.NAME[a]} ±{min(h):.1f} to ±{max(h):.1f}" for a, h in halves.items())
    need = runs_to_settle(table, val, grid)
    need_text = "; ".join(f"`{slug}` {f'about {n} runs' if n else 'no number of runs at this spread'}"
                          for slug, n in need.items()) or "none is inconclusive"
    verdict = lambda slug: card.verdict_md(f"{cl.CHAPTER}.{slug}")
    return (
        f"**What this run says** ({_runs_text(table)}). The resolution reached: the paired 95% intervals of the "
        f"techniques' gains, their interaction and AL − WS are {resolution} points (the study's shallow-net "
        f"effects: WS {100 * cl.gain('shallow', 'WS'):+.2f}, AL {100 * cl.gain('shallow', 'AL'):+.2f}, interaction "
        f"{100 * cl.interaction('shallow'):+.2f}; shallow − deep with no technique "
        f"{100 * (cl.study('shallow', 'none') - cl.study('deep', 'none')):+.2f}). By the engine: the ConvNet best "
        f"in every column, {verdict('conv-best-every-combination')}; the deep FC net gaining most from the two "
        f"techniques together, {verdict('deep-gains-most')}; both techniques helping every architecture, alone and "
        f"together, {verdict('both-techniques-help')}; the auxiliary loss helping more than weight sharing, "
        f"{verdict('al-helps-more-than-ws')}. The auxiliary loss against weight sharing, per architecture (points, "
        f"95% interval): {al_text}. Interactions (both − WS − AL + none): {inter_text}.\n\n"
        f"What would decide the inconclusive rows at our spread (runs per model that bring the half-width of every "
        f"undecided setting of a row under half the study's effect, or under our own mean where the study gave no "
        f"number): {need_text}.")


def key_findings(table: dict, val: dict, grid: dict, card: Scorecard) -> str:
    """Two to four bullets for the top of the chapter, every number from the runs and every verdict from the
    engine."""
    verdict = lambda slug: card.verdict_md(f"{cl.CHAPTER}.{slug}")
    eff = paired_effects(table)
    cells, off = len(table), [model_name(m) for m in outside_noise(table)]
    bullets = [f"**Table 1 at the study's protocol** ({_runs_text(table)}, measured the study's way): "
               f"{cells - len(off)} of its {cells} cells within noise of ours"
               + (f" (not {', '.join(off)})" if off else "")
               + f", where chance alone would put about {0.05 * cells:.1f} outside at 95%.",
               "**The techniques** (gains over none, points, 95% interval): " + "; ".join(
                   f"{cl.NAME[a]} WS {_pm(eff[a]['WS'])}, AL {_pm(eff[a]['AL'])}, both {_pm(eff[a]['WS+AL'])}"
                   for a in ARCHS) + f". Both help every architecture: {verdict('both-techniques-help')}; both "
               f"together best: {verdict('both-together-best')}; the auxiliary loss alone almost both: "
               f"{verdict('al-almost-both')}; the deep FC net second best: {verdict('deep-second-best')}."]
    if val:
        inflation = torch.cat([best_on_test(r) - final(r) for r in table.values()])
        honest = torch.cat([best_on_test(v) - chosen_on_validation(v) for v in val.values()])
        bullets.append(f"**Choosing the epoch** (the study chose it on the test set): that adds "
                       f"{100 * inflation.mean():.1f} points to the final epoch on average, {100 * honest.mean():.1f} "
                       f"to an epoch chosen honestly on a {held_share(val):.0%} validation split; the split pays for "
                       f"the pairs it holds out (beyond the study): {verdict('validation-stopping-pays')}.")
    gains = size_gains(grid)
    if gains:
        sizes = sorted({n for g in gains.values() for n in g})
        al = {a: gains[(a, "AL")] for a in ARCHS if (a, "AL") in gains}
        bullets.append(f"**Where the techniques help most** (beyond the study, {sizes[0]:,} to {sizes[-1]:,} pairs): "
                       "the auxiliary loss gains " + "; ".join(
                           f"{cl.NAME[a]} {_pm(g[sizes[0]])} at {sizes[0]:,}, {_pm(g[sizes[-1]])} at {sizes[-1]:,}"
                           for a, g in al.items() if sizes[0] in g and sizes[-1] in g)
                       + f" points; every technique helps most with the fewest pairs: "
                         f"{verdict('techniques-help-most-with-few-pairs')}.")
    return "\n".join(f"- {b}" for b in bullets)


def scale_line(results: list[dict], table: dict, where: str) -> str:
    """One line of scale: data, training, runs, hardware and time."""
    runs = sum(len(final(r)) for r in results)
    sizes = sorted({r["n_pairs"] for r in results})
    minutes = sum(r["seconds"] for r in results) / 60
    return (f"Table 1: {_runs_text(table)} (the study: {cl.STUDY_RUNS}); {len(results)} sets of runs, {runs:,} "
            f"trained nets in all ({sizes[0]:,} to {sizes[-1]:,} training pairs, "
            f"{max(r['test_acc'].shape[0] for r in results)} epochs each: the study's count at every size), "
            f"{minutes:.0f} minutes of training summed over the runs on {where}.")


def setting(chapter: Chapter) -> str:
    """One sentence: is Table 1 here the study's protocol, with how many runs, and what is beyond it."""
    study = {"n_pairs": 1000, "epochs": 50, "batch_size": 100, "lr": 1e-3}
    differs = [f"{k} {getattr(chapter, k)} (the study: {v})" for k, v in study.items() if getattr(chapter, k) != v]
    runs = (f"{chapter.runs} runs per FC model and {chapter.conv_runs} per ConvNet model (the study: 10"
            f"{'; fewer than the study' if min(chapter.runs, chapter.conv_runs) < 10 else ''})")
    beyond = (f"; beyond the study, the same draws with {chapter.validation:.0%} of the training pairs held out "
              f"({chapter.val_runs} and {chapter.conv_val_runs} runs)" if chapter.validation else "")
    beyond += (f", and a size sweep of {', '.join(chapter.sweep_variants)} at {', '.join(map(str, chapter.sweep_sizes))} "
               f"pairs ({chapter.sweep_runs} and {chapter.conv_sweep_runs} runs per size)")
    if not differs:
        return (f"Table 1 here is the study's protocol (1000 pairs, 50 epochs, Adam 1e-3, batch 100) on the complete "
                f"MNIST with {runs}{beyond}.")
    return f"Table 1 here is NOT the study's protocol: {'; '.join(differs)}; {runs}{beyond}."
