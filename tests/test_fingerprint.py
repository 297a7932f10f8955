"""The cache key changes whenever a result could: the code a run reaches, the data it reads."""
import shutil

import numpy as np
import pytest

from nblib import data, fingerprint
from nblib.cache import ResultCache
from nblib.chapters import binary_tree as bt
from nblib.cluster import Runner, run_key

from conftest import ROOT

EXPERIMENT = "nblib.chapters.binary_tree.experiment"


@pytest.fixture
def copy(tmp_path):
    """A copy of the nblib sources, to edit."""
    shutil.copytree(ROOT / "nblib", tmp_path / "nblib", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def edit(root, module, old, new):
    path = fingerprint.source_file(module, root)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_dependencies_follow_imports_and_leave_out_presentation():
    deps = fingerprint.dependencies("nblib.chapters.beta_lasso.experiment")
    assert {"nblib.train", "nblib.optim", "nblib.data", "nblib.layers", "nblib.chapters.beta_lasso.nets",
            "nblib.chapters.beta_lasso.sparsity", "nblib.embed"} <= set(deps)  # embed: a function-level import
    assert not {"nblib.params", "nblib.cache", "nblib.scorecard", "nblib.chapters.beta_lasso.report"} & set(deps)
    assert "nblib.chapters.digit_pairs.experiment" not in deps


def test_code_hash_changes_with_the_code_a_run_reaches(copy):
    before = fingerprint.code_hash(EXPERIMENT, root=copy)
    assert before == fingerprint.code_hash(EXPERIMENT)  # same sources, same hash, wherever they are
    edit(copy, "nblib.chapters.binary_tree.report", "import torch", "import torch  # edited")
    edit(copy, "nblib.claims", "OUTCOMES =", "OUTCOMES  =")
    assert fingerprint.code_hash(EXPERIMENT, root=copy) == before  # presentation: nothing to retrain
    edit(copy, EXPERIMENT, "ys.append(clean + eps * noise)", "ys.append(clean + 2 * eps * noise)")
    changed = fingerprint.code_hash(EXPERIMENT, root=copy)
    assert changed != before
    edit(copy, "nblib.train", "import math", "import math  # edited")  # a module it imports
    assert fingerprint.code_hash(EXPERIMENT, root=copy) not in (before, changed)
    assert fingerprint.package_hash(copy) != fingerprint.package_hash()


TINY = bt.TreeSweep(n_train=(64,), eps=(0.0,), constant_noise_eps=0.0, archs=("OracleNet",), trials=1,
                    epoch_scale=0.01, n_test=16, equal_steps_n=(), more_n=())


def test_a_code_change_is_never_answered_from_the_cache(copy, tmp_path, monkeypatch):
    """The issue's reproduction: edit the noise line, rerun: the old result must not load."""
    cache, runner = ResultCache(tmp_path / "cache"), Runner("cpu")
    runner.map(bt.train, bt.cells(TINY), cache)
    runner.map(bt.train, bt.cells(TINY), cache)
    assert len(list(cache.root.iterdir())) == 1
    monkeypatch.setattr(fingerprint, "ROOT", copy)
    edit(copy, "nblib.chapters.binary_tree.report", "import torch", "import torch  # edited")
    runner.map(bt.train, bt.cells(TINY), cache)
    assert len(list(cache.root.iterdir())) == 1  # a report edit retrains nothing
    edit(copy, EXPERIMENT, "ys.append(clean + eps * noise)", "ys.append(clean + 2 * eps * noise)")
    runner.map(bt.train, bt.cells(TINY), cache)
    assert len(list(cache.root.iterdir())) == 2


def _bundle(root, n_train, n_test=10):
    (root / "cifar10").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("test", n_test)):
        np.savez_compressed(root / "cifar10" / f"{split}.npz", images=rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8),
                            labels=np.arange(n) % 10, indices=np.arange(n))


def count_images(config, device, progress=False):
    return {"n": len(data.load("cifar10", True))}


def test_a_changed_copy_of_the_data_is_never_answered_from_the_cache(tmp_path, monkeypatch):
    """The issue's reproduction: shrink the CIFAR-10 copy, rerun: the old result must not load."""
    import dataclasses
    config = dataclasses.make_dataclass("Cfg", [("k", int, 1)], frozen=True, namespace={"reads": lambda self: ("cifar10",)})()
    monkeypatch.setenv("NBLIB_DATA", str(tmp_path / "data"))
    cache, runner = ResultCache(tmp_path / "cache"), Runner("cpu")
    _bundle(tmp_path / "data", 40)
    data.load.cache_clear(), data.fingerprint.cache_clear()
    assert runner.map(count_images, [config], cache)[0]["n"] == 40
    _bundle(tmp_path / "data", 30)  # the copy shrinks
    data.load.cache_clear(), data.fingerprint.cache_clear()
    assert runner.map(count_images, [config], cache)[0]["n"] == 30
    key = run_key(count_images, config, "cpu", runner.data(["cifar10"]))
    assert "30 train + 10 test" in key["data"]["cifar10"]
    assert {"code", "config", "data", "torch", "device", "dtype"} <= set(key)
    data.load.cache_clear(), data.fingerprint.cache_clear()


def test_a_missing_dataset_stops_before_any_training(tmp_path, monkeypatch):
    import dataclasses
    calls = []
    config = dataclasses.make_dataclass("Cfg", [("k", int, 1)], frozen=True, namespace={"reads": lambda self: ("svhn",)})()
    monkeypatch.setattr(data, "_torchvision", lambda *a: (_ for _ in ()).throw(RuntimeError("no internet")))
    data.load.cache_clear(), data.fingerprint.cache_clear()
    with pytest.raises(data.DatasetNotFoundError, match="svhn is needed by this chapter's runs"):
        Runner("cpu").map(lambda c, d, progress=False: calls.append(c), [config], ResultCache(tmp_path))
    assert calls == []
    data.load.cache_clear(), data.fingerprint.cache_clear()
