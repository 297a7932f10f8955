"""The `device` parameter, and code that works on whatever device its tensors are on.

There is no GPU here. The "meta" device stands in for a second device: an operation that
mixes a meta tensor with one created on the CPU raises, so a forward pass that runs on meta
creates nothing on the wrong device.
"""
import re

import pytest
import torch

from conftest import ROOT
from nblib.augment import random_crop_flip
from nblib.chapters import binary_tree as bt
from nblib.chapters import digit_pairs as dp
from nblib.device import resolve_device, to_cpu
from nblib.layers import LocallyConnected2d
from nblib.params import ParameterError


def test_cpu_and_auto():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("name", ["gpu", "CPU", "cuda:x", "", "cuda:", "mps", 0])
def test_unknown_device_names_the_parameter_and_the_allowed_values(name):
    with pytest.raises(ParameterError, match=r"parameter 'device'.*'auto'.*'cpu'.*'cuda'.*'cuda:N'"):
        resolve_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_unavailable_cuda_is_refused():
    for name in ("cuda", "cuda:0"):
        with pytest.raises(ParameterError, match="CUDA is not available"):
            resolve_device(name)


def test_to_cpu_moves_every_tensor_and_keeps_the_rest():
    meta = torch.zeros(2, device="meta")
    out = to_cpu({"a": [torch.ones(1), (1, "x")], "b": torch.ones(3), "c": 2.5})
    assert out["a"][1] == (1, "x") and out["c"] == 2.5 and out["b"].device.type == "cpu"
    with pytest.raises(NotImplementedError):  # meta has no data to copy: proof that it tried
        to_cpu({"w": meta})


def test_no_hard_coded_cuda_anywhere_in_nblib():
    for path in (ROOT / "nblib").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"\.cuda\(", text), f"{path}: use .to(device)"
        assert not re.search(r"device=['\"]cuda", text), f"{path}: use the device parameter"


@pytest.mark.parametrize("method, chunk_bytes", [("gather", 4 << 20), ("gather", 100), ("offsets", 4 << 20)])
def test_locally_connected_layer_runs_on_the_inputs_device(method, chunk_bytes):
    layer = LocallyConnected2d(2, 3, 8, 3, stride=2, padding=1, method=method).to("meta")
    layer.chunk_bytes = chunk_bytes  # 100 bytes: 'gather' one position at a time
    out = layer(torch.zeros(4, 2, 8, 8, device="meta", requires_grad=True))
    out.sum().backward()
    assert out.shape == (4, 3, 4, 4) and layer.weight.grad.device.type == "meta"


def test_augmentation_builds_its_indices_on_the_images_device():
    out = random_crop_flip(torch.zeros(5, 3, 8, 8, device="meta"), torch.Generator().manual_seed(0))
    assert out.device.type == "meta" and out.shape == (5, 3, 8, 8)


@pytest.mark.parametrize("arch", bt.ARCHS)
def test_tree_nets_run_on_the_inputs_device(arch):
    net = bt.StackedTreeNet(arch, 3, torch.Generator().manual_seed(0)).to("meta")
    assert net(torch.zeros(3, 5, bt.N_INPUTS, device="meta")).shape == (3, 5)


@pytest.mark.parametrize("arch", dp.ARCHS)
def test_pair_nets_run_on_the_inputs_device(arch):
    main, digits = dp.PairNet(arch, sharing=False).to("meta")(torch.zeros(4, 2, 14, 14, device="meta"))
    assert main.shape == (4, 2) and digits.shape == (4, 2, 10)


def test_an_explicit_cpu_run_equals_the_default():
    sweep = bt.TreeSweep(equal_steps_n=(), more_n=(), n_train=(64,), eps=(0.1,), constant_noise_eps=0.0, trials=2,
                         epoch_scale=0.01)
    default = bt.train(bt.Cell(sweep, 64), progress=False)
    explicit = bt.train(bt.Cell(sweep, 64), resolve_device("cpu"), progress=False)
    assert torch.equal(default["test_mse"], explicit["test_mse"])
