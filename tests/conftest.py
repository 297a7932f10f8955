import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Notebook runs in the tests (and their kernels, which inherit the environment) cache their
# results in a fresh folder unless the caller chose one: tests recompute, they never reuse
# a developer's cache.
os.environ.setdefault("NBLIB_CACHE", tempfile.mkdtemp(prefix="nblib-test-cache-"))
