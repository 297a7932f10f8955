"""nblib is two places: the core (nblib/*.py) and the chapters (nblib/chapters/<chapter>/).
Imports go from chapters to the core only: the core never imports a chapter, and no chapter
imports another."""
import ast

import pytest

from conftest import ROOT

NBLIB = ROOT / "nblib"
CHAPTERS = sorted(p.name for p in (NBLIB / "chapters").iterdir() if (p / "__init__.py").exists())


def imported_modules(path):
    """Absolute names of the modules a file imports (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            names += [module] + [f"{module}.{a.name}" for a in node.names]
    return names


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
