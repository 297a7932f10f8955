from pathlib import Path

import numpy as np
import pytest
import torch

from nblib import data

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def fresh_cache():
    data.load.cache_clear()
    data.fingerprint.cache_clear()
    yield
    data.load.cache_clear()
    data.fingerprint.cache_clear()


def test_balanced_subset_is_balanced_and_deterministic():
    labels = torch.arange(10).repeat_interleave(50)[torch.randperm(500, generator=torch.Generator().manual_seed(1))]
    idx = data.balanced_subset(labels, 7, seed=3)
    assert data.class_counts(labels[idx]) == [7] * 10
    assert len(set(idx.tolist())) == 70
    assert torch.equal(idx, data.balanced_subset(labels, 7, seed=3))
    assert not torch.equal(idx, data.balanced_subset(labels, 7, seed=4))
    with pytest.raises(ValueError, match="per_class=51"):
        data.balanced_subset(labels, 51, seed=0)


def test_missing_dataset_names_files_and_remedy(tmp_path, monkeypatch):
    def offline(*args):
        raise RuntimeError("no internet")
    monkeypatch.setattr(data, "_torchvision", offline)
    with pytest.raises(data.DatasetNotFoundError) as err:
        data.load("mnist", True, str(tmp_path))
    text = str(err.value)
    assert "train-images-idx3-ubyte.gz" in text and str(tmp_path) in text
    assert "--install-offline" in text and "NBLIB_DATA" in text
    assert err.value.__cause__ is None and err.value.__suppress_context__  # one message, no chained tracebacks
    assert "RuntimeError: no internet" in text  # the underlying reason, in one line
    with pytest.raises(data.DatasetNotFoundError, match="cifar-10-batches-py"):
        data.load("cifar10", False, str(tmp_path))
    with pytest.raises(ValueError, match="mnist"):
        data.load("imagenet")


def test_data_root_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NBLIB_DATA", str(tmp_path))
    assert data.data_root() == tmp_path


def test_cifar10_bundle_fallback_reports_its_size(tmp_path):
    (tmp_path / "cifar10").mkdir()
    images = np.random.default_rng(0).integers(0, 256, (12, 32, 32, 3), dtype=np.uint8)
    np.savez_compressed(tmp_path / "cifar10" / "test.npz", images=images,
                        labels=np.arange(12) % 10, indices=np.arange(12))
    split = data.load("cifar10", False, str(tmp_path))
    assert split.images.shape == (12, 3, 32, 32) and split.images.dtype == torch.uint8
    assert torch.equal(split.images[3, :, 5, 7], torch.as_tensor(images[3, 5, 7]))  # HWC -> CHW
    assert "PARTIAL" in split.note and "12 of 10,000" in split.note


@pytest.mark.skipif(not SHARED.exists(), reason="needs the offline copies in ../shared/data")
def test_offline_mnist_and_cifar10(tmp_path):
    files = data.install_offline_copy(SHARED, tmp_path)
    assert all(f.is_file() for f in files)
    assert {"train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train.npz", "test.npz"} <= {f.name for f in files}
    root = tmp_path
    train, test = data.load("mnist", True, str(root)), data.load("mnist", False, str(root))
    assert train.images.shape == (60000, 1, 28, 28) and len(test) == 10000
    assert data.class_counts(train.labels)[:3] == [5923, 6742, 5958]
    cifar = data.load("cifar10", True, str(root))
    assert len(cifar) == 7728 and cifar.images.shape[1:] == (3, 32, 32)
    assert "7,728 of 50,000" in cifar.note


def _cifar_bundle(root, n_train, n_test=12, seed=0):
    (root / "cifar10").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("test", n_test)):
        np.savez_compressed(root / "cifar10" / f"{split}.npz",
                            images=rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8),
                            labels=np.arange(n) % 10, indices=np.arange(n))


def test_fingerprint_changes_with_the_data(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    _cifar_bundle(a, 30)
    _cifar_bundle(b, 20)          # the same copy, shrunk: the first 20 rows are identical
    _cifar_bundle(c, 30, seed=1)  # same size, other images
    fa, fb, fc = (data.fingerprint("cifar10", str(r)) for r in (a, b, c))
    assert "30 train + 12 test" in fa and "20 train + 12 test" in fb
    assert len({fa, fb, fc}) == 3
    data.load.cache_clear()
    data.fingerprint.cache_clear()
    assert data.fingerprint("cifar10", str(a)) == fa  # stable across loads


def test_install_offline_refuses_a_source_without_data(tmp_path):
    import subprocess
    import sys
    with pytest.raises(data.DatasetNotFoundError, match="does not exist"):
        data.install_offline_copy(tmp_path / "missing", tmp_path / "root")
    with pytest.raises(data.DatasetNotFoundError, match="no offline dataset files"):
        data.install_offline_copy(tmp_path, tmp_path / "root")
    cli = subprocess.run([sys.executable, "-m", "nblib.data", "--install-offline", str(tmp_path / "missing")],
                         capture_output=True, text=True, env={"NBLIB_DATA": str(tmp_path / "root"), "PATH": ""})
    assert cli.returncode != 0 and "does not exist" in cli.stderr and "Traceback" not in cli.stderr


def test_a_truncated_cifar_bundle_names_the_file_and_what_is_wrong(tmp_path):
    _cifar_bundle(tmp_path, 30)
    path = tmp_path / "cifar10" / "train.npz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(data.DatasetDamagedError) as err:
        data.load("cifar10", True, str(tmp_path))
    message = str(err.value)
    assert f"{path} is damaged: not a zip archive" in message and "--install-offline" in message
    assert "not found" not in message


@pytest.mark.skipif(not SHARED.exists(), reason="needs the offline copies in ../shared/data")
def test_a_truncated_mnist_archive_is_damaged_not_missing_and_a_reinstall_mends_it(tmp_path):
    data.install_offline_copy(SHARED, tmp_path)
    gz = tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:1000])
    with pytest.raises(data.DatasetDamagedError) as err:
        data.load("mnist", True, str(tmp_path))
    message = str(err.value)
    assert f"{gz} is damaged: its md5 is" in message and "d53e105ee54ea40749a09fcbcd1e9432" in message
    assert "1,000 bytes here" in message and "not found" not in message
    data.install_offline_copy(SHARED, tmp_path)  # the damaged copy is replaced
    data.load.cache_clear()
    assert len(data.load("mnist", True, str(tmp_path))) == 60000


def test_a_damaged_source_is_never_installed(tmp_path):
    source = tmp_path / "source"
    (source / "cifar10").mkdir(parents=True)
    (source / "cifar10" / "train.npz").write_bytes(b"not a zip archive")
    with pytest.raises(data.DatasetDamagedError, match=r"train\.npz \(the copy to install\) is damaged: its sha256"):
        data.install_offline_copy(source, tmp_path / "root")
    assert not (tmp_path / "root" / "cifar10" / "train.npz").exists()
