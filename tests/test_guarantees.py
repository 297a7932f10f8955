"""The same guarantees for every chapter, on two of its smallest runs (shared test code, issue 25 item 5):
the same result from two empty caches, bit for bit; a corrupt entry recomputed to the same result; a run
interrupted mid-way leaves the cache whole and the rerun resumes; two processes running the same runs on
one cache both finish with the same results."""
import _thread
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import pytest
import torch

from nblib.cache import ResultCache
from nblib.chapters import beta_lasso as bl
from nblib.chapters import binary_tree as bt
from nblib.chapters import digit_pairs as dp
from nblib.chapters import image_nets as im
from nblib.chapters import needle
from nblib.chapters import weight_divergence as wd
from nblib.cluster import Runner, task_name

CHAPTERS = ("binary_tree", "image_nets", "beta_lasso", "weight_divergence", "digit_pairs", "needle")


def small(chapter: str):
    """(train function, two of the chapter's smallest runs)."""
    if chapter == "binary_tree":
        return bt.train, bt.cells(bt.TreeSweep(n_train=(64, 96), eps=(0.0,), constant_noise_eps=0.0, trials=1,
                                               epoch_scale=0.01, equal_steps_n=(), more_n=()))
    if chapter == "image_nets":
        return im.train, [im.Cell("mnist", arch, 5, seeds=2, epoch_scale=0.05, eps=(0.1,), pgd_eps=0.1, pgd_steps=1,
                                  pgd_images=5, attack_per_class=2, eval_per_class=5) for arch in ("ConvNet", "FCNet")]
    if chapter == "beta_lasso":
        return bl.train, [bl.RunConfig("mnist", optimizer=o, epochs=1, train_per_class=10, val_fraction=0.2)
                          for o in ("sgd", "beta-lasso")]
    if chapter == "weight_divergence":
        return wd.train, [wd.Run("mnist", sigma, cnn_epochs=1, after_epochs=1, patience=1, train_per_class=10,
                                 eval_per_class=5, seed=0) for sigma in (0.0, 0.5)]
    if chapter == "digit_pairs":
        config = dp.experiment.PairsConfig(n_pairs=40, runs=2, epochs=1, n_test=20)
        return dp.train, [dp.experiment.ModelRun("shallow", s, False, config) for s in (False, True)]
    return needle.train, [needle.Release(to, 1, channels=4, epochs=2, batch_size=50, train_per_class=5)
                          for to in ("efcn", "elcn")]


def same(a, b) -> bool:
    """Equal results, bit for bit (a NaN equal to a NaN in the same place), apart from timings and where they ran."""
    if isinstance(a, torch.Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and (
            torch.equal(a, b) or (a.is_floating_point() and torch.equal(a.isnan(), b.isnan())
                                  and torch.equal(a.nan_to_num(0.0), b.nan_to_num(0.0))))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a if k not in ("seconds", "ran_on", "trained_at"))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def run_in_a_process(chapter: str, root: str, threads: int) -> list:
    torch.set_num_threads(threads)  # as many as this process: float sums are grouped by the thread count
    fn, configs = small(chapter)
    return Runner("cpu").map(fn, configs, ResultCache(root))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_keeps_the_cache_guarantees(chapter, tmp_path, ctrl_c):
    fn, configs = small(chapter)
    runner = Runner("cpu")
    first = runner.map(fn, configs, ResultCache(tmp_path / "a"))
    # the same results from another empty cache, bit for bit
    assert same(runner.map(fn, configs, ResultCache(tmp_path / "b")), first)
    # a corrupt entry is recomputed, to the same result
    entries = sorted((tmp_path / "a").glob(f"{task_name(fn)}-*.pt"))
    assert len(entries) == 2
    entries[0].write_bytes(entries[0].read_bytes()[:100])
    with pytest.warns(UserWarning, match="corrupt"):
        again = runner.map(fn, configs, ResultCache(tmp_path / "a"))
    assert same(again, first) and len(entries[0].read_bytes()) > 100
    # interrupted while the second run trains: the first stays stored, nothing half-written, the rerun resumes
    cache = ResultCache(tmp_path / "c")

    finished = threading.Event()

    def stop_when_the_first_is_stored():
        while not list(cache.root.glob("*.pt")) and not finished.is_set():
            time.sleep(0.01)
        if not finished.is_set():
            _thread.interrupt_main()

    interrupt = threading.Thread(target=stop_when_the_first_is_stored)
    interrupt.start()
    try:
        try:
            runner.map(fn, configs, cache)
        finally:
            finished.set()
        interrupt.join()  # an interrupt sent just as the map ended lands here
    except KeyboardInterrupt:
        interrupt.join()
    stored = {p: p.stat().st_mtime_ns for p in cache.root.glob("*.pt")}
    assert len(stored) >= 1 and not list(cache.root.glob("*.tmp*"))
    assert same(runner.map(fn, configs, cache), first)
    assert all(p.stat().st_mtime_ns == t for p, t in stored.items())  # loaded, not trained again
    # two processes on one empty cache at once: both finish, with the same results
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        both = list(pool.map(run_in_a_process, [chapter] * 2, [str(tmp_path / "d")] * 2, [torch.get_num_threads()] * 2))
    assert same(both[0], first) and same(both[1], first)
