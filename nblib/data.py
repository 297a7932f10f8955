"""Datasets as tensors in memory, from torchvision or the offline copies.

The data root is $NBLIB_DATA, else <user cache>/nblib/data. MNIST, CIFAR-10, CIFAR-100 and
SVHN come through torchvision (downloaded on a machine with internet). Offline, MNIST's four
`.gz` files copied to <root>/MNIST/raw are enough (torchvision checks their md5 and extracts
them), and CIFAR-10 falls back to the array bundle <root>/cifar10/{train,test}.npz, a partial
copy whose size is part of what is returned (`ImageData.note`). `install_offline_copy`
copies `../shared/data`-style folders into the root.
"""
from __future__ import annotations

import functools
import hashlib
import os
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

DATASETS = ("mnist", "cifar10", "cifar100", "svhn")


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is neither in the data root nor downloadable from here."""


class DatasetDamagedError(DatasetNotFoundError):
    """A dataset's file is there but cannot be used (truncated, not an archive, wrong checksum): the
    message names the file, what is wrong and how to get a good copy."""


# The offline copies' checksums (../shared/data/README.md): torchvision's md5 of MNIST's files, and the
# sha256 of the partial CIFAR-10 bundle. Checked when a copy is installed, and to explain a file that
# fails to load.
OFFLINE_CHECKSUMS = {
    "MNIST/raw/train-images-idx3-ubyte.gz": ("md5", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "MNIST/raw/train-labels-idx1-ubyte.gz": ("md5", "d53e105ee54ea40749a09fcbcd1e9432"),
    "MNIST/raw/t10k-images-idx3-ubyte.gz": ("md5", "9fb629c4189551a2d022fa330f9573f3"),
    "MNIST/raw/t10k-labels-idx1-ubyte.gz": ("md5", "ec29112dd5afa0611ce80d1b7f02629c"),
    "cifar10/train.npz": ("sha256", "f6f8aff26be1d60c0b02cfe24fc0df9271e9fea22a2061872ef60b418b897c42"),
    "cifar10/test.npz": ("sha256", "6b14d8485dd8dc1f5cd5bc3ad2c5fb8488e2858c5ec70bc7ac17bcf30ba9f4d1"),
    "cifar10/labels_full.npz": ("sha256", "f08e72fc2feb2527a5b481287ed35a9723dde036228b183ed6886438dd0d3415"),
}
GOOD_COPY = ("delete it and copy a good one (python -m nblib.data --install-offline ../shared/data), or let "
             "torchvision download it on a machine with internet")


def checksum_problem(path: Path, relative: str) -> str:
    """What is wrong with a file whose checksum is known ('' if it matches or is not known)."""
    if relative not in OFFLINE_CHECKSUMS:
        return ""
    kind, expected = OFFLINE_CHECKSUMS[relative]
    actual = hashlib.new(kind, path.read_bytes()).hexdigest()
    return "" if actual == expected else (f"its {kind} is {actual}, the good copy's is {expected} "
                                          f"({path.stat().st_size:,} bytes here: truncated or altered)")


def damaged(path: Path, what: str) -> DatasetDamagedError:
    return DatasetDamagedError(f"{path} is damaged: {what}. To fix it, {GOOD_COPY}.")


@dataclass(frozen=True)
class ImageData:
    """One split: images uint8 (N, C, H, W), labels int64 (N,), and where they came from."""
    images: torch.Tensor
    labels: torch.Tensor
    name: str
    note: str

    def __len__(self) -> int:
        return len(self.labels)

    def float(self) -> torch.Tensor:
        """Images as float32 in [0, 1]."""
        return self.images.float() / 255


def data_root() -> Path:
    """$NBLIB_DATA, else <user cache>/nblib/data."""
    if os.environ.get("NBLIB_DATA"):
        return Path(os.environ["NBLIB_DATA"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nblib" / "data"


OFFLINE_FILES = ("MNIST/raw/*.gz", "cifar10/*.npz")


def install_offline_copy(source: str | os.PathLike, root: str | os.PathLike | None = None) -> list[Path]:
    """Copy offline dataset files (MNIST/raw/*.gz, cifar10/*.npz) from `source` into the data root.

    Returns the files now in the root (copied or already there); DatasetNotFoundError when
    `source` holds none of them.
    """
    source, root = Path(source), Path(root) if root else data_root()
    found = [path for pattern in OFFLINE_FILES for path in sorted(source.glob(pattern))]
    if not found:
        raise DatasetNotFoundError(
            f"no offline dataset files in {source} (looked for {', '.join(OFFLINE_FILES)}"
            f"{'' if source.is_dir() else '; the folder does not exist'})")
    installed = []
    for path in found:
        relative = path.relative_to(source).as_posix()
        if problem := checksum_problem(path, relative):  # a damaged source is never installed
            raise DatasetDamagedError(f"{path} (the copy to install) is damaged: {problem}; nothing was copied "
                                      "from it")
        target = root / relative
        if not target.exists() or checksum_problem(target, relative):  # a damaged copy in the root is replaced
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        installed.append(target)
    return installed


def _missing(name: str, looked_for: list[Path], how: str) -> DatasetNotFoundError:
    files = "\n  ".join(str(p) for p in looked_for)
    return DatasetNotFoundError(
        f"{name} not found. Looked for:\n  {files}\n{how}\n"
        f"(data root: {data_root()}; set NBLIB_DATA to change it)")


def _torchvision(name: str, train: bool, root: Path):
    import torchvision.datasets as tvd
    if name == "mnist":
        return tvd.MNIST(root, train=train, download=True)
    if name == "cifar10":
        return tvd.CIFAR10(root, train=train, download=True)
    if name == "cifar100":
        return tvd.CIFAR100(root, train=train, download=True)
    return tvd.SVHN(root, split="train" if train else "test", download=True)


@functools.lru_cache(maxsize=8)
def load(name: str, train: bool = True, root: str | None = None) -> ImageData:
    """A whole split in memory, loaded once per process."""
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}")
    root = Path(root) if root else data_root()
    split = "train" if train else "test"
    if name == "cifar10" and not (root / "cifar-10-batches-py").exists() and (root / "cifar10" / f"{split}.npz").exists():
        return _cifar10_npz(root, split)
    try:
        ds = _torchvision(name, train, root)
    except Exception as err:  # no internet, or files with a wrong checksum: one message, no chain
        raise _looked_for(name, root, split, err) from None
    images = torch.as_tensor(np.asarray(ds.data))
    labels = torch.as_tensor(np.asarray(ds.targets if hasattr(ds, "targets") else ds.labels), dtype=torch.int64)
    if images.ndim == 3:                      # MNIST (N, 28, 28)
        images = images[:, None]
    elif images.shape[-1] == 3:               # CIFAR (N, 32, 32, 3) HWC
        images = images.permute(0, 3, 1, 2)
    return ImageData(images.contiguous(), labels, name, f"{name} {split}, {len(labels):,} images (torchvision)")


def _looked_for(name: str, root: Path, split: str, err: Exception) -> DatasetNotFoundError:
    """Why torchvision could not give `name`: a file that is there but damaged, else what is missing."""
    if name == "mnist":
        files = [root / "MNIST" / "raw" / f for f in (
            "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")]
        for path in files:
            if path.is_file() and (problem := checksum_problem(path, f"MNIST/raw/{path.name}")):
                return damaged(path, problem)
        if all(path.is_file() for path in files):  # the archives are good: an extracted file is not
            return DatasetDamagedError(
                f"mnist's files in {root / 'MNIST' / 'raw'} are there and their .gz archives are good, but torchvision "
                f"cannot read them ({type(err).__name__}: {str(err).strip()[:200]}): an extracted file is damaged. "
                "Delete the files without .gz in that folder; torchvision extracts them again.")
        how = ("Get them with torchvision on a machine with internet, or copy an offline copy:\n"
               "  python -m nblib.data --install-offline ../shared/data")
    elif name == "cifar10":
        files = [root / "cifar-10-batches-py", root / "cifar10" / f"{split}.npz"]
        how = ("Get CIFAR-10 with torchvision on a machine with internet, or copy the partial offline "
               "bundle:\n  python -m nblib.data --install-offline ../shared/data")
    else:
        files = [root]
        how = f"{name} is only available through torchvision's download (needs internet)."
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return _missing(name, files, f"{how}\n(torchvision: {type(err).__name__}: {reason[:200]})")


def _cifar10_npz(root: Path, split: str) -> ImageData:
    path = root / "cifar10" / f"{split}.npz"
    try:
        with np.load(path) as bundle:
            images = torch.as_tensor(bundle["images"]).permute(0, 3, 1, 2).contiguous()  # (N, 3, 32, 32)
            labels = torch.as_tensor(bundle["labels"], dtype=torch.int64)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError) as err:
        what = {zipfile.BadZipFile: "not a zip archive (an .npz is one)", EOFError: "it ends too early (a short read)",
                KeyError: "an array is missing"}.get(type(err), "it cannot be read")
        problem = checksum_problem(path, f"cifar10/{split}.npz")
        raise damaged(path, f"{what} ({type(err).__name__}: {str(err).strip()[:120]})"
                      + (f"; {problem}" if problem else "")) from None
    full = 50_000 if split == "train" else 10_000
    return ImageData(images, labels, "cifar10",
                     f"CIFAR-10 {split}, PARTIAL offline copy: {len(labels):,} of {full:,} images")


@functools.lru_cache(maxsize=8)
def fingerprint(name: str, root: str | None = None) -> str:
    """What a run reads from `name`: both splits' sizes and a sha256 of their images and labels.

    Part of every cached result's key, so a changed copy of the data (another size, other
    files) is never answered with results computed on the old one.
    """
    digest = hashlib.sha256()
    sizes = []
    for train in (True, False):
        split = load(name, train, root)
        for tensor in (split.images, split.labels):
            digest.update(str((tuple(tensor.shape), str(tensor.dtype))).encode())
            digest.update(tensor.contiguous().numpy().tobytes())
        sizes.append(len(split))
    return f"{name}: {sizes[0]:,} train + {sizes[1]:,} test images, sha256 {digest.hexdigest()[:24]}"


def balanced_subset(labels: torch.Tensor, per_class: int, seed: int) -> torch.Tensor:
    """Indices of `per_class` examples of every class, chosen at random but fixed by `seed`."""
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for c in labels.unique(sorted=True).tolist():
        members = (labels == c).nonzero().squeeze(1)
        if len(members) < per_class:
            raise ValueError(f"per_class={per_class} but class {c} has only {len(members)} examples")
        chosen.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return torch.cat(chosen).sort().values


def class_counts(labels: torch.Tensor) -> list[int]:
    return torch.bincount(labels).tolist()


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description="nblib data root tools")
    parser.add_argument("--install-offline", metavar="SRC", help="copy offline dataset files from SRC")
    args = parser.parse_args()
    if args.install_offline:
        try:
            files = install_offline_copy(args.install_offline)
        except DatasetNotFoundError as err:
            raise SystemExit(f"error: {err}") from None
        print(f"{len(files)} dataset files in {data_root()}")
    else:
        print(data_root())
