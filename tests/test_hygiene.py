"""What a developer's environment must not change: fresh caches in tests, checks that run
without a browser, no example output committed by accident."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

import test_browser
from conftest import ROOT


def test_tests_use_a_fresh_cache_even_when_one_is_exported():
    env = {**os.environ, "NBLIB_CACHE": "/exported/by/the/developer"}
    code = "import conftest, os; print(os.environ['NBLIB_CACHE'])"
    seen = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "tests", env=env, capture_output=True, text=True,
                          check=True).stdout.strip()
    assert seen != "/exported/by/the/developer" and os.path.basename(seen).startswith("nblib-test-cache-")
    assert seen.startswith(tempfile.gettempdir()) and os.listdir(seen) == []


def test_the_no_cdn_checks_need_no_browser():
    marks = [m for m in getattr(test_browser.test_pages_reference_no_cdn, "pytestmark", [])
             if m.name == "skipif"]
    assert marks and all("chromium" not in m.kwargs.get("reason", "") for m in marks)
    assert not hasattr(test_browser, "pytestmark"), "no module-wide browser skip"


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_the_readmes_example_output_is_not_committed_by_accident():
    assert subprocess.run(["git", "check-ignore", "-q", "out.ipynb"], cwd=ROOT).returncode == 0
