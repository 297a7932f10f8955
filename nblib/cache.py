"""Results cached on disk under a hash of the full configuration.

Each entry is one file `<name>-<key>.pt`: a 64-character sha256 of the payload, a newline,
then the `torch.save` payload. Files are written to a temporary name and renamed, so an
interrupted write never leaves a half file under the real name; a file whose digest does not
match (corrupt, truncated) is reported, deleted and recomputed.
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


def default_cache_dir() -> Path:
    """$NBLIB_CACHE, else <user cache>/nblib/results."""
    if os.environ.get("NBLIB_CACHE"):
        return Path(os.environ["NBLIB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nblib" / "results"


def config_key(config) -> str:
    """A stable hash of a config (dataclass or JSON-able dict) and the nblib version."""
    if dataclasses.is_dataclass(config):
        config = dataclasses.asdict(config)
    text = json.dumps({"config": config, "nblib": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class ResultCache:
    """A folder of results keyed by configuration; `get_or_compute` is the one entry point."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root else default_cache_dir()

    def path(self, name: str, config) -> Path:
        return self.root / f"{name}-{config_key(config)}.pt"

    def load(self, name: str, config):
        """The stored result, or None when absent or corrupt (a corrupt file is removed)."""
        path = self.path(name, config)
        if not path.exists():
            return None
        blob = path.read_bytes()
        digest, payload = blob[:64].decode(errors="replace"), blob[65:]
        if hashlib.sha256(payload).hexdigest() != digest:
            warnings.warn(f"cache file {path} is corrupt; recomputing it", stacklevel=2)
            path.unlink(missing_ok=True)
            return None
        return torch.load(io.BytesIO(payload), weights_only=False)

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

    def get_or_compute(self, name: str, config, compute):
        """Load the result for (name, config), or compute, store and return it."""
        result = self.load(name, config)
        if result is None:
            result = compute()
            self.save(name, config, result)
        return result
