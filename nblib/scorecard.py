"""The reproduction scorecard every chapter ends with."""
from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("reproduced", "not reproduced", "inconclusive")


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
