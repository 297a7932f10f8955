"""One colour-blind-safe palette for every figure of the book.

Seven colours of Okabe and Ito's palette, ordered so that the first ones differ most, with a line
style and a marker for each, so that no pair of curves relies on colour alone. Every pair stays
distinguishable under deuteranopia (the most common colour-vision deficiency): `deuteranopia_distance`
simulates it (Machado, Oliveira and Fernandes 2009, severity 1) and measures the CIELAB distance, and the
test of this module requires at least MIN_DISTANCE for every pair (matplotlib's default red and green
are 7 apart under the simulation; 120 with normal vision).
"""
from __future__ import annotations

import itertools

import numpy as np

COLORS = ("#0072B2", "#D55E00", "#009E73", "#000000", "#56B4E9", "#CC79A7", "#E69F00")
NAMES = ("blue", "vermillion", "bluish green", "black", "sky blue", "reddish purple", "orange")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
MIN_DISTANCE = 15.0  # CIELAB distance under simulated deuteranopia between any two colours


def style(i: int, markers: bool = False) -> dict:
    """Matplotlib keyword arguments for the i-th curve of a figure: colour, line style, (marker)."""
    out = {"color": COLORS[i % len(COLORS)], "linestyle": LINESTYLES[i % len(LINESTYLES)]}
    if markers:
        out["marker"] = MARKERS[i % len(MARKERS)]
    return out


_DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968],
                          [0.280085, 0.672501, 0.047413],
                          [-0.011820, 0.042940, 0.968881]])  # on linear RGB


def _linear(hex_color: str) -> np.ndarray:
    c = np.array([int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ np.clip(rgb, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def deuteranopia_distance(a: str, b: str, simulate: bool = True) -> float:
    """CIELAB distance (Delta E 1976) between two '#rrggbb' colours as a deuteranope sees them (or as
    anyone does, simulate=False)."""
    x, y = _linear(a), _linear(b)
    if simulate:
        x, y = _DEUTERANOPIA @ x, _DEUTERANOPIA @ y
    return float(np.linalg.norm(_lab(x) - _lab(y)))


def closest_pair(colors=COLORS) -> tuple[str, str, float]:
    """The two colours that a deuteranope sees as most alike, and their distance."""
    return min(((a, b, deuteranopia_distance(a, b)) for a, b in itertools.combinations(colors, 2)),
               key=lambda t: t[2])
