"""What a cached result depends on besides its configuration: the code that computed it.

`code_hash(module)` hashes the source of `module` and of every nblib module it imports,
directly or through others (found by reading the `import` statements, not by importing).
Modules that cannot change a number are left out, so editing a report, a plot or a
parameter check does not retrain anything: the presentation and bookkeeping modules of the
core (`PRESENTATION`) and every chapter's `report` and `claims` (registry) modules. Anything else that a run's code
reaches, a layer, the training loop, the data loader, the chapter's own experiment, is in.
"""
from __future__ import annotations

import ast
import hashlib
from pathlib import Path

PACKAGE = "nblib"
ROOT = Path(__file__).resolve().parents[1]  # the folder that holds the nblib package
PRESENTATION = frozenset({
    "nblib.cache", "nblib.claims", "nblib.cluster", "nblib.effects", "nblib.errors",
    "nblib.fingerprint", "nblib.machine", "nblib.palette", "nblib.params", "nblib.scorecard", "nblib.stats",
    "nblib.widgets",
})


def is_presentation(module: str) -> bool:
    """Whether `module` only presents or checks results (its source is not in any key)."""
    return module in PRESENTATION or module.rsplit(".", 1)[-1] in ("report", "claims")


def source_file(module: str, root: Path | None = None) -> Path | None:
    """The .py file of an nblib module under `root` (default ROOT), or None if there is none."""
    base = (root or ROOT).joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def nblib_imports(module: str, path: Path) -> set[str]:
    """The nblib modules (and candidate submodules) that `module`'s source imports."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from .x import y
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names)  # `from nblib import data`
    with_parents = set()
    for name in found:
        parts = name.split(".")
        with_parents.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {name for name in with_parents if name.split(".")[0] == PACKAGE}


def dependencies(*modules: str, root: Path | None = None) -> list[str]:
    """The modules, their packages and the nblib modules they reach through imports, presentation
    modules left out."""
    seen, todo = set(), [".".join(m.split(".")[:i]) for m in modules for i in range(1, m.count(".") + 2)]
    while todo:
        name = todo.pop()
        if name in seen or is_presentation(name):
            continue
        path = source_file(name, root)
        if path is None:  # a name imported from a module, not a module
            continue
        seen.add(name)
        todo.extend(nblib_imports(name, path))
    return sorted(seen)


def code_hash(*modules: str, root: Path | None = None) -> str:
    """sha256 over the sources of `dependencies(*modules)` (names and contents), 20 hex digits."""
    digest = hashlib.sha256()
    for name in dependencies(*modules, root=root):
        digest.update(name.encode() + b"\0" + source_file(name, root).read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def package_hash(root: Path | None = None) -> str:
    """sha256 over every nblib source file: workers must run the notebook's code."""
    root, digest = root or ROOT, hashlib.sha256()
    for path in sorted((root / PACKAGE).rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]
