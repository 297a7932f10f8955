"""Prepare an executed chapter for the book: the parameters cell and papermill's injected cell are
removed from the built page (the chapter shows the values it ran with as one table instead).

    python -m nblib.publish book/<chapter>.ipynb [...]
"""
from __future__ import annotations

import sys

import nbformat

HIDDEN = ("parameters", "injected-parameters")


def hide_parameter_cells(nb: nbformat.NotebookNode) -> int:
    """Tag the parameters and injected-parameters cells "remove-cell"; returns how many were tagged."""
    count = 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if any(t in tags for t in HIDDEN) and "remove-cell" not in tags:
            tags.append("remove-cell")  # a cell with one of HIDDEN has a tags list already
            count += 1
    return count


def main(paths: list[str]) -> None:
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        hide_parameter_cells(nb)
        nbformat.write(nb, path)


if __name__ == "__main__":
    main(sys.argv[1:])
