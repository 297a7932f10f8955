"""Exact embeddings between the three worlds: CNN -> eLCN (locally connected) -> eFCN (dense).

Each embedding computes exactly the same function (to float tolerance):
- `conv_to_local` gives every output position its own copy of the kernel and bias;
- `to_dense` writes a conv or locally connected layer as the matrix of its input Jacobian on
  the flattened (C, H, W) input, padding and stride inside the matrix, with the boolean mask of
  the entries inside some receptive field ("local" entries); all others start at exactly 0;
- `elcn` / `efcn` copy a whole model with every such layer replaced, the rest unchanged.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from nblib.layers import LocallyConnected2d, pair


def _check_plain_conv(conv: nn.Conv2d) -> None:
    if conv.groups != 1 or pair(conv.dilation) != (1, 1) or conv.padding_mode != "zeros" \
            or isinstance(conv.padding, str):
        raise ValueError("only Conv2d with groups=1, dilation=1, numeric zero padding is supported")


def conv_to_local(conv: nn.Conv2d, in_size) -> LocallyConnected2d:
    """The locally connected layer computing exactly `conv` on inputs of spatial size `in_size`."""
    _check_plain_conv(conv)
    local = LocallyConnected2d(conv.in_channels, conv.out_channels, in_size, conv.kernel_size,
                               conv.stride, conv.padding, bias=conv.bias is not None)
    local = local.to(device=conv.weight.device, dtype=conv.weight.dtype)
    with torch.no_grad():
        local.weight.copy_(conv.weight.reshape(1, conv.out_channels, -1).expand_as(local.weight))
        if conv.bias is not None:
            local.bias.copy_(conv.bias[:, None, None].expand_as(local.bias))
    return local


def local_to_conv(local: LocallyConnected2d) -> tuple[nn.Conv2d, float]:
    """Tie a locally connected layer back into a conv by averaging its filters.

    Returns the conv and the spread the averaging threw away:
    mean over positions of ||w_l - w_mean|| / ||w_mean|| (0 when all filters are equal).
    """
    conv = nn.Conv2d(local.in_channels, local.out_channels, local.kernel_size, local.stride,
                     local.padding, bias=local.bias is not None)
    conv = conv.to(device=local.weight.device, dtype=local.weight.dtype)
    with torch.no_grad():
        mean = local.weight.mean(0)  # (C_out, K)
        conv.weight.copy_(mean.view_as(conv.weight))
        if local.bias is not None:
            conv.bias.copy_(local.bias.mean((1, 2)))
        spread = ((local.weight - mean).flatten(1).norm(dim=1) / mean.norm().clamp_min(1e-30)).mean()
    return conv, spread.item()


def _dense_indices(local: LocallyConnected2d):
    """Row (output feature), column (input feature) and validity of every weight entry: (L, C_out, K)."""
    (h, w), (oh, ow) = local.in_size, local.out_size
    (kh, kw), (sh, sw), (ph, pw) = local.kernel_size, local.stride, local.padding
    c_in, c_out = local.in_channels, local.out_channels
    i, j = torch.arange(oh).repeat_interleave(ow), torch.arange(ow).repeat(oh)       # (L,)
    c = torch.arange(c_in).repeat_interleave(kh * kw)                                 # (K,)
    u, v = torch.arange(kh).repeat_interleave(kw).repeat(c_in), torch.arange(kw).repeat(kh * c_in)
    row_in = i[:, None] * sh - ph + u[None, :]                                         # (L, K)
    col_in = j[:, None] * sw - pw + v[None, :]
    valid = (row_in >= 0) & (row_in < h) & (col_in >= 0) & (col_in < w)               # not padding
    cols = c[None, :] * h * w + row_in.clamp(0, h - 1) * w + col_in.clamp(0, w - 1)   # (L, K)
    rows = torch.arange(c_out)[None, :] * oh * ow + (i * ow + j)[:, None]              # (L, C_out)
    return rows, cols, valid


def to_dense(layer: nn.Module, in_size=None) -> tuple[nn.Linear, torch.Tensor]:
    """An nn.Linear on the flattened (C, H, W) input computing `layer`, and its local-entry mask.

    `layer` is an nn.Conv2d (then `in_size` is required) or a LocallyConnected2d. The weight is
    the layer's input Jacobian; entries outside every receptive field are exactly zero.
    """
    if isinstance(layer, nn.Conv2d):
        if in_size is None:
            raise ValueError("to_dense(conv, in_size): a convolution needs the input's spatial size")
        layer = conv_to_local(layer, in_size)
    if not isinstance(layer, LocallyConnected2d):
        raise TypeError(f"to_dense takes Conv2d or LocallyConnected2d, not {type(layer).__name__}")
    (h, w), (oh, ow) = layer.in_size, layer.out_size
    in_features, out_features = layer.in_channels * h * w, layer.out_channels * oh * ow
    rows, cols, valid = (t.to(layer.weight.device) for t in _dense_indices(layer))
    rows = rows[:, :, None].expand(-1, -1, cols.shape[1])[valid[:, None, :].expand_as(layer.weight)]
    cols_all = cols[:, None, :].expand_as(layer.weight)[valid[:, None, :].expand_as(layer.weight)]
    values = layer.weight.detach()[valid[:, None, :].expand_as(layer.weight)]
    # built on the meta device and given zeros: no random initialisation of a matrix that is
    # then overwritten (it would cost time and, with the zeros, a second pass over memory)
    linear = nn.Linear(in_features, out_features, bias=layer.bias is not None, device="meta")
    linear.weight = nn.Parameter(torch.zeros(out_features, in_features, device=layer.weight.device,
                                             dtype=layer.weight.dtype))
    with torch.no_grad():
        linear.weight.index_put_((rows, cols_all), values)
    if layer.bias is not None:
        linear.bias = nn.Parameter(layer.bias.detach().flatten().clone())
    mask = torch.zeros(out_features, in_features, dtype=torch.bool, device=layer.weight.device)
    mask.index_put_((rows, cols_all), torch.ones((), dtype=torch.bool, device=mask.device))
    return linear, mask


class DenseEmbedded(nn.Module):
    """A conv-like layer written as a dense matrix: (B, C, H, W) -> flatten -> Linear -> (B, C', H', W')."""

    def __init__(self, linear: nn.Linear, mask: torch.Tensor, out_shape: tuple[int, int, int]):
        super().__init__()
        self.linear, self.out_shape = linear, tuple(out_shape)
        self.register_buffer("local_mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.flatten(1)).view(-1, *self.out_shape)


def _input_sizes(model: nn.Module, input_shape, kinds) -> dict[str, tuple[int, int]]:
    """Spatial input size of every submodule of the given kinds, found by one forward pass."""
    sizes, hooks = {}, []
    for name, module in model.named_modules():
        if isinstance(module, kinds):
            hooks.append(module.register_forward_hook(
                lambda m, args, out, name=name: sizes.__setitem__(name, tuple(args[0].shape[-2:]))))
    try:
        param = next(model.parameters(), torch.empty(0))
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, dtype=param.dtype, device=param.device))
    finally:
        for hook in hooks:
            hook.remove()
    return sizes


def _replace(model: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, child, new)


def elcn(model: nn.Module, input_shape) -> nn.Module:
    """A copy of `model` with every Conv2d replaced by its exact LocallyConnected2d."""
    sizes = _input_sizes(model, input_shape, nn.Conv2d)
    out = copy.deepcopy(model)
    for name, size in sizes.items():
        _replace(out, name, conv_to_local(out.get_submodule(name), size))
    return out


def efcn(model: nn.Module, input_shape) -> nn.Module:
    """A copy of `model` with every Conv2d and LocallyConnected2d replaced by its exact dense matrix."""
    sizes = _input_sizes(model, input_shape, (nn.Conv2d, LocallyConnected2d))
    out = copy.deepcopy(model)
    for name, size in sizes.items():
        layer = out.get_submodule(name)
        local = conv_to_local(layer, size) if isinstance(layer, nn.Conv2d) else layer
        linear, mask = to_dense(local)
        _replace(out, name, DenseEmbedded(linear, mask, (local.out_channels, *local.out_size)))
        del local, linear
    return out


def off_local_ratio(model: nn.Module) -> float:
    """delta = ||theta_off-local||_2 / ||theta||_2 over the weights of the embedded (dense) layers."""
    off, total = 0.0, 0.0
    for module in model.modules():
        if isinstance(module, DenseEmbedded):
            w = module.linear.weight.detach()
            total += w.pow(2).sum().item()
            off += w.masked_fill(module.local_mask, 0).pow(2).sum().item()
    if total == 0:
        raise ValueError("off_local_ratio: the model has no embedded dense layers (use efcn first)")
    return (off / total) ** 0.5


def filter_distances(local: LocallyConnected2d, ring: int) -> tuple[float, float]:
    """Mean Euclidean and cosine distance between the filters of positions at ring distance `ring`.

    Ring distance is max(|di|, |dj|) between output positions; a "filter" is one output
    channel's kernel at one position (C_in * kh * kw numbers); pairs are counted once.
    """
    w = local.weight.detach().view(*local.out_size, local.out_channels, -1)  # (H', W', C_out, K)
    oh, ow = local.out_size
    offsets = [(di, dj) for di in range(0, ring + 1) for dj in range(-ring, ring + 1)
               if max(abs(di), abs(dj)) == ring and (di > 0 or dj > 0)]
    euclid, cosine, count = 0.0, 0.0, 0
    for di, dj in offsets:
        a = w[:oh - di, max(0, -dj):ow - max(0, dj)]
        b = w[di:, max(0, dj):ow + min(0, dj)]
        if a.numel() == 0:
            continue
        euclid += (a - b).norm(dim=-1).sum().item()
        cosine += (1 - torch.nn.functional.cosine_similarity(a, b, dim=-1)).sum().item()
        count += a.shape[0] * a.shape[1] * a.shape[2]
    if count == 0:
        raise ValueError(f"no pair of positions at ring distance {ring} in a {oh}x{ow} layer")
    return euclid / count, cosine / count
