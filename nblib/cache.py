"""Results cached on disk under a hash of their key.

The key is whatever the caller says a result depends on; for a chapter's runs it is
`nblib.cluster.run_key`: the source of the code, the configuration, the data's fingerprint,
torch, the device type and the dtype. Each entry is one file `<name>-<hash of key>.pt`: a
64-character sha256 of the payload, a newline, then the `torch.save` payload. Files are
written to a temporary name and renamed, so an interrupted write never leaves a half file
under the real name. A file that is not a valid entry (digest mismatch, a payload torch
cannot load, a folder in its place) is reported and recomputed; a result that cannot be
stored is reported and still returned.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import tempfile
import warnings
from pathlib import Path

import torch

from nblib import __version__
from nblib.errors import ParameterError


def default_cache_dir() -> Path:
    """$NBLIB_CACHE, else <user cache>/nblib/results."""
    if os.environ.get("NBLIB_CACHE"):
        return Path(os.environ["NBLIB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nblib" / "results"


def check_cache_dir(cache_dir) -> Path:
    """The folder a `cache_dir` parameter names ('' = the default), created and writable;
    ParameterError naming the parameter otherwise (before any work, so no result is lost)."""
    if not isinstance(cache_dir, str):
        raise ParameterError(f"parameter 'cache_dir': got {cache_dir!r} ({type(cache_dir).__name__}); "
                             "expected a folder path as a string ('' for the default)")
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root):
            pass
    except OSError as err:
        raise ParameterError(f"parameter 'cache_dir': cannot create or write the results folder {root} "
                             f"({err.strerror or err}); pick another folder") from None
    return root


def config_key(config) -> str:
    """A stable hash of a key (dataclass or JSON-able dict) and the nblib version."""
    if dataclasses.is_dataclass(config):
        config = dataclasses.asdict(config)
    text = json.dumps({"config": config, "nblib": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class ResultCache:
    """A folder of results keyed by configuration; `get_or_compute` is the one entry point."""

    def __init__(self, root: str | os.PathLike | None = None):
        if root is not None and not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"ResultCache: root must be a folder path, got {root!r} ({type(root).__name__})")
        self.root = Path(root) if root else default_cache_dir()

    def path(self, name: str, config) -> Path:
        return self.root / f"{name}-{config_key(config)}.pt"

    def load(self, name: str, config):
        """The stored result, or None when absent or corrupt (a corrupt file is removed)."""
        path = self.path(name, config)
        if not path.exists():
            return None
        if not path.is_file():
            warnings.warn(f"cache entry {path} is not a file; ignoring it (recomputing)", stacklevel=2)
            return None
        blob = path.read_bytes()
        digest, payload = blob[:64].decode(errors="replace"), blob[65:]
        if hashlib.sha256(payload).hexdigest() != digest:
            warnings.warn(f"cache file {path} is corrupt; recomputing it", stacklevel=2)
            path.unlink(missing_ok=True)
            return None
        try:
            return torch.load(io.BytesIO(payload), weights_only=False)
        except Exception as err:  # a valid digest over a payload this torch cannot read
            warnings.warn(f"cache file {path} cannot be loaded ({type(err).__name__}: {err}); "
                          "recomputing it", stacklevel=2)
            path.unlink(missing_ok=True)
            return None

    def save(self, name: str, config, result) -> Path:
        buffer = io.BytesIO()
        torch.save(result, buffer)
        payload = buffer.getvalue()
        path = self.path(name, config)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)  # atomic on POSIX
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path

    def keep(self, name: str, config, result) -> Path | None:
        """Store a result just computed; if that fails, warn and go on (the caller still has it)."""
        try:
            return self.save(name, config, result)
        except OSError as err:
            warnings.warn(f"could not store a result in the cache {self.root} ({err}); it is used "
                          "but will be recomputed next time", stacklevel=2)
            return None

    def get_or_compute(self, name: str, config, compute):
        """Load the result for (name, config), or compute, store and return it."""
        result = self.load(name, config)
        if result is None:
            result = compute()
            self.keep(name, config, result)
        return result
