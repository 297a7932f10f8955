"""Ctrl-C in a terminal (SIGINT to papermill's process group) and SIGTERM to papermill (what a scheduler
sends at a time limit) stop a chapter within seconds with a non-zero exit; the cache stays valid (every
entry whole, no temporary left) and the rerun resumes: what was stored is loaded, not trained again."""
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

PAPERMILL = Path(sys.executable).with_name("papermill")


def terminal_job() -> None:
    """SIGINT as a terminal's foreground job has it, even where this test runs in the background (a shell
    starts background jobs ignoring SIGINT, and a child inherits that: Ctrl-C cannot reach them)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(out: Path, cache: Path) -> subprocess.Popen:
    """The binary-tree chapter at CI size on its own cache, in its own session, as a terminal runs it."""
    return subprocess.Popen([str(PAPERMILL), str(ROOT / "notebooks/binary_tree.ipynb"), str(out),
                             "-f", str(ROOT / "tests/params/binary_tree.yaml"), "-p", "cache_dir", str(cache),
                             "--cwd", str(ROOT / "notebooks"), "--no-progress-bar"],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            preexec_fn=terminal_job)


def whole(entry: Path) -> bool:
    """A cache entry's digest matches its payload (the format of nblib.cache)."""
    blob = entry.read_bytes()
    return hashlib.sha256(blob[65:]).hexdigest() == blob[:64].decode(errors="replace")


def session_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupted_chapter_stops_within_seconds_and_the_rerun_resumes(how, tmp_path):
    cache = tmp_path / "cache"
    run = start(tmp_path / "out.ipynb", cache)
    deadline = time.monotonic() + 180
    while not list(cache.glob("*.pt")) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run.poll() is None, "the chapter ended before its first result: nothing to interrupt"
    stored = {p: p.stat().st_mtime_ns for p in cache.glob("*.pt")}
    sent = time.monotonic()
    if how.startswith("ctrl-c"):
        os.killpg(run.pid, signal.SIGINT)
    else:
        run.send_signal(signal.SIGTERM)
    code = run.wait(timeout=60)
    assert code != 0 and time.monotonic() - sent < 15
    for _ in range(100):  # the kernel follows its parent out
        if not session_alive(run.pid):
            break
        time.sleep(0.1)
    assert not session_alive(run.pid), "a process of the chapter outlived it"
    assert all(whole(p) for p in cache.glob("*.pt")) and not list(cache.glob("*.tmp*"))
    assert start(tmp_path / "again.ipynb", cache).wait(timeout=600) == 0
    assert all(p.stat().st_mtime_ns == t for p, t in stored.items())  # loaded, not trained again
    assert len(list(cache.glob("*.pt"))) >= len(stored)
