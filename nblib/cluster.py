"""A chapter's independent runs, in this process or on a Dask cluster (`device`, `cluster` parameters).

A chapter's expensive work is a list of frozen run configurations and one importable function
`train(config, device, progress) -> dict`. `Runner.map` loads every configuration already in
the cache and computes the others: one after another here (`cluster=""`), or as one Dask task
each on `"local:N"` (a `LocalCluster` of N worker processes on this machine) or on a scheduler
that the user already runs (`"tcp://host:port"`, `"tls://host:port"`). Results come back to
the notebook, which writes them to its cache as they arrive (workers need no shared
filesystem; a worker that sees the cache folder also loads and stores there, so concurrent
runs train nothing twice). A task that raises stops the chapter with its configuration and
the worker's traceback, after the finished results are stored; a lost worker's task is run
again elsewhere by Dask, and nothing half-written reaches the cache (writes are atomic). Every
result records where it ran (`ran_on`) and when its training finished (`trained_at`, UTC; for an
entry stored before results recorded it, the time its cache file was written), so that a
scorecard can say whether its claims were registered before the runs that grade them.

The numbers do not depend on where a run ran: every run goes through `execute`, which runs
one task at a time per process and, on the CPU, with the notebook's number of threads (the
split of float sums across threads is part of the result).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import platform
import re
import threading
import traceback
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

import torch
from tqdm.auto import tqdm

import nblib
from nblib import data as datasets
from nblib.cache import ResultCache, config_key
from nblib.fingerprint import code_hash, package_hash
from nblib.device import check_device_name, describe_device, prepare, resolve_device, to_cpu
from nblib.errors import ParameterError

CLUSTER_HELP = ("'' (this process), 'local:N' (N worker processes on this machine), or the address "
                "of a running Dask scheduler, 'tcp://host:port' or 'tls://host:port'")
RETRIES = 1            # Dask reruns a task that raised once more before giving up (e.g. a CUDA hiccup)
CONNECT_TIMEOUT_S = 30  # to reach a scheduler
WORKERS_TIMEOUT_S = 120  # for a scheduler's first worker to arrive (e.g. a job still in the queue)
LOCAL_WORKERS_PER_CORE = 4  # 'local:N' beyond this only queues processes (each runs one run at a time)

_ONE_AT_A_TIME = threading.Lock()  # a worker with several threads still trains one run at a time
# Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536. Setting it turns off glibc's adaptive
# mmap threshold, so every buffer above 128 KiB is mapped and unmapped afresh: torch then trains 2.2 times
# slower on a CPU (a convolution's forward and backward, in a worker against a plain process; the digit
# pairs' ConvNet likewise). Local workers start without it; a remote cluster's workers are its owner's.
# The nanny also copies its variables into the environment of the process that starts the cluster, where
# every later worker (of any cluster, or a restarted one) inherits them: a local cluster removes them
# from there too (glibc reads them when a process starts, so the running process is unaffected).
SLOW_ENVIRON = ("MALLOC_TRIM_THRESHOLD_",)


class RunFailed(RuntimeError):
    """A run raised on a worker; the message holds its configuration and the worker's traceback."""


def worker_environ() -> dict:
    """The environment Dask's nanny gives a local worker, without the variables in SLOW_ENVIRON."""
    import dask
    return {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
            if k not in SLOW_ENVIRON}


def parse_cluster(spec) -> tuple[str, int | str | None]:
    """("process", None), ("local", N) or ("remote", address) for a `cluster` parameter."""
    if not isinstance(spec, str):
        raise ParameterError(f"parameter 'cluster': got {spec!r} ({type(spec).__name__}); "
                             f"allowed values are {CLUSTER_HELP}")
    if spec == "":
        return "process", None
    if match := re.fullmatch(r"local:(\d+)", spec):
        workers, most = int(match.group(1)), LOCAL_WORKERS_PER_CORE * (os.cpu_count() or 1)
        if workers < 1:
            raise ParameterError(f"parameter 'cluster': got {spec!r}; 'local:N' needs N >= 1")
        if workers > most:
            raise ParameterError(f"parameter 'cluster': got {spec!r}; 'local:N' needs N <= {most}, "
                                 f"{LOCAL_WORKERS_PER_CORE} per CPU core of this machine (N = the cores is fastest; "
                                 "more workers only wait on each other)")
        return "local", workers
    if re.fullmatch(r"(tcp|tls)://[^\s/:]+:\d+", spec):
        return "remote", spec
    raise ParameterError(f"parameter 'cluster': got {spec!r}; allowed values are {CLUSTER_HELP}")


def task_name(fn: Callable) -> str:
    """The name a run's cache file starts with: its chapter (nblib.chapters.<chapter>...) or function."""
    parts = fn.__module__.split(".")
    return parts[2] if parts[:2] == ["nblib", "chapters"] and len(parts) > 2 else fn.__name__


def reads(config) -> tuple[str, ...]:
    """The datasets a run reads: its configuration's `reads()`, if it has one (else none)."""
    method = getattr(config, "reads", None)
    return tuple(method()) if method is not None else ()


def task_code(fn: Callable) -> str:
    """The hash of the source a task reaches (its module's nblib imports, and device handling)."""
    return code_hash(fn.__module__, "nblib.device")


def run_key(fn: Callable, config, device_type: str, data: dict[str, str] | None = None,
            code: str | None = None) -> dict:
    """Everything a run's result depends on, the cache key: the function and the source of the
    code it reaches (`code`, default `task_code(fn)`), its configuration, the fingerprint of every
    dataset it reads (`data`: name -> `nblib.data.fingerprint`), torch's version, the device type
    and the default dtype. Change any of them and the old result is simply not found."""
    data = data or {}
    missing = [name for name in reads(config) if name not in data]
    if missing:
        raise ValueError(f"run_key: no fingerprint for {missing} (read by {config!r})")
    return {"task": f"{fn.__module__}.{fn.__qualname__}", "code": code or task_code(fn),
            "config": dataclasses.asdict(config), "data": {name: data[name] for name in reads(config)},
            "torch": torch.__version__, "device": device_type, "dtype": str(torch.get_default_dtype())}


def worker_info() -> dict:
    """What a process can run with (also called on every Dask worker)."""
    return {"host": platform.node(), "nblib": nblib.__version__, "code": package_hash(), "torch": torch.__version__,
            "cuda": torch.cuda.device_count() if torch.cuda.is_available() else 0}


def data_on_worker(names: Sequence[str]) -> dict[str, str]:
    """name -> fingerprint of every dataset where this runs (or "error: <why>")."""
    found = {}
    for name in names:
        try:
            found[name] = datasets.fingerprint(name)
        except (datasets.DatasetNotFoundError, ValueError) as err:
            found[name] = f"error: {err}"
    return found


def check_on_worker(device: str) -> str:
    """Resolve `device` where this runs: the device type, or the ParameterError's message."""
    try:
        return resolve_device(device).type
    except ParameterError as err:
        return f"error: {err}"


def execute(fn: Callable, config, device: str, *, threads: int | None = None, progress: bool = False,
            cache_root: str | None = None, cache_key: dict | None = None) -> dict:
    """Run fn(config, device) here and return its result with CPU tensors and a `ran_on` line.

    With `cache_root` (a worker's view of the notebook's cache folder), a result stored there
    is loaded instead, and a new one is stored there too, when that folder exists here.
    """
    shared = ResultCache(cache_root) if cache_root and os.path.isdir(cache_root) else None
    if shared is not None and (found := shared.load(task_name(fn), cache_key)) is not None:
        return found
    with _ONE_AT_A_TIME:
        target = resolve_device(device)
        prepare(target)
        saved_threads = torch.get_num_threads()
        if threads and target.type == "cpu":
            torch.set_num_threads(threads)
        try:
            result = to_cpu(fn(config, target, progress=progress))
            where = f"{describe_device(target)} on {platform.node()}"
            finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
        finally:
            torch.set_num_threads(saved_threads)
    if isinstance(result, dict):
        result["ran_on"] = where
        result["trained_at"] = finished
    if shared is not None:
        shared.keep(task_name(fn), cache_key, result)
    return result


class Runner:
    """Runs a chapter's independent runs on one device, here or on a Dask cluster.

    Construction checks both parameters and raises ParameterError before any work: the device
    must exist in this process, or, with a cluster, on every worker (with "auto" they must
    agree on CUDA or CPU), and the workers must run this nblib and torch.
    """

    def __init__(self, device: str = "auto", cluster: str = ""):
        check_device_name(device)
        self.kind, target = parse_cluster(cluster)
        self.cluster, self.client, self._local = cluster, None, None
        self.threads = torch.get_num_threads()
        if self.kind == "process":
            self.device = str(resolve_device(device))
            self.workers = {"this process": worker_info()}
            prepare(torch.device(self.device))
            return
        self.client = self._connect(target)
        try:
            self.workers = self.client.run(worker_info)
            self.device = self._agree(device)
        except BaseException:
            self.close()
            raise

    def _connect(self, target):
        import dask
        from distributed import Client, LocalCluster
        if self.kind == "local":
            for name in SLOW_ENVIRON:
                os.environ.pop(name, None)
            with dask.config.set({"distributed.nanny.pre-spawn-environ": worker_environ()}):
                self._local = LocalCluster(n_workers=target, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
            return Client(self._local)
        try:
            client = Client(target, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as err:
            raise ParameterError(f"parameter 'cluster': could not reach a Dask scheduler at {target!r} "
                                 f"within {CONNECT_TIMEOUT_S} s ({err})") from err
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
        except TimeoutError as err:
            client.close()
            raise ParameterError(f"parameter 'cluster': the scheduler at {target!r} has no worker "
                                 f"after {WORKERS_TIMEOUT_S} s; start some, then rerun") from err
        return client

    def _agree(self, device: str) -> str:
        """The device every worker will use; ParameterError naming the workers that cannot."""
        mine = worker_info()
        version = lambda i: (i["nblib"], i.get("code"), i["torch"])
        stale = {w: i for w, i in self.workers.items() if version(i) != version(mine)}
        if stale:
            raise ParameterError(
                f"parameter 'cluster': workers run other code than this notebook (nblib {mine['nblib']}, "
                f"source {mine['code']}, torch {mine['torch']}): "
                + "; ".join(f"{w}: nblib {i['nblib']}, source {i.get('code')}, torch {i['torch']}"
                            for w, i in stale.items()))
        if device == "auto":
            has_cuda = {w: i["cuda"] > 0 for w, i in self.workers.items()}
            if len(set(has_cuda.values())) > 1:
                raise ParameterError(
                    f"parameter 'device': 'auto' is ambiguous on {self.cluster!r}: "
                    f"{sum(has_cuda.values())} of {len(has_cuda)} workers have CUDA; pass 'cuda' or 'cpu'")
            device = "cuda" if all(has_cuda.values()) else "cpu"
        refused = {w: r for w, r in self.client.run(check_on_worker, device).items() if r.startswith("error")}
        if refused:
            raise ParameterError(f"parameter 'device': {device!r} is not available on "
                                 f"{len(refused)} worker(s): " + "; ".join(f"{w}: {r[7:]}" for w, r in refused.items()))
        return device

    def data(self, names: Sequence[str]) -> dict[str, str]:
        """name -> fingerprint of each dataset, where the runs will read it (here, or on every worker,
        which must agree); DatasetNotFoundError naming what is missing, before any training."""
        names = sorted(set(names))
        if not names:
            return {}
        if self.client is None:
            seen = {"this process": data_on_worker(names)}
        else:
            seen = self.client.run(data_on_worker, names)
        found = {}
        for name in names:
            values = {w: f[name] for w, f in seen.items()}
            errors = sorted({v[7:] for v in values.values() if v.startswith("error: ")})
            if errors:
                where = [w for w, v in values.items() if v.startswith("error: ")]
                raise datasets.DatasetNotFoundError(
                    f"{name} is needed by this chapter's runs but is missing on {', '.join(where)} "
                    f"(nothing was trained):\n" + "\n".join(errors))
            if len(set(values.values())) > 1:
                raise ParameterError(
                    f"parameter 'cluster': the workers see different copies of {name}: "
                    + "; ".join(f"{w}: {v}" for w, v in values.items()))
            found[name] = next(iter(values.values()))
        return found

    def map(self, fn: Callable, configs: Sequence, cache: ResultCache, desc: str = "runs") -> list:
        """fn(config, device) for every config, in order: from the cache, or computed and stored.

        Every dataset a run reads is found and fingerprinted first (nothing trains if one is
        missing); the cache key is `run_key` (code, configuration, data, torch, device, dtype)."""
        device_type = torch.device(self.device).type
        data, code = self.data([name for c in configs for name in reads(c)]), task_code(fn)
        keys = [run_key(fn, c, device_type, data, code) for c in configs]
        name = task_name(fn)
        results = [cache.load(name, key) for key in keys]
        for result, key in zip(results, keys):  # stored before results recorded it: when the entry was written
            if isinstance(result, dict) and "trained_at" not in result:
                written = cache.path(name, key).stat().st_mtime
                result["trained_at"] = datetime.fromtimestamp(written, timezone.utc).isoformat(timespec="seconds")
        missing = [i for i, r in enumerate(results) if r is None]
        with tqdm(total=len(configs), initial=len(configs) - len(missing), desc=desc) as bar:
            if self.client is None:
                for i in missing:
                    results[i] = execute(fn, configs[i], self.device, progress=True)
                    cache.keep(name, keys[i], results[i])
                    bar.update()
            else:
                self._map_on_cluster(fn, configs, keys, missing, results, cache, bar)
        return results

    def _map_on_cluster(self, fn, configs, keys, missing, results, cache, bar) -> None:
        from distributed import as_completed
        name = task_name(fn)
        try:  # local workers then store and find results there too
            cache.root.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass
        futures = {}
        for i in missing:  # a task's name is its cache file's, plus a suffix of this submission
            future = self.client.submit(execute, fn, configs[i], self.device, threads=self.threads,
                                        cache_root=str(cache.root), cache_key=keys[i],
                                        key=f"{name}-{config_key(keys[i])}-{uuid.uuid4().hex[:8]}",
                                        retries=RETRIES)
            futures[future] = i
        try:
            for future in as_completed(list(futures)):
                i = futures[future]
                if future.status != "finished":
                    error, tb = future.exception(), future.traceback()
                    raise RunFailed(
                        f"a run failed on the cluster {self.cluster!r} (results finished before it are in the "
                        f"cache; a rerun resumes): {name} {configs[i]!r}\n\nworker traceback:\n"
                        + "".join(traceback.format_tb(tb)) + f"{type(error).__name__}: {error}") from error
                results[i] = future.result()
                if not cache.path(name, keys[i]).is_file():  # a worker that sees the folder has stored it
                    cache.keep(name, keys[i], results[i])
                bar.update()
        except BaseException:  # a failed run, Ctrl-C or a kernel interrupt: nothing more starts
            self.client.cancel([f for f in futures if not f.done()])
            raise

    def describe(self, results: Sequence[dict] = ()) -> str:
        """Provenance: the device, the cluster (if any), and where the given results were computed."""
        device = torch.device(self.device)
        numerics = ("float32 matmuls in TF32 (torch.backends.cuda.matmul.allow_tf32)" if device.type == "cuda"
                    else "float32")
        if self.client is None:
            where = f"cluster: none (runs in this process on {platform.node()})"
        else:
            hosts = sorted({i["host"] for i in self.workers.values()})
            where = (f"cluster: Dask at {self.cluster!r}, {len(self.workers)} worker(s) on {', '.join(hosts)}, "
                     f"{self.threads} CPU threads per run")
        lines = [f"device: {self.device} ({numerics}); {where}"]
        ran_on = [r.get("ran_on", "unrecorded") for r in results if isinstance(r, dict)]
        for place in sorted(set(ran_on)):
            lines.append(f"  {ran_on.count(place)} result(s) computed on {place}")
        return "\n".join(lines)

    def close(self) -> None:
        """Disconnect from the scheduler (and stop a local cluster)."""
        if self.client is not None:
            self.client.close()
        if self._local is not None:
            self._local.close()
        self.client = self._local = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"Runner(device={self.device!r}, cluster={self.cluster!r})"

