import pytest
import torch
from hypothesis import given, settings
from torch import nn

from nblib.embed import (DenseEmbedded, conv_to_local, efcn, elcn, filter_distances,
                         off_local_ratio, to_dense)
from nblib.layers import LocallyConnected2d
from test_layers import conv_settings, make_conv


@settings(max_examples=40, deadline=None)
@given(conv_settings())
def test_dense_weight_is_the_input_jacobian(s):
    conv = make_conv(s)
    x = torch.randn(2, s["in_channels"], *s["in_size"], dtype=torch.float64)
    for layer in (conv, conv_to_local(conv, s["in_size"])):
        linear, mask = to_dense(layer, s["in_size"])
        assert torch.allclose(linear(x.flatten(1)), conv(x).flatten(1), atol=1e-12)
        no_bias = lambda v: nn.functional.conv2d(v[None], conv.weight, None, conv.stride, conv.padding)[0]
        jac = torch.autograd.functional.jacobian(no_bias, x[0]).reshape(linear.weight.shape)
        assert torch.allclose(linear.weight, jac, atol=1e-12)
        assert not linear.weight[~mask].any()            # off-local entries start at exactly 0
        assert mask.sum() >= (jac != 0).sum()


def test_mask_marks_receptive_fields():
    conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    _, mask = to_dense(conv, (4, 4))                     # (16, 16)
    # output (0, 0) sees input rows 0..1, cols 0..1 (the rest is padding)
    assert mask[0].view(4, 4).nonzero().tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert mask[5].view(4, 4).sum() == 9


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, 4, stride=2, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(4, 5, 3, padding=1), nn.ReLU())
        self.head = nn.Linear(5 * 3 * 3, 10)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def test_model_embeddings_keep_the_function_and_compose():
    torch.manual_seed(0)
    cnn = SmallCNN().double()
    x = torch.randn(3, 3, 12, 12, dtype=torch.float64)
    lcn, fcn = elcn(cnn, (3, 12, 12)), efcn(cnn, (3, 12, 12))
    hierarchical = efcn(lcn, (3, 12, 12))
    assert isinstance(lcn.features[0], LocallyConnected2d) and isinstance(fcn.features[3], DenseEmbedded)
    assert lcn.head is not cnn.head and isinstance(fcn.features[2], nn.MaxPool2d)
    for model in (lcn, fcn, hierarchical):
        assert torch.allclose(model(x), cnn(x), atol=1e-12)
    assert off_local_ratio(fcn) == 0.0
    with torch.no_grad():
        fcn.features[0].linear.weight.add_(1e-3)         # every entry moves, off-local ones too
    assert 0 < off_local_ratio(fcn) < 1
    fcn(x).sum().backward()
    assert fcn.features[0].linear.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError):
        off_local_ratio(cnn)


def test_filter_distances_zero_when_shared_and_grow_when_untied():
    local = conv_to_local(nn.Conv2d(2, 3, 3), (8, 8))
    for ring in (1, 4):
        euclid, cosine = filter_distances(local, ring)
        assert euclid == pytest.approx(0, abs=1e-6) and cosine == pytest.approx(0, abs=1e-6)
    with torch.no_grad():
        local.weight.add_(0.1 * torch.randn_like(local.weight))
    assert filter_distances(local, 1)[0] > 0.1 and filter_distances(local, 1)[1] > 0
    with pytest.raises(ValueError):
        filter_distances(local, 6)                       # a 6x6 layer has no ring 6


def test_filter_distances_count_every_pair_once():
    local = LocallyConnected2d(1, 1, (3, 3), 1, bias=False)
    with torch.no_grad():
        local.weight.copy_(torch.arange(9.0).view(9, 1, 1))   # filter value = 3i + j
    euclid, _ = filter_distances(local, 1)
    # pairs at ring 1 in a 3x3 grid: 6 horizontal (|d|=1), 6 vertical (3), 8 diagonal (2 or 4)
    assert euclid == pytest.approx((6 * 1 + 6 * 3 + 4 * 4 + 4 * 2) / 20)


def test_vanilla_cnn_efcn_is_built_within_twice_its_fp32_size():
    """Study 5's VanillaCNN: the eFCN (74M dense weights) in a fresh process, peak memory < 2x."""
    import subprocess
    import sys

    from conftest import ROOT
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_embed.py")],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    ratio = float(out.split("peak: ")[1].split("(")[1].split("x")[0])
    gap = float(out.split("max |eFCN(x) - CNN(x)| = ")[1].split()[0])
    assert ratio < 2.0 and gap < 1e-4, out
