"""Where a chapter's tensors live: one `device` parameter ("auto", "cpu", "cuda", "cuda:N").

Data goes to the device once, models are built there, and results come back as CPU tensors
(`to_cpu`), so that a cached result loads on any machine. On CUDA, float32 matrix products
and convolutions may use TF32 (`prepare`); a chapter's provenance says so.
"""
from __future__ import annotations

import platform
import re

import torch

from nblib.errors import ParameterError

DEVICE_HELP = "'auto' (CUDA when available, else the CPU), 'cpu', 'cuda' or 'cuda:N'"


def check_device_name(name) -> str:
    """The name if it is one of the allowed forms (whether this machine has it is not checked)."""
    if not isinstance(name, str) or not re.fullmatch(r"auto|cpu|cuda(:\d+)?", name):
        raise ParameterError(f"parameter 'device': got {name!r}; allowed values are {DEVICE_HELP}")
    return name


def resolve_device(name: str) -> torch.device:
    """The torch.device that `name` means on this machine; ParameterError when it has no such device."""
    check_device_name(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ParameterError(
                f"parameter 'device': got {name!r}, but CUDA is not available on {platform.node()} "
                f"(torch {torch.__version__}); use 'cpu' or 'auto'")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ParameterError(
                f"parameter 'device': got {name!r}, but {platform.node()} has "
                f"{torch.cuda.device_count()} CUDA device(s): cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    return device


def prepare(device: torch.device) -> None:
    """Per-process settings for training on `device`: on CUDA, TF32 matmuls and convolutions."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        if device.index is not None:
            torch.cuda.set_device(device)


def describe_device(device: torch.device) -> str:
    """One line: what the device is, and the numerics it runs with."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)}), float32 matmuls in TF32"
    return f"cpu ({platform.machine()}, {torch.get_num_threads()} threads), float32"


def to_cpu(obj):
    """`obj` with every tensor in it (in dicts, lists, tuples) moved to the CPU."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(to_cpu(v) for v in obj)
    return obj
