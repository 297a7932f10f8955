"""The `cluster` parameter: chapters' runs on Dask give the in-process results; failures lose nothing.

One LocalCluster of 2 worker processes serves the module; the Runner reaches it through its
scheduler address, the path a user's own cluster takes (`-p cluster tcp://host:port`).
"""
import math
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import dask
import cloudpickle
import pytest
import torch
from distributed import LocalCluster

from nblib import cluster as nbcluster
from nblib.cache import ResultCache
from nblib.chapters import beta_lasso as bl
from nblib.chapters import binary_tree as bt
from nblib.chapters import digit_pairs as dp
from nblib.chapters import image_nets as im
from nblib.cluster import RunFailed, Runner, parse_cluster
from nblib.params import ParameterError, check_params

# the test's own task functions travel to the workers by value (they are not in nblib)
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def scheduler():
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=40) as local:
        yield local.scheduler_address


@pytest.fixture()
def runner(scheduler):
    with Runner("cpu", scheduler) as r:
        yield r


def same(a, b) -> bool:
    """Equal results, bit for bit, apart from timings and where they ran (a NaN equals a NaN: an epoch
    that was not recorded, a dead unit)."""
    if isinstance(a, torch.Tensor):
        if a.is_floating_point() and isinstance(b, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype:
            return bool(((a == b) | (a.isnan() & b.isnan())).all())
        return torch.equal(a, b)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a if k not in ("seconds", "ran_on", "trained_at"))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("spec, parsed", [
    ("", ("process", None)), ("local:3", ("local", 3)),
    ("tcp://10.0.0.5:8786", ("remote", "tcp://10.0.0.5:8786")),
    ("tls://scheduler.example.org:8786", ("remote", "tls://scheduler.example.org:8786"))])
def test_cluster_specs(spec, parsed):
    assert parse_cluster(spec) == parsed


@pytest.mark.parametrize("spec", ["local", "local:0", "local:-1", "slurm", "tcp://host", "http://h:1", None])
def test_bad_cluster_names_the_parameter_and_the_allowed_values(spec):
    with pytest.raises(ParameterError, match=r"parameter 'cluster'.*(local:N|N >= 1)"):
        Runner("cpu", spec)


def test_a_local_cluster_is_bounded_by_the_cores():
    most = nbcluster.LOCAL_WORKERS_PER_CORE * os.cpu_count()
    assert parse_cluster(f"local:{most}") == ("local", most)
    with pytest.raises(ParameterError, match=rf"'local:{most + 1}'.*N <= {most}"):
        parse_cluster(f"local:{most + 1}")
    with pytest.raises(ParameterError, match=r"'local:100000'"):
        Runner("cpu", "local:100000")  # refused before any worker starts


def test_an_unreachable_scheduler_is_a_parameter_error(monkeypatch):
    monkeypatch.setattr(nbcluster, "CONNECT_TIMEOUT_S", 2)
    start = time.perf_counter()
    with pytest.raises(ParameterError, match=r"parameter 'cluster'.*could not reach.*'tcp://127.0.0.1:9'"):
        Runner("cpu", "tcp://127.0.0.1:9")
    assert time.perf_counter() - start < 30


def test_device_is_checked_on_the_workers(scheduler):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ParameterError, match=r"parameter 'device'.*'cuda'.*2 worker\(s\).*CUDA is not available"):
        Runner("cuda", scheduler)
    with Runner("auto", scheduler) as r:
        assert r.device == "cpu" and len(r.workers) == 2


def test_workers_running_other_source_are_refused(scheduler, monkeypatch):
    """Same nblib version, edited sources: their results would not be this code's."""
    monkeypatch.setattr(nbcluster, "package_hash", lambda: "edited-here")
    with pytest.raises(ParameterError, match=r"parameter 'cluster': workers run other code.*source edited-here"):
        Runner("cpu", scheduler)


def test_the_data_is_fingerprinted_on_the_workers(runner):
    from nblib import data
    assert runner.data(["mnist"]) == {"mnist": data.fingerprint("mnist")}  # the same copy here


def test_chapter_runs_on_the_cluster_equal_runs_in_this_process(runner, tmp_path):
    sweep = bt.TreeSweep(equal_steps_n=(), more_n=(), n_train=(64, 128), eps=(0.0, 0.3), trials=2,
                         epoch_scale=0.02)
    lasso = check_params(bl.Chapter, datasets=["cifar10"], epochs=2, seeds=1, betas=[50.0], pulls=[2.0], pull_epochs=1,
                         train_per_class=20, val_fraction=0.2, students_pull=0.02, bce_seeds=1,
                         control_seeds=1).runs("cifar10", 0)  # a BCE run and a control of a few epochs too
    pairs = check_params(dp.Chapter, n_pairs=100, runs=2, conv_runs=2, epochs=2).table_runs()[::4]
    images = check_params(im.Chapter, datasets=["mnist"], mnist_n_train=[5], archs=["LocalNet", "WeightNet"], seeds=2,
                          epoch_scale=0.05, eps_scale=[1.0], pgd_steps=2, pgd_images=5, attack_per_class=3,
                          eval_per_class=5).cells()
    here = Runner("cpu")
    for fn, configs in ((bt.train, bt.cells(sweep)), (bl.train, lasso), (dp.train, pairs), (im.train, images)):
        remote = runner.map(fn, configs, ResultCache(tmp_path / "cluster"))
        local = here.map(fn, configs, ResultCache(tmp_path / "here"))
        assert same(remote, local), fn.__module__
    assert "cluster: Dask at" in runner.describe(remote) and "2 worker(s)" in runner.describe(remote)


def test_cached_runs_are_not_submitted(runner, tmp_path, monkeypatch):
    sweep = bt.TreeSweep(equal_steps_n=(), more_n=(), n_train=(64, 128), eps=(0.0,), constant_noise_eps=0.0,
                         trials=1, epoch_scale=0.01)
    cache = ResultCache(tmp_path)
    first = Runner("cpu").map(bt.train, [c for c in bt.cells(sweep) if c.n_train == 64], cache)  # computed here
    submitted = []
    real_submit = runner.client.submit
    monkeypatch.setattr(runner.client, "submit",
                        lambda fn, *args, **kw: submitted.append(args[1]) or real_submit(fn, *args, **kw))
    both = bt.by_kind(runner.map(bt.train, bt.cells(sweep), cache), "study")
    assert [c.n_train for c in submitted] == [128]
    assert same(both[64], first[0]) and both[64]["ran_on"] == first[0]["ran_on"]
    assert both[64]["trained_at"] == first[0]["trained_at"]  # a cached result keeps when it was trained


def test_every_result_says_when_it_was_trained(tmp_path):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    cache = ResultCache(tmp_path / "cache")
    jobs = [Job(v, str(tmp_path / "log")) for v in (2, 3)]
    (fresh,) = Runner("cpu").map(square, jobs[:1], cache)
    assert before <= datetime.fromisoformat(fresh["trained_at"]) <= datetime.now(timezone.utc)
    # an entry stored without the time (by an older nblib) is dated by when its file was written
    key = nbcluster.run_key(square, jobs[1], "cpu")
    cache.save(nbcluster.task_name(square), key, {"square": torch.tensor(9)})
    os.utime(cache.path(nbcluster.task_name(square), key), (1_700_000_000, 1_700_000_000))
    again, old = Runner("cpu").map(square, jobs, cache)
    assert again["trained_at"] == fresh["trained_at"]
    assert datetime.fromisoformat(old["trained_at"]) == datetime.fromtimestamp(1_700_000_000, timezone.utc)
    assert started(tmp_path / "log") == [(2, os.getpid())]  # nothing was trained twice


# --- failures --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """A test run: returns value**2 after `seconds`; raises while the file `fail_if` exists."""
    value: int
    log: str
    seconds: float = 0.0
    fail_if: str = ""


def square(job: Job, device: torch.device, progress: bool = False) -> dict:
    with open(job.log, "a") as f:
        f.write(f"{job.value} {os.getpid()}\n")
    time.sleep(job.seconds)
    if job.fail_if and os.path.exists(job.fail_if):
        raise ArithmeticError(f"job {job.value} was told to fail")
    return {"square": torch.tensor(job.value ** 2)}


def started(log: Path) -> list[tuple[int, int]]:
    return [tuple(map(int, line.split())) for line in log.read_text().splitlines()] if log.exists() else []


def test_a_failing_run_stops_with_its_config_and_traceback_and_keeps_the_others(runner, tmp_path):
    log, flag, cache = tmp_path / "log", tmp_path / "fail", ResultCache(tmp_path / "cache")
    flag.touch()
    jobs = [Job(1, str(log)), Job(2, str(log)), Job(3, str(log), seconds=2.0, fail_if=str(flag))]
    with pytest.raises(RunFailed) as err:
        runner.map(square, jobs, cache)
    message = str(err.value)
    assert "Job(value=3" in message and "ArithmeticError: job 3 was told to fail" in message
    assert "in square" in message  # the worker's traceback
    assert sorted(v for v, _ in started(log)) == [1, 2, 3, 3]  # Dask retried it once (RETRIES)
    assert len(list(cache.root.glob("square-*.pt"))) == 2       # 1 and 2 were stored
    flag.unlink()
    results = runner.map(square, jobs, cache)                    # the rerun resumes
    assert [r["square"].item() for r in results] == [1, 4, 9]
    assert sorted(v for v, _ in started(log)) == [1, 2, 3, 3, 3]


def test_a_worker_killed_mid_run_loses_nothing(runner, tmp_path):
    log, cache = tmp_path / "log", ResultCache(tmp_path / "cache")
    jobs = [Job(5, str(log), seconds=4.0), Job(6, str(log), seconds=0.5)]

    def kill_the_first_worker_of_job_5():
        while not any(v == 5 for v, _ in started(log)):
            time.sleep(0.05)
        os.kill(next(pid for v, pid in started(log) if v == 5), signal.SIGKILL)

    killer = threading.Thread(target=kill_the_first_worker_of_job_5)
    killer.start()
    results = runner.map(square, jobs, cache)
    killer.join()
    runs_of_5 = [pid for v, pid in started(log) if v == 5]
    assert len(runs_of_5) == 2 and runs_of_5[0] != runs_of_5[1]  # rerun in another process
    assert [r["square"].item() for r in results] == [25, 36]
    assert not list(cache.root.glob("*.tmp")) and len(list(cache.root.glob("square-*.pt"))) == 2
    assert [r["square"].item() for r in runner.map(square, jobs, cache)] == [25, 36]  # valid files


def test_ctrl_c_cancels_the_runs_not_started_and_a_rerun_resumes(runner, tmp_path, ctrl_c):
    """A KeyboardInterrupt in the notebook's process (Ctrl-C, a kernel interrupt) while runs are on the
    cluster: the runs not yet started never start, those running finish into the cache, and the rerun
    computes only what is missing."""
    import _thread
    log, cache = tmp_path / "log", ResultCache(tmp_path / "cache")
    jobs = [Job(v, str(log), seconds=1.5) for v in (11, 12, 13, 14, 15, 16)]  # 2 workers: three rounds

    def interrupt_once_two_have_started():
        while len(started(log)) < 2:
            time.sleep(0.05)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_two_have_started).start()
    begun = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        runner.map(square, jobs, cache)
    assert time.perf_counter() - begun < 5
    time.sleep(3)  # the two running finish; nothing else may start
    assert len(started(log)) == 2 and not runner.client.processing().get(next(iter(runner.workers)), ())
    assert len(list(cache.root.glob("square-*.pt"))) == 2  # the workers stored what they finished
    results = runner.map(square, jobs, cache)
    assert [r["square"].item() for r in results] == [v * v for v in (11, 12, 13, 14, 15, 16)]
    assert sorted(v for v, _ in started(log)) == [11, 12, 13, 14, 15, 16]  # each ran once


def test_same_counts_a_nan_as_equal_to_a_nan_and_nothing_else():
    nan = float("nan")
    assert same({"a": torch.tensor([1.0, nan]), "b": [0.5, nan]}, {"a": torch.tensor([1.0, nan]), "b": [0.5, nan]})
    assert not same(torch.tensor([1.0, nan]), torch.tensor([1.0, 2.0]))
    assert not same([nan], [0.5]) and not same(torch.tensor([1.0]), torch.tensor([1.0, 1.0]))


def _malloc_trim():
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


@pytest.mark.parametrize("left_by_an_earlier_cluster", [False, True])
def test_local_workers_keep_glibcs_adaptive_malloc(monkeypatch, left_by_an_earlier_cluster):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_, which makes torch train about twice as slowly on a CPU; a
    'local:N' cluster starts its workers without it (and with the rest of Dask's worker environment), also
    after an earlier cluster's nanny has copied it into this process's environment."""
    if left_by_an_earlier_cluster:
        monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    assert "MALLOC_TRIM_THRESHOLD_" in dask.config.get("distributed.nanny.pre-spawn-environ")  # Dask's default
    with Runner("cpu", "local:1") as r:
        assert set(r.client.run(_malloc_trim).values()) == {None}
    assert "MALLOC_TRIM_THRESHOLD_" in dask.config.get("distributed.nanny.pre-spawn-environ")  # left as it was
