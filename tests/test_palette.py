"""The book's palette stays distinguishable under deuteranopia, and the test can fail."""
from nblib import palette


def test_every_pair_of_the_palette_is_distinguishable_under_deuteranopia():
    a, b, distance = palette.closest_pair()
    assert distance >= palette.MIN_DISTANCE, (a, b, distance)
    assert len(set(palette.COLORS)) == len(palette.COLORS) == len(palette.NAMES)


def test_the_check_catches_a_red_green_pair():
    red, green = "#d62728", "#2ca02c"  # matplotlib's tab:red and tab:green
    assert palette.deuteranopia_distance(red, green, simulate=False) > 100  # far apart with normal vision
    assert palette.deuteranopia_distance(red, green) < palette.MIN_DISTANCE  # alike to a deuteranope
    assert palette.closest_pair((red, green, "#0072B2"))[:2] == (red, green)


def test_each_curve_gets_a_colour_and_a_line_style():
    first, eighth = palette.style(0, markers=True), palette.style(7)
    assert first == {"color": "#0072B2", "linestyle": "-", "marker": "o"}
    assert eighth["color"] == palette.COLORS[0] and "marker" not in eighth
