"""`make chapters` and `make refs` replace a published notebook only when its chapter ran to the end."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FAKE_PAPERMILL = """#!/bin/sh
echo partial > "$2"
exit ${FAIL:-0}
"""
FAKE_PYTHON = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/python.log"
"""  # `make chapters` calls `python -m nblib.publish <executed notebook>` before replacing the published one


@pytest.mark.parametrize("target, folder", [("chapters", "book"), ("refs", "tests/refs")])
def test_a_failed_run_leaves_the_published_notebook_as_it_was(tmp_path, target, folder):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    (tmp_path / "bin").mkdir()
    papermill = tmp_path / "bin" / "papermill"
    papermill.write_text(FAKE_PAPERMILL)  # writes part of its output, then fails when FAIL=1
    papermill.chmod(0o755)
    python = tmp_path / "bin" / "python"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    published = tmp_path / folder / "demo.ipynb"
    published.parent.mkdir(parents=True)
    published.write_text("published\n")
    make = ["make", "-s", "-o", "venv", "-o", "notebooks", target, "CHAPTERS=demo", f"BIN={tmp_path / 'bin'}"]
    failed = subprocess.run(make, cwd=tmp_path, env={**os.environ, "FAIL": "1"}, capture_output=True, text=True)
    assert failed.returncode != 0 and "demo failed" in failed.stdout
    assert published.read_text() == "published\n"
    ran = subprocess.run(make, cwd=tmp_path, env={**os.environ, "FAIL": "0"}, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert published.read_text() == "partial\n"  # a run that finished replaces it
    if target == "chapters":
        assert "demo:" in ran.stdout and "s wall" in ran.stdout
        # the executed notebook was prepared for the book (parameter cells removed) before it replaced the published one
        assert (tmp_path / "bin" / "python.log").read_text().startswith("-m nblib.publish ")
