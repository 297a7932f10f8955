"""The reproduction scorecard every chapter ends with, and the one rule that grades its claims.

The rule (`RULE`, stated once in the book and cited by every scorecard): a claim that one
thing beats another is graded from the 95% interval of the effect, Student's t over runs,
on paired differences wherever the runs are paired (same seed, same data draw, same theta):
- "reproduced" when the interval excludes zero in the seed's direction;
- "not reproduced" when it excludes zero in the other direction, or, failing that, when it
  excludes the effect size the seed reported (an effect that large would have shown);
- "inconclusive" otherwise, and always when there is no interval (a single run).
An ordering over k items is checked pair by pair: reproduced when every pair is, not
reproduced when any pair is. A tie (an interval [0, 0]) is never a win. Verdicts are
computed by `verdict` and `ordering`, never typed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from nblib.stats import mean_ci, t_quantile

VERDICTS = ("reproduced", "not reproduced", "inconclusive")
LEVEL = 0.95
RULE = ("A comparison is graded from the 95% Student-t interval of its effect over runs, paired "
        "where runs share their seed, data and theta: reproduced when the interval excludes zero in "
        "the seed's direction; not reproduced when it excludes zero in the other direction, or "
        "excludes the seed's own effect size; inconclusive otherwise, and always with a single run "
        "(no interval). An ordering is checked pair by pair; a tie is never a win.")


@dataclass(frozen=True)
class Effect:
    """Mean of a difference over n runs and the half-width of its 95% t-interval (nan for n < 2)."""
    mean: float
    half: float
    n: int

    @property
    def has_interval(self) -> bool:
        return self.n >= 2 and math.isfinite(self.half) and math.isfinite(self.mean)

    def text(self, scale: float = 1.0, digits: int = 2) -> str:
        """'+1.23 ± 0.45' (times `scale`), or the mean and 'one run, no interval'."""
        if not self.has_interval:
            return f"{scale * self.mean:+.{digits}f} (one run, no interval)"
        return f"{scale * self.mean:+.{digits}f} ± {scale * self.half:.{digits}f}"

    def points(self, digits: int = 1) -> str:
        """A difference of accuracies in percentage points: '+1.2 ± 0.5 points'."""
        return f"{self.text(100, digits)} points"


def paired(a: torch.Tensor, b: torch.Tensor) -> Effect:
    """The effect a - b for runs paired index by index (same seed / draw / theta)."""
    if a.shape != b.shape:
        raise ValueError(f"paired runs need the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return effect(a - b)


def unpaired(a: torch.Tensor, b: torch.Tensor) -> Effect:
    """The effect mean(a) - mean(b) for independent sets of runs: Welch's 95% interval."""
    a, b = (torch.as_tensor(x, dtype=torch.float64).flatten() for x in (a, b))
    n = min(len(a), len(b))
    if n < 2:
        return Effect((a.mean() - b.mean()).item(), math.nan, n)
    va, vb = a.var().item() / len(a), b.var().item() / len(b)
    se = math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1)) if se > 0 else 1
    return Effect((a.mean() - b.mean()).item(), t_quantile(max(1, int(dof))) * se, n)


def effect(differences: torch.Tensor) -> Effect:
    """Mean and 95% t half-width of per-run differences (1-D)."""
    differences = torch.as_tensor(differences, dtype=torch.float64).flatten()
    mean, half = mean_ci(differences)
    return Effect(mean.item(), half.item(), len(differences))


def verdict(e: Effect, direction: int = 1, seed_effect: float | None = None) -> str:
    """The shared rule for a claim 'the effect has the sign of `direction`' (seed_effect in the
    same units as the effect, when the seed reported one)."""
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    if not e.has_interval:
        return "inconclusive"
    low, high = sorted((direction * (e.mean - e.half), direction * (e.mean + e.half)))
    if low > 0:
        return "reproduced"
    if high < 0:
        return "not reproduced"
    if seed_effect is not None and not (e.mean - e.half <= seed_effect <= e.mean + e.half):
        return "not reproduced"
    return "inconclusive"


def side(e: Effect, above: str, below: str, within: str = "within noise") -> str:
    """The rule's reading of an effect in words: which side of zero its interval lies on."""
    return {"reproduced": above, "not reproduced": below}.get(verdict(e), within)


def ordering(verdicts) -> str:
    """An ordering claim from its pairwise verdicts."""
    verdicts = list(verdicts)
    if not verdicts:
        return "inconclusive"
    if all(v == "reproduced" for v in verdicts):
        return "reproduced"
    return "not reproduced" if "not reproduced" in verdicts else "inconclusive"


def with_runs(grade: str, runs: int) -> str:
    """A verdict decided without an interval: inconclusive when it rests on a single run."""
    return grade if runs >= 2 else "inconclusive"


@dataclass(frozen=True)
class Claim:
    """One claim of the seed: what it said, its number, ours, and the verdict at our scale."""
    claim: str
    seed: str
    ours: str
    verdict: str

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


def markdown_table(rows: list[Claim]) -> str:
    """The scorecard as a Markdown table (rendered by the book)."""
    lines = ["| Claim | Seed | Ours | Verdict |", "|---|---|---|---|"]
    for r in rows:
        cells = [c.replace("|", "\\|").replace("\n", " ") for c in (r.claim, r.seed, r.ours, r.verdict)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
