"""Widgets that keep working in the static book: pre-rendered figures behind a control.

A slider (an ordered choice: a release time, a noise level) or a dropdown (a categorical one: a
model, a setting) has its index linked to a `Stack` of `Image` widgets in the browser (`jslink`),
so changing it needs no kernel; the images and the link are saved in the notebook's widget state.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

import ipywidgets as widgets
from matplotlib.figure import Figure


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """A matplotlib Figure as PNG bytes (no pyplot state involved)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def _images(items: Sequence[tuple[str, Figure]], dpi: int, caller: str) -> tuple[list[str], list[widgets.Image]]:
    """The labels and PNG images of (label, figure) pairs: at least one, labels distinct."""
    if not items:
        raise ValueError(f"{caller} needs at least one (label, figure) pair")
    labels = [str(label) for label, _ in items]
    if len(set(labels)) != len(labels):
        raise ValueError(f"figure choices need distinct labels, got {labels}")
    return labels, [widgets.Image(value=figure_png(fig, dpi), format="png",
                                  layout=widgets.Layout(max_width="100%", height="auto")) for _, fig in items]


def _linked(control: widgets.Widget, images: list[widgets.Image]) -> widgets.VBox:
    """The control above a Stack of the images, its index linked to the stack in the browser."""
    stack = widgets.Stack(images, selected_index=0)
    box = widgets.VBox([control, stack])
    box.link = widgets.jslink((control, "index"), (stack, "selected_index"))  # browser-side link
    return box


def figure_choice(items: Sequence[tuple[str, Figure]], description: str, dpi: int = 100) -> widgets.VBox:
    """A Dropdown over categorical `items` (label, figure) showing the chosen pre-rendered figure: for
    choices with no order (models, settings), where a slider would suggest one."""
    labels, images = _images(items, dpi, "figure_choice")
    return _linked(widgets.Dropdown(options=labels, value=labels[0], description=description,
                                    style={"description_width": "initial"},
                                    layout=widgets.Layout(width="max-content")), images)


def figure_slider(items: Sequence[tuple[str, Figure]], description: str, dpi: int = 100) -> widgets.VBox:
    """A SelectionSlider over `items` (label, figure) showing the chosen pre-rendered figure."""
    labels, images = _images(items, dpi, "figure_slider")
    return _linked(widgets.SelectionSlider(options=labels, value=labels[0], description=description,
                                           continuous_update=True, style={"description_width": "initial"},
                                           layout=widgets.Layout(width="60%")), images)
