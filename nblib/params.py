"""Checking a chapter's parameters before any work starts.

A chapter's configuration is a frozen dataclass; each field's type annotation says what
papermill may pass, and its metadata (made with `param`) what values are allowed.
`check_params(Config, **values)` returns a validated instance or raises `ParameterError`
naming the parameter, the value it got and what is allowed. Lists hold distinct values (a
repeated seed or beta would be counted twice), floats are finite.

A notebook calls `check_notebook(Config, globals())` in its first code cell: every parameter
papermill may have set (the globals holding plain values) must be a field of `Config` or one
of the run-time parameters `RUNTIME`, so a misspelt `-p epoch 400` stops the chapter with the
closest match instead of running with the defaults.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import typing
from collections.abc import Mapping, Sequence


from nblib.errors import ParameterError


def param(default, *, gt=None, ge=None, le=None, choices=None, nonempty=False):
    """A dataclass field with bounds or a set of allowed values (applied to every item of a tuple)."""
    rules = dict(gt=gt, ge=ge, le=le, choices=choices, nonempty=nonempty)
    if isinstance(default, list):
        default = tuple(default)
    return dataclasses.field(default=default, metadata={"rules": rules})


def _coerce(name: str, value, kind):
    """Return value as `kind` (int, float, bool, str or tuple[...]) or raise ParameterError."""
    origin = typing.get_origin(kind)
    if origin is tuple:
        (item_kind, *_) = typing.get_args(kind)
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise ParameterError(
                f"parameter {name!r}: got {value!r} ({type(value).__name__}); "
                f"expected a list of {item_kind.__name__}")
        return tuple(_coerce(f"{name}[{i}]", v, item_kind) for i, v in enumerate(value))
    ok = {
        bool: lambda v: isinstance(v, bool),
        int: lambda v: isinstance(v, int) and not isinstance(v, bool),
        float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        str: lambda v: isinstance(v, str),
    }[kind](value)
    if not ok:
        raise ParameterError(
            f"parameter {name!r}: got {value!r} ({type(value).__name__}); expected {kind.__name__}")
    if kind is float and not math.isfinite(value):
        raise ParameterError(f"parameter {name!r}: got {value!r}; must be a finite number")
    return float(value) if kind is float else value


def _check_rules(name: str, value, rules: dict) -> None:
    items = value if isinstance(value, tuple) else (value,)
    if rules["nonempty"] and not items:
        raise ParameterError(f"parameter {name!r}: got an empty list; give at least one value")
    repeated = sorted({v for v in items if items.count(v) > 1}, key=items.index)
    if repeated:
        raise ParameterError(f"parameter {name!r}: got {list(items)}; values must be distinct "
                             f"({', '.join(map(repr, repeated))} repeated)")
    for v in items:
        if rules["choices"] is not None and v not in rules["choices"]:
            allowed = ", ".join(repr(c) for c in rules["choices"])
            raise ParameterError(f"parameter {name!r}: got {v!r}; allowed values are {allowed}")
        if rules["gt"] is not None and not v > rules["gt"]:
            raise ParameterError(f"parameter {name!r}: got {v!r}; must be > {rules['gt']}")
        if rules["ge"] is not None and not v >= rules["ge"]:
            raise ParameterError(f"parameter {name!r}: got {v!r}; must be >= {rules['ge']}")
        if rules["le"] is not None and not v <= rules["le"]:
            raise ParameterError(f"parameter {name!r}: got {v!r}; must be <= {rules['le']}")


def check_params(config_cls, **values):
    """Validate papermill-style values against a frozen dataclass and return the instance."""
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    _refuse_unknown(values, list(fields))
    hints = typing.get_type_hints(config_cls)
    checked = {}
    for name, value in values.items():
        value = _coerce(name, value, hints[name])
        _check_rules(name, value, fields[name].metadata.get("rules", {
            "gt": None, "ge": None, "le": None, "choices": None, "nonempty": False}))
        checked[name] = value
    config = config_cls(**checked)
    validate = getattr(config, "validate", None)
    if validate is not None:
        validate()  # cross-field rules, e.g. n_train against the size of the data
    return config


def _refuse_unknown(values, known: list[str]) -> None:
    unknown = [name for name in values if name not in known]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ParameterError(f"unknown parameter {', '.join(hints)}; this chapter's parameters are "
                             f"{', '.join(known)}")


# Parameters of every chapter that say where and how it runs, not what it computes.
RUNTIME = ("cache_dir", "device", "cluster")
_PLAIN = (bool, int, float, str, list, tuple, dict, type(None))
_IPYTHON = {"In", "Out"}


def notebook_values(namespace: Mapping) -> dict:
    """The names a notebook's parameter cells may have set: globals holding plain values
    (numbers, strings, lists, dicts, None), without IPython's own, private names and the paths
    papermill injects with --inject-paths."""
    return {name: value for name, value in namespace.items()
            if not name.startswith(("_", "PAPERMILL_")) and name not in _IPYTHON and isinstance(value, _PLAIN)}


def assigned_names(cells: Sequence[str]) -> list[str]:
    """The names that a notebook's parameter cells assign: the top-level assignment targets of every
    earlier cell made of assignments only (the `parameters` cell and papermill's injected one). A
    name assigned there counts even when a later import rebinds it (`-p time 5`, then `import time`)."""
    import ast
    names: list[str] = []
    for source in cells:
        try:
            body = ast.parse(source).body
        except SyntaxError:  # IPython magics and the like: not a parameter cell
            continue
        if not body or not all(isinstance(node, (ast.Assign, ast.AnnAssign)) for node in body):
            continue
        for node in body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
    return names


def check_notebook(config_cls, namespace: Mapping):
    """A chapter's configuration from its notebook's globals (call it in the first code cell).

    Refuses, before any work: a name that is neither a field of `config_cls` nor in RUNTIME
    (with the closest match), whether it still holds a plain value or an import has rebound it
    since the parameter cells set it (read from IPython's input history); a run-time parameter
    of the wrong type or syntax (`device`, `cluster`, a `cache_dir` that cannot be created or
    written); and every rule of `check_params`.
    """
    values = notebook_values(namespace)
    fields = [f.name for f in dataclasses.fields(config_cls)]
    history = namespace.get("In")  # IPython's inputs: the cells run so far, this one last
    assigned = assigned_names(history[:-1]) if isinstance(history, list) else []
    _refuse_unknown({**{name: None for name in assigned}, **values}, fields + list(RUNTIME))
    from nblib.cache import check_cache_dir
    from nblib.cluster import parse_cluster
    from nblib.device import check_device_name
    checks = {"cache_dir": check_cache_dir, "device": check_device_name, "cluster": parse_cluster}
    for name in RUNTIME:  # each check also refuses a value of the wrong type, naming the parameter
        if name in values:
            checks[name](values[name])
    return check_params(config_cls, **{k: v for k, v in values.items() if k in fields})


# --- sizes beyond memory ----------------------------------------------------------------------

TRAINING_COPIES = 4  # a trained weight is held four times: itself, its gradient, two optimiser buffers (Adam)


def available_memory() -> int:
    """Bytes this machine can allocate now: MemAvailable of /proc/meminfo, else the physical memory,
    else unknown (0: no check)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import os
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def _gib(n: float) -> str:
    return f"{n / 2 ** 30:,.1f} GiB" if n >= 2 ** 28 else f"{n / 2 ** 20:,.0f} MiB"


def check_memory(names: str | Sequence[str], need: float, what: str, available: int | None = None) -> None:
    """Refuse, before any work, a run whose largest allocations (`need` bytes, estimated from the
    parameters) exceed the memory this machine has available, naming the parameters that set them
    and the estimate. No check where the available memory is unknown."""
    available = available_memory() if available is None else available
    if available and need > available:
        names = [names] if isinstance(names, str) else list(names)
        quoted = " and ".join(f"'{n}'" for n in names)
        raise ParameterError(f"parameter{'s' * (len(names) > 1)} {quoted}: {what} needs about {_gib(need)} of "
                             f"memory, and this machine has {_gib(available)} available; lower "
                             f"{'them' if len(names) > 1 else 'it'} (or run on a larger machine)")


def parameter_bytes(build) -> int:
    """Bytes of the parameters of the model `build()` returns, built on the meta device (no memory)."""
    import torch
    with torch.device("meta"):
        model = build()
    return sum(p.numel() * p.element_size() for p in model.parameters())


def parameters_markdown(config, **runtime) -> str:
    """The values a page ran with, as one collapsed two-column table (the chapter's fields, then the
    run-time parameters such as device and cluster): what the parameters cell and papermill's
    injected cell said, in one place (both cells are removed from the built page)."""
    rows = [(f.name, getattr(config, f.name)) for f in dataclasses.fields(config)] + list(runtime.items())

    def shown(value):
        if isinstance(value, tuple):
            value = list(value)
        return f"`{value!r}`" if value != "" else "(empty)"
    lines = [f":::{{dropdown}} The {len(rows)} parameters this page ran with", "",
             "| parameter | value |", "|---|---|"]
    lines += [f"| `{name}` | {shown(value)} |" for name, value in rows]
    return "\n".join(lines + ["", ":::"])
