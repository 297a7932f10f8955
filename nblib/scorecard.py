"""The reproduction scorecard every chapter ends with, drawn from its graded claims.

The claims and the engine that grades them are in `nblib.claims`; this module only renders
the graded rows: a Markdown table with a hidden payload the verdict dashboard reads.
"""
from __future__ import annotations

from nblib.claims import Graded, changes_markdown, counts_text, markdown, registration_markdown


def markdown_table(rows: list[Graded], commits: dict[str, str] | None = None) -> str:
    """The scorecard as a Markdown table (rendered by the book), with its payload."""
    return markdown(rows, commits if commits is not None else getattr(rows, "commits", None))


__all__ = ["markdown_table", "counts_text", "scorecard_markdown"]


def scorecard_markdown(card) -> str:
    """Everything under a chapter's scorecard heading: the table, the claims changed after results were
    seen (when any), and whether every claim was registered before the runs that grade it."""
    parts = (markdown_table(card), changes_markdown(card), registration_markdown(card))
    return "\n\n".join(part for part in parts if part)
