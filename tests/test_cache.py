import dataclasses

import pytest
import torch

from nblib.cache import ResultCache, config_key


@dataclasses.dataclass(frozen=True)
class Cfg:
    a: int = 1
    b: tuple = (1, 2)


def test_key_depends_on_every_field():
    assert config_key(Cfg()) == config_key(Cfg())
    assert config_key(Cfg()) != config_key(Cfg(a=2))
    assert config_key(Cfg()) != config_key(Cfg(b=(1, 3)))
    assert config_key({"x": 1, "y": 2}) == config_key({"y": 2, "x": 1})


def test_second_call_loads_instead_of_computing(tmp_path):
    cache, calls = ResultCache(tmp_path), []
    compute = lambda: calls.append(1) or {"w": torch.arange(3.0)}
    first = cache.get_or_compute("r", Cfg(), compute)
    second = cache.get_or_compute("r", Cfg(), compute)
    assert calls == [1]
    assert torch.equal(first["w"], second["w"])
    cache.get_or_compute("r", Cfg(a=5), compute)
    assert calls == [1, 1]


def test_corrupt_file_is_recomputed_not_fatal(tmp_path):
    cache = ResultCache(tmp_path)
    path = cache.save("r", Cfg(), {"v": 1})
    blob = path.read_bytes()
    path.write_bytes(blob[:-10])  # truncated, as by a crash of another writer
    with pytest.warns(UserWarning, match="corrupt"):
        assert cache.load("r", Cfg()) is None
    assert cache.get_or_compute("r", Cfg(), lambda: {"v": 2}) == {"v": 2}
    assert cache.load("r", Cfg()) == {"v": 2}


def test_write_is_atomic_no_temporary_left(tmp_path):
    cache = ResultCache(tmp_path)
    cache.save("r", Cfg(), {"v": 1})
    assert [p.name for p in tmp_path.iterdir()] == [cache.path("r", Cfg()).name]


def test_interrupted_compute_leaves_nothing(tmp_path):
    cache = ResultCache(tmp_path)
    def boom():
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        cache.get_or_compute("r", Cfg(), boom)
    assert list(tmp_path.iterdir()) == []
