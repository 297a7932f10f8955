import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Notebook runs in the tests (and their kernels, which inherit the environment) cache their
# results in a fresh folder, even when NBLIB_CACHE is exported: tests recompute, they never
# reuse a developer's (or an earlier CI run's) cache.
os.environ["NBLIB_CACHE"] = tempfile.mkdtemp(prefix="nblib-test-cache-")


import signal  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture()
def ctrl_c():
    """Ctrl-C raises KeyboardInterrupt in this test even where pytest was started ignoring SIGINT (a
    background job of a shell, as CI may run it): `_thread.interrupt_main` does nothing otherwise."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
