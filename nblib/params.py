"""Checking a chapter's parameters before any work starts.

A chapter's configuration is a frozen dataclass; each field's type annotation says what
papermill may pass, and its metadata (made with `param`) what values are allowed.
`check_params(Config, **values)` returns a validated instance or raises `ParameterError`
naming the parameter, the value it got and what is allowed.
"""
from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence


class ParameterError(ValueError):
    """A chapter parameter has a value that the chapter cannot run with."""


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
    return float(value) if kind is float else value


def _check_rules(name: str, value, rules: dict) -> None:
    items = value if isinstance(value, tuple) else (value,)
    if rules["nonempty"] and not items:
        raise ParameterError(f"parameter {name!r}: got an empty list; give at least one value")
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
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(fields)}")
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
