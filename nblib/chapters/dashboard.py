"""The verdict dashboard (the one module that knows every chapter): every registered claim of every study, with the verdict its published chapter gave.

Generated from the published chapters (`book/<chapter>.ipynb`: the payload each scorecard carries)
and the registries (`nblib/chapters/<chapter>/claims.py`), never typed: `python -m nblib.chapters.dashboard`
writes `book/verdicts.md` (the book build runs it first). A registered claim that its published
chapter has not graded yet, one changed since the published run, or one registered after the run
was trained is flagged, here and in the chapter itself: each chapter's scorecard includes the note
`book/_flags/<chapter>.md` written at the same time.
"""
from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

from nblib.claims import OUTCOMES, read_payloads

ROOT = Path(__file__).resolve().parents[2]
# chapter -> (study number, title), in the studies' order
CHAPTERS = {
    "binary_tree": (1, "The binary tree"),
    "image_nets": (1, "MNIST and CIFAR-10, with FGSM"),
    "beta_lasso": (2, "beta-LASSO"),
    "weight_divergence": (3, "Freeing a CNN"),
    "digit_pairs": (4, "Digit pairs"),
    "needle": (5, "Releasing a CNN"),
}
PENDING = "not graded by the published chapter yet"
CHANGED = "the claim changed after the published run: rerun the chapter"
LATE = "registered after the published run was trained"
GONE = "no longer registered: rerun the chapter"


def registry(chapter: str) -> tuple:
    """The chapter's registered claims."""
    return tuple(importlib.import_module(f"nblib.chapters.{chapter}.claims").CLAIMS)


def published(path: Path) -> tuple[list[dict], set[str]]:
    """The graded rows a published chapter's scorecard carries, and the section labels its pages define."""
    nb = json.loads(path.read_text())
    rows, labels = [], set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            labels.update(re.findall(r"^\(([\w-]+)\)=\s*$", "".join(cell["source"]), re.M))
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/markdown", "")
            rows.extend(read_payloads("".join(text) if isinstance(text, list) else text))
    return rows, labels


def entries(book: Path | None = None) -> list[dict]:
    """One entry per registered claim (and per graded claim no longer registered), in the studies' order."""
    book = book or ROOT / "book"
    found = []
    for chapter, (study, title) in CHAPTERS.items():
        rows, labels = published(book / f"{chapter}.ipynb")
        graded = {r["id"]: r for r in rows}
        for claim in registry(chapter):
            row = graded.pop(claim.id, None)
            flag = "" if row is None or row["fingerprint"] == claim.fingerprint() else CHANGED
            if row and row.get("registered_after_run") and not flag:
                flag = LATE
            found.append({"chapter": chapter, "study": study, "title": title, "id": claim.id, "words": claim.words,
                          "where": claim.where, "beyond": claim.beyond,
                          "link": claim.section if claim.section in labels else "",
                          "verdict": row["verdict"] if row else PENDING, "ours": row["ours"] if row else "",
                          "theirs": row["study"] if row else "", "flag": flag})
        for row in graded.values():
            found.append({"chapter": chapter, "study": study, "title": title, "id": row["id"], "words": row["words"],
                          "where": row["where"], "beyond": row["beyond"], "link": "", "verdict": row["verdict"],
                          "ours": row["ours"], "theirs": row["study"],
                          "flag": GONE})
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("$", "\\$").replace("\n", " ")


def counts_by_study(found: list[dict]) -> dict[tuple[int, str], dict[str, int]]:
    table: dict[tuple[int, str], dict[str, int]] = {}
    for e in found:
        row = table.setdefault((e["study"], e["chapter"]), {})
        row[e["verdict"]] = row.get(e["verdict"], 0) + 1
    return table


def render(found: list[dict]) -> str:
    """The dashboard page in MyST Markdown."""
    columns = [v for v in OUTCOMES + (PENDING,) if any(e["verdict"] == v for e in found)]
    table = counts_by_study(found)
    lines = ["(verdicts)=", "# Every verdict", "",
             "Every claim of the five studies that the book registers, with the verdict its chapter's scorecard gave "
             "in the published run, our effect and the study's. This page is generated from the published chapters "
             "and the claim registries (`python -m nblib.chapters.dashboard`); nothing here is typed. The outcomes are defined "
             "in {ref}`grading-rule`. A claim marked *beyond the study* is graded on a dataset the study did not use.",
             "", "## Counts", "",
             "| Study | Chapter | " + " | ".join(columns) + " | all |", "|---|---|" + "---|" * (len(columns) + 1)]
    for (study, chapter), row in table.items():
        lines.append(f"| {study} | {{doc}}`{chapter}` | " + " | ".join(str(row.get(v, 0)) for v in columns)
                     + f" | {sum(row.values())} |")
    total = {v: sum(e["verdict"] == v for e in found) for v in columns}
    lines.append("| all | | " + " | ".join(str(total[v]) for v in columns) + f" | {len(found)} |")
    for chapter, (study, title) in CHAPTERS.items():
        mine = [e for e in found if e["chapter"] == chapter]
        lines += ["", f"## Study {study}: {title}", "", f"Chapter: {{doc}}`{chapter}`.", "",
                  "| Claim | Verdict | Ours | The study | Graded in |", "|---|---|---|---|---|"]
        for e in mine:
            words = _cell(e["words"])
            claim = words + f" ({_cell(e['where'])})" + (" *beyond the study*" if e["beyond"] else "") + f" `{e['id']}`"
            verdict = f"**{e['verdict']}**" + (f" ({_cell(e['flag'])})" if e["flag"] else "")
            where = f"{{ref}}`{e['link']}`" if e["link"] else f"{{doc}}`{chapter}`"
            lines.append(f"| {claim} | {verdict} | {_cell(e['ours'])} | {_cell(e['theirs'])} | {where} |")
    return "\n".join(lines) + "\n"


def flags(found: list[dict], chapter: str) -> str:
    """The note a chapter's scorecard includes at build time: its claims changed in the registry since the
    published run (or no longer registered, or not graded by it yet), and those registered after its runs."""
    mine = [e for e in found if e["chapter"] == chapter]
    stale = [e["id"] for e in mine if e["flag"] in (CHANGED, GONE)]
    pending = [e["id"] for e in mine if e["verdict"] == PENDING]
    late = [e["id"] for e in mine if e["flag"] == LATE]
    ids = lambda xs: ", ".join(f"`{x}`" for x in xs)
    lines = []
    if stale:
        lines.append(f"**Changed since this chapter was run:** {ids(stale)}: the registry no longer holds these claims "
                     "as this run graded them, so their rows above are stale until the chapter is rerun.")
    if pending:
        lines.append(f"**Registered since this chapter was run, not graded here yet:** {ids(pending)}.")
    if late:
        lines.append(f"**Registered after this chapter's runs were trained:** {ids(late)}.")
    if not lines:
        lines.append("Checked when this book was built: every claim above is graded as it stands in the registry today.")
    return "\n\n".join(lines) + "\n"


def flag_path(chapter: str, book: Path | None = None) -> Path:
    """Where a chapter's build-time note lives (its scorecard cell includes `_flags/<chapter>.md`)."""
    return (book or ROOT / "book") / "_flags" / f"{chapter}.md"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else ROOT / "book" / "verdicts.md"
    found = entries()
    out.write_text(render(found))
    print(f"wrote {out}")
    for chapter in CHAPTERS:
        path = flag_path(chapter)
        path.parent.mkdir(exist_ok=True)
        path.write_text(flags(found, chapter))
    print(f"wrote {flag_path('').parent}/<chapter>.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
