"""The book's frame: the table of contents in the studies' order, and every chapter citing its study."""
import re

import nbformat
import yaml

from conftest import ROOT
from nblib.chapters import dashboard


def bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "book" / "references.bib").read_text(), re.M))


def test_the_contents_follow_the_studies_with_the_verdicts_first():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    chapters = [f"book/{c}" for c in dashboard.CHAPTERS]  # in the studies' order (1, 1, 2, 3, 4, 5)
    assert files == ["book/verdicts", "book/studies", *chapters, "book/glossary", "book/references"]
    studies = [s for s, _ in dashboard.CHAPTERS.values()]
    assert studies == sorted(studies)
    captions = [part["caption"] for part in toc["parts"]]
    assert [c.split(":")[0] for c in captions[1:-1]] == [f"Study {n}" for n in sorted(set(studies))]
    assert captions[0] == "Verdicts" and captions[-1] == "Back matter"

def test_every_chapter_cites_its_study_at_the_top_from_the_bibliography():
    keys = bib_keys()
    assert len(keys) >= 9
    for chapter in dashboard.CHAPTERS:
        for path in (ROOT / "notebooks" / f"{chapter}.ipynb", ROOT / "book" / f"{chapter}.ipynb"):
            first = nbformat.read(path, as_version=4).cells[0]
            cited = [k.strip() for group in re.findall(r"\{cite\}`([^`]+)`", first.source) for k in group.split(",")]
            assert cited and set(cited) <= keys, (path.name, cited)


def test_the_bibliography_page_lists_every_entry():
    assert "```{bibliography}\n:all:\n```" in (ROOT / "book" / "references.md").read_text()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["bibtex_bibfiles"] == ["book/references.bib"]
    assert "sphinxcontrib.bibtex" in config["sphinx"]["config"]["extensions"]
