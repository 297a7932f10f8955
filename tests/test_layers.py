import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nblib.embed import conv_to_local, local_to_conv
from nblib.layers import METHODS, LocallyConnected2d, conv_output_size



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


@pytest.mark.parametrize("method", ["gather", "offsets"])
@settings(max_examples=30, deadline=None)
@given(s=conv_settings())
def test_local_layer_is_per_position_conv(method, s):
    """Each output position equals a conv with that position's own filter (the slow loop)."""
    local = LocallyConnected2d(**s, method=method).double()
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


# (C_in, C_out, in_size, kernel, stride, padding, bias): strides 1 and 2, C_out 1 and more,
# non-square inputs, kernels and strides, a stride that skips the last rows, no bias
PATH_SHAPES = [
    (3, 1, 9, 5, 2, 2, True),
    (2, 4, (7, 6), (3, 2), (2, 1), (1, 2), True),
    (1, 6, 10, 5, 1, 0, True),
    (4, 3, (8, 11), 3, 1, 1, False),
    (3, 2, 10, 4, 3, 0, True),
]
# every way to compute: each path, and 'gather' a few positions at a time
VARIANTS = {"gather": ("gather", float("inf")), "offsets": ("offsets", float("inf")),
            "gather in chunks": ("gather", 3000)}


def make_variant(variant, *args, **kwargs):
    method, chunk_bytes = VARIANTS[variant]
    layer = LocallyConnected2d(*args, **kwargs, method=method)
    layer.chunk_bytes = chunk_bytes
    return layer


@pytest.mark.parametrize("shape", PATH_SHAPES)
def test_every_path_computes_the_same_outputs_and_gradients(shape):
    cin, cout, size, kernel, stride, padding, bias = shape
    x = torch.randn(3, cin, *(size if isinstance(size, tuple) else (size, size)), dtype=torch.float64,
                    requires_grad=True)
    outs, grads = {}, {}
    for variant in VARIANTS:
        torch.manual_seed(0)
        layer = make_variant(variant, cin, cout, size, kernel, stride, padding, bias).double()
        outs[variant] = layer(x)
        weights = torch.linspace(-1, 1, outs[variant].numel(), dtype=torch.float64).view_as(outs[variant])
        grads[variant] = torch.autograd.grad(outs[variant], [x] + list(layer.parameters()), weights)
    for variant in VARIANTS:
        torch.testing.assert_close(outs[variant], outs["gather"], rtol=0, atol=1e-12)
        for grad, reference in zip(grads[variant], grads["gather"]):
            torch.testing.assert_close(grad, reference, rtol=0, atol=1e-12)


def autograd_nodes(out: torch.Tensor) -> set[str]:
    nodes, todo = set(), [out.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None and type(node).__name__ not in nodes:
            nodes.add(type(node).__name__)
            todo += [next_node for next_node, _ in node.next_functions]
    return nodes


@pytest.mark.parametrize("variant, chunked", [("gather", False), ("gather in chunks", True)])
def test_patches_beyond_chunk_bytes_are_gathered_in_chunks(variant, chunked):
    """3000 bytes hold the float64 patches (K = 75, B = 3) of one position, not of 25."""
    layer = make_variant(variant, 3, 1, 9, 5, 2, 2).double()
    out = layer(torch.randn(3, 3, 9, 9, dtype=torch.float64))
    assert ("_ChunkedGatherBackward" in autograd_nodes(out)) == chunked


def test_the_path_changes_nothing_else():
    """Same parameters (the same random draws), buffers and filters, whichever path computes."""
    layers = []
    for method in METHODS:
        torch.manual_seed(0)
        layers.append(LocallyConnected2d(2, 3, 6, 3, 2, 1, method=method))
    for layer in layers[1:]:
        for (name, a), (_, b) in zip(layers[0].state_dict(keep_vars=True).items(),
                                     layer.state_dict(keep_vars=True).items()):
            assert torch.equal(a, b), name
        assert torch.equal(layer.patch_index, layers[0].patch_index)
        assert torch.equal(layer.filter_at(1, 2), layers[0].filter_at(1, 2))


def test_auto_picks_gather_and_forcing_a_path_works():
    """'gather' was the faster path on every shape of benchmarks/bench_layers.py."""
    auto = LocallyConnected2d(3, 1, 32, 9, 2, 4)
    assert auto.method == "gather" and "method='gather'" in repr(auto)
    for method in ("gather", "offsets"):
        assert LocallyConnected2d(3, 1, 32, 9, 2, 4, method=method).method == method


def test_a_bad_method_names_the_allowed_values():
    with pytest.raises(ValueError, match=r"'auto'.*'gather'.*'offsets'.*'bmm'"):
        LocallyConnected2d(1, 1, 5, 3, method="bmm")


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_path_stacks_with_vmap(variant):
    """As fit_many calls them: stacked parameters, one input batch per model."""
    models = [make_variant(variant, 2, 3, (6, 5), 3, 2, 1).double() for _ in range(3)]
    params, buffers = torch.func.stack_module_state(models)
    x = torch.randn(3, 4, 2, 6, 5, dtype=torch.float64)
    call = lambda p, b, xb: torch.func.functional_call(models[0], (p, b), (xb,))
    out = torch.vmap(call)(params, buffers, x)
    out.pow(2).sum().backward()
    for i, model in enumerate(models):
        alone = model(x[i])
        torch.testing.assert_close(out[i], alone)
        torch.testing.assert_close(params["weight"].grad[i], torch.autograd.grad(alone.pow(2).sum(), model.weight)[0])
