import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nblib.embed import conv_to_local, local_to_conv
from nblib.layers import LocallyConnected2d, conv_output_size


@st.composite
def conv_settings(draw):
    """A random Conv2d shape that fits its input (rectangular kernels, strides, paddings)."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h, w = draw(st.integers(max(1, kh - 2 * ph), 9)), draw(st.integers(max(1, kw - 2 * pw), 9))
    return dict(in_channels=draw(st.integers(1, 3)), out_channels=draw(st.integers(1, 4)),
                in_size=(h, w), kernel_size=(kh, kw), stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                padding=(ph, pw), bias=draw(st.booleans()))


def make_conv(s):
    torch.manual_seed(0)
    return nn.Conv2d(s["in_channels"], s["out_channels"], s["kernel_size"], s["stride"], s["padding"],
                     bias=s["bias"]).double()


@settings(max_examples=60, deadline=None)
@given(conv_settings(), st.integers(1, 3))
def test_conv_to_local_computes_the_same_function(s, batch):
    conv = make_conv(s)
    local = conv_to_local(conv, s["in_size"])
    x = torch.randn(batch, s["in_channels"], *s["in_size"], dtype=torch.float64)
    assert local(x).shape == conv(x).shape
    assert torch.allclose(local(x), conv(x), atol=1e-12)
    back, spread = local_to_conv(local)
    assert spread < 1e-12 and torch.allclose(back(x), conv(x), atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(conv_settings())
def test_local_layer_is_per_position_conv(s):
    """Each output position equals a conv with that position's own filter (the slow loop)."""
    local = LocallyConnected2d(**s).double()
    x = torch.randn(2, s["in_channels"], *s["in_size"], dtype=torch.float64)
    out = local(x)
    for i in range(local.out_size[0]):
        for j in range(local.out_size[1]):
            full = nn.functional.conv2d(x, local.filter_at(i, j), stride=s["stride"], padding=s["padding"])
            expected = full[:, :, i, j] + (local.bias[:, i, j] if local.bias is not None else 0)
            assert torch.allclose(out[:, :, i, j], expected, atol=1e-12)


def test_gradients_reach_every_position():
    local = LocallyConnected2d(2, 3, (6, 5), 3, stride=1, padding=1)
    local(torch.randn(4, 2, 6, 5)).pow(2).sum().backward()
    assert local.weight.grad.shape == local.weight.shape
    assert (local.weight.grad.flatten(1).abs().sum(1) > 0).all()
    assert (local.bias.grad != 0).all()


def test_untied_filters_spread_and_tie_back_to_the_mean():
    conv = nn.Conv2d(1, 2, 3)
    local = conv_to_local(conv, (5, 5))
    with torch.no_grad():
        local.weight[0] += 1.0
    back, spread = local_to_conv(local)
    assert spread > 0
    assert torch.allclose(back.weight.flatten(1), local.weight.mean(0))


def test_output_size_and_bad_kernel():
    assert conv_output_size((32, 32), 9, 2, 4) == (16, 16)
    try:
        LocallyConnected2d(1, 1, (3, 3), 5)
    except ValueError as err:
        assert "does not fit" in str(err)
    else:
        raise AssertionError("a kernel larger than the padded input must be refused")
