"""nblib is two places: the core (nblib/*.py) and the chapters (nblib/chapters/<chapter>/).
Imports go from chapters to the core only: the core never imports a chapter, and no chapter
imports another."""
import pytest

from conftest import ROOT
from nblib.fingerprint import nblib_imports

NBLIB = ROOT / "nblib"
CHAPTERS = sorted(p.name for p in (NBLIB / "chapters").iterdir() if (p / "__init__.py").exists())


def imported_modules(path):
    """The nblib modules a file imports (relative imports resolved), read by nblib's own parser."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return sorted(nblib_imports(module.removesuffix(".__init__"), path))


def test_there_are_chapters_and_core_modules():
    assert {"binary_tree", "beta_lasso", "digit_pairs"} <= set(CHAPTERS)
    assert {"cluster.py", "device.py", "train.py", "cache.py"} <= {p.name for p in NBLIB.glob("*.py")}


@pytest.mark.parametrize("path", sorted(NBLIB.glob("*.py")), ids=lambda p: p.name)
def test_the_core_never_imports_a_chapter(path):
    assert not [m for m in imported_modules(path) if m.startswith("nblib.chapters")]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_imports_only_the_core_and_itself(chapter):
    for path in (NBLIB / "chapters" / chapter).glob("*.py"):
        others = [m for m in imported_modules(path)
                  if m.startswith("nblib.chapters.") and not m.startswith(f"nblib.chapters.{chapter}")]
        assert not others, f"{path.name} imports {others}"

