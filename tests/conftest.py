import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Notebook runs in the tests (and their kernels, which inherit the environment) cache their
# results in a fresh folder, even when NBLIB_CACHE is exported: tests recompute, they never
# reuse a developer's (or an earlier CI run's) cache.
os.environ["NBLIB_CACHE"] = tempfile.mkdtemp(prefix="nblib-test-cache-")
