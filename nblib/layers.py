"""The locally connected layer: a convolution's connectivity without its weight sharing."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_output_size(in_size, kernel_size, stride=1, padding=0) -> tuple[int, int]:
    """(H_out, W_out) of a convolution with these settings."""
    (h, w), (kh, kw), (sh, sw), (ph, pw) = map(pair, (in_size, kernel_size, stride, padding))
    return (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1


class _ContiguousGrad(torch.autograd.Function):
    """Identity whose backward makes the incoming gradient contiguous in one copy (so that the
    batched matmul's backward does not copy it matrix by matrix)."""

    generate_vmap_rule = True  # so that models holding the layer can be stacked with torch.func.vmap

    @staticmethod
    def forward(x):
        return x.view_as(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad):
        return grad.contiguous()


class LocallyConnected2d(nn.Module):
    """Like `nn.Conv2d`, but every output position (i, j) has its own filter and bias.

    weight: (L, C_out, C_in * kh * kw) with L = H_out * W_out positions in row-major order;
    bias: (C_out, H_out, W_out). The forward pass gathers the input's patches with one
    `index_select` of whole rows of the batch-minor input, (L, K, B), and applies all L
    filters in one batched matrix product (no loop over positions).
    """

    def __init__(self, in_channels: int, out_channels: int, in_size, kernel_size, stride=1,
                 padding=0, bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.in_size, self.kernel_size = pair(in_size), pair(kernel_size)
        self.stride, self.padding = pair(stride), pair(padding)
        self.out_size = conv_output_size(self.in_size, self.kernel_size, self.stride, self.padding)
        if min(self.out_size) < 1:
            raise ValueError(f"kernel {self.kernel_size} does not fit input {self.in_size} "
                             f"with padding {self.padding}")
        fan_in = in_channels * self.kernel_size[0] * self.kernel_size[1]
        positions = self.out_size[0] * self.out_size[1]
        bound = 1 / math.sqrt(fan_in)  # nn.Conv2d's default init range, per position
        self.weight = nn.Parameter(torch.empty(positions, out_channels, fan_in).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out_channels, *self.out_size).uniform_(-bound, bound)) if bias else None
        self.register_buffer("patch_index", self._patch_index(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C_in, H, W) -> (B, C_out, H_out, W_out)
        (ph, pw), (oh, ow), batch = self.padding, self.out_size, x.shape[0]
        rows = F.pad(x, (pw, pw, ph, ph)).reshape(batch, -1).t().contiguous()  # (C_in * H_pad * W_pad, B)
        patches = rows.index_select(0, self.patch_index).view(oh * ow, -1, batch)  # (L, K, B): whole rows copied
        out = _ContiguousGrad.apply(torch.bmm(self.weight, patches))  # (L, C_out, B)
        out = out.permute(2, 1, 0).reshape(batch, self.out_channels, oh, ow)  # (B, C_out, H_out, W_out)
        return out + self.bias if self.bias is not None else out

    def _patch_index(self) -> torch.Tensor:
        """For every (position l, weight index k = (c, u, v)): the flat index of the input
        pixel it multiplies in the padded (C_in, H_pad, W_pad) input: (L * K,)."""
        (h, w), (kh, kw), (sh, sw), (ph, pw), (oh, ow) = (
            self.in_size, self.kernel_size, self.stride, self.padding, self.out_size)
        h_pad, w_pad = h + 2 * ph, w + 2 * pw
        i, j = torch.arange(oh).repeat_interleave(ow), torch.arange(ow).repeat(oh)    # (L,)
        c = torch.arange(self.in_channels).repeat_interleave(kh * kw)                 # (K,)
        u = torch.arange(kh).repeat_interleave(kw).repeat(self.in_channels)
        v = torch.arange(kw).repeat(kh * self.in_channels)
        rows, cols = i[:, None] * sh + u[None, :], j[:, None] * sw + v[None, :]       # (L, K)
        return (c[None, :] * h_pad * w_pad + rows * w_pad + cols).flatten()

    def filters(self) -> torch.Tensor:
        """All filters as (H_out, W_out, C_out, C_in, kh, kw) (a view of the weight)."""
        return self.weight.view(*self.out_size, self.out_channels, self.in_channels, *self.kernel_size)

    def filter_at(self, i: int, j: int) -> torch.Tensor:
        """The filter of output position (i, j), shaped like a conv kernel (C_out, C_in, kh, kw)."""
        return self.filters()[i, j]

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, in_size={self.in_size}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"out_size={self.out_size}, bias={self.bias is not None}")
