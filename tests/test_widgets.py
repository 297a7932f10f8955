import ipywidgets as widgets
import pytest
from matplotlib.figure import Figure

from nblib.widgets import figure_png, figure_slider


def _fig(value):
    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [0, value])
    return fig


def test_slider_stack_of_distinct_images_linked_in_browser():
    box = figure_slider([("a", _fig(1)), ("b", _fig(2)), ("c", _fig(3))], "choice")
    slider, stack = box.children
    assert slider.options == ("a", "b", "c")
    assert [type(c) for c in stack.children] == [widgets.Image] * 3
    assert len({bytes(c.value) for c in stack.children}) == 3
    assert all(bytes(c.value).startswith(b"\x89PNG") for c in stack.children)
    assert box.link.source == (slider, "index")
    assert box.link.target == (stack, "selected_index")


def test_png_without_pyplot():
    assert figure_png(_fig(1)).startswith(b"\x89PNG")


def test_empty_slider_is_an_error():
    with pytest.raises(ValueError):
        figure_slider([], "x")


def test_categorical_choice_is_a_dropdown_linked_in_browser():
    from nblib.widgets import figure_choice
    box = figure_choice([("CNN", _fig(1)), ("free net", _fig(2))], "setting")
    dropdown, stack = box.children
    assert isinstance(dropdown, widgets.Dropdown) and dropdown.options == ("CNN", "free net")
    assert len({bytes(c.value) for c in stack.children}) == 2
    assert box.link.source == (dropdown, "index") and box.link.target == (stack, "selected_index")
    with pytest.raises(ValueError, match="distinct labels"):
        figure_choice([("a", _fig(1)), ("a", _fig(2))], "x")
    with pytest.raises(ValueError):
        figure_choice([], "x")
