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


def test_valid_digest_over_an_unloadable_payload_is_recomputed(tmp_path):
    import hashlib
    cache = ResultCache(tmp_path)
    path = cache.path("r", Cfg())
    payload = b"not a torch file"
    path.write_bytes(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    with pytest.warns(UserWarning, match="cannot be loaded"):
        assert cache.get_or_compute("r", Cfg(), lambda: {"v": 3}) == {"v": 3}
    assert cache.load("r", Cfg()) == {"v": 3}


def test_a_folder_in_place_of_an_entry_is_ignored_and_the_result_kept(tmp_path):
    cache = ResultCache(tmp_path)
    cache.path("r", Cfg()).mkdir()
    with pytest.warns(UserWarning) as caught:
        assert cache.get_or_compute("r", Cfg(), lambda: {"v": 4}) == {"v": 4}
    messages = " ".join(str(w.message) for w in caught)
    assert "not a file" in messages and "could not store" in messages


def test_a_result_that_cannot_be_stored_is_still_returned(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = ResultCache(blocker / "cache")  # its folder cannot be created: a file is in the way
    with pytest.warns(UserWarning, match="could not store"):
        assert cache.get_or_compute("r", Cfg(), lambda: {"v": 5}) == {"v": 5}


def test_cache_dir_parameter_is_checked_before_any_work(tmp_path):
    from nblib.cache import check_cache_dir
    from nblib.params import ParameterError
    with pytest.raises(ParameterError, match="parameter 'cache_dir': got 5"):
        check_cache_dir(5)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ParameterError, match="parameter 'cache_dir': cannot create"):
        check_cache_dir(str(blocker / "cache"))
    assert check_cache_dir(str(tmp_path / "new" / "cache")).is_dir()
    with pytest.raises(TypeError, match="root must be a folder path"):
        ResultCache(5)
