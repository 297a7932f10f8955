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


def _chunks(n: int, size: int) -> list[slice]:
    return [slice(start, min(n, start + size)) for start in range(0, n, size)]


def _patches(rows: torch.Tensor, index: torch.Tensor, positions: slice, k: int) -> torch.Tensor:
    """The patches of a range of positions, (n, K, B): whole rows of the batch-minor input."""
    n = positions.stop - positions.start
    return rows.index_select(0, index[positions.start * k:positions.stop * k]).view(n, k, rows.shape[1])


class _ChunkedGather(torch.autograd.Function):
    """The gather path a chunk of positions at a time, for layers whose (L, K, B) patch tensor
    would not stay in cache: each chunk's patches are gathered, multiplied and dropped, and
    gathered again in the backward instead of being kept, so nothing of that size is ever
    written to memory or saved for the backward."""

    generate_vmap_rule = True  # like _ContiguousGrad: the layer stays vmappable

    @staticmethod
    def forward(rows, weight, index, chunk):
        # rows: (C_in * H_pad * W_pad, B); weight: (L, C_out, K); index: (L * K,) -> (L, C_out, B)
        k = weight.shape[2]
        return torch.cat([torch.bmm(weight[s], _patches(rows, index, s, k))
                          for s in _chunks(weight.shape[0], chunk)])

    @staticmethod
    def setup_context(ctx, inputs, output):
        rows, weight, index, ctx.chunk = inputs
        ctx.save_for_backward(rows, weight, index)

    @staticmethod
    def backward(ctx, grad):
        rows, weight, index = ctx.saved_tensors
        k, grad = weight.shape[2], grad.contiguous()  # (L, C_out, B)
        grad_rows = grad.new_zeros(rows.shape) if ctx.needs_input_grad[0] else None
        grad_w = []
        for s in _chunks(weight.shape[0], ctx.chunk):
            if ctx.needs_input_grad[1]:
                grad_w.append(torch.bmm(grad[s], _patches(rows, index, s, k).transpose(1, 2)))  # (n, C_out, K)
            if grad_rows is not None:
                grad_patches = torch.bmm(weight[s].transpose(1, 2), grad[s])  # (n, K, B)
                grad_rows.index_add_(0, index[s.start * k:s.stop * k], grad_patches.flatten(0, 1))
        return grad_rows, torch.cat(grad_w) if grad_w else None, None, None


def _window(xl: torch.Tensor, u: int, v: int, stride, out_size) -> torch.Tensor:
    """The input pixels that kernel offset (u, v) multiplies at every output position: a strided
    view (H_out, W_out, ...) of the batch-last input (H_pad, W_pad, ...)."""
    (sh, sw), (oh, ow) = stride, out_size
    return xl[u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw]


class _OffsetProducts(torch.autograd.Function):
    """sum over kernel offsets (u, v) of window(u, v) times that offset's weight at every
    position, with a backward that accumulates each offset's input gradient in place (autograd's
    own slice backward would write one input-sized tensor per offset).

    Contiguous batch-last layouts: input (H_pad, W_pad, C_in, B), weight (kh, kw, L, C_out, C_in),
    output (L, C_out, B). A window skips whole rows of B numbers, so a stride wastes no cache
    lines, and each offset is one batched matmul over the L positions on a copy of its window.
    """

    generate_vmap_rule = True  # like _ContiguousGrad: the layer stays vmappable

    @staticmethod
    def forward(xl, wl, stride, out_size):
        out = None
        for u in range(wl.shape[0]):
            for v in range(wl.shape[1]):
                window = _window(xl, u, v, stride, out_size).reshape(wl.shape[2], *xl.shape[2:])  # (L, C_in, B)
                out = torch.bmm(wl[u, v], window) if out is None else torch.baddbmm(out, wl[u, v], window)
        return out  # (L, C_out, B)

    @staticmethod
    def setup_context(ctx, inputs, output):
        xl, wl, ctx.stride, ctx.out_size = inputs
        ctx.save_for_backward(xl, wl)

    @staticmethod
    def backward(ctx, grad):
        xl, wl = ctx.saved_tensors
        grad = grad.contiguous()  # (L, C_out, B)
        grad_x = grad.new_zeros(xl.shape) if ctx.needs_input_grad[0] else None
        grad_w = []
        for u in range(wl.shape[0]):
            for v in range(wl.shape[1]):
                if ctx.needs_input_grad[1]:
                    window = _window(xl, u, v, ctx.stride, ctx.out_size).reshape(wl.shape[2], *xl.shape[2:])
                    grad_w.append(torch.bmm(grad, window.transpose(1, 2)))  # (L, C_out, C_in)
                if grad_x is not None:
                    grad_window = torch.bmm(wl[u, v].transpose(1, 2), grad)  # (L, C_in, B)
                    _window(grad_x, u, v, ctx.stride, ctx.out_size).add_(grad_window.view(*ctx.out_size, *xl.shape[2:]))
        grad_w = torch.stack(grad_w).view(wl.shape) if grad_w else None
        return grad_x, grad_w, None, None


METHODS = ("auto", "gather", "offsets")


class LocallyConnected2d(nn.Module):
    """Like `nn.Conv2d`, but every output position (i, j) has its own filter and bias.

    weight: (L, C_out, C_in * kh * kw) with L = H_out * W_out positions in row-major order;
    bias: (C_out, H_out, W_out). Two ways to compute the same function (`method`):
    - 'gather': `index_select` of whole rows of the batch-minor input gathers the patches,
      (L, K, B), and a batched matrix product applies the L filters; when the patches exceed
      `chunk_bytes`, a chunk of positions at a time (`_ChunkedGather`);
    - 'offsets': a sum over the kh * kw kernel offsets of a strided window of the input times
      that offset's weights (`_OffsetProducts`), which never builds the patches.
    'auto' picks one from the layer's shape (`_auto_method`).
    """

    # patches gathered at a time: a chunk is multiplied while it is still in cache (on a 2-core
    # EPYC, benchmarks/bench_layers.py, 2 and 4 MiB were the fastest of 1, 2, 4, 8 and 16)
    chunk_bytes = 4 << 20

    def __init__(self, in_channels: int, out_channels: int, in_size, kernel_size, stride=1,
                 padding=0, bias: bool = True, method: str = "auto"):
        super().__init__()
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
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
        self.method = self._auto_method() if method == "auto" else method

    def _auto_method(self) -> str:
        """'gather', whatever the shape: on the CPU 'offsets' was the slower path on every shape
        of benchmarks/bench_layers.py (2x to 20x slower than 'gather'): its kh * kw batched
        products of small (C_out, C_in) matrices cost more than gathering patches in cache."""
        return "gather"

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C_in, H, W) -> (B, C_out, H_out, W_out)
        out = self._offsets(x) if self.method == "offsets" else self._gather(x)
        return out + self.bias if self.bias is not None else out

    def _gather(self, x: torch.Tensor) -> torch.Tensor:
        (ph, pw), (oh, ow), batch = self.padding, self.out_size, x.shape[0]
        rows = F.pad(x, (pw, pw, ph, ph)).reshape(batch, -1).t().contiguous()  # (C_in * H_pad * W_pad, B)
        position_bytes = self.weight.shape[2] * batch * x.element_size()  # one position's patch
        if oh * ow * position_bytes > self.chunk_bytes:
            chunk = max(1, int(self.chunk_bytes // position_bytes))  # positions
            out = _ChunkedGather.apply(rows, self.weight, self.patch_index, chunk)  # (L, C_out, B)
        else:
            patches = rows.index_select(0, self.patch_index).view(oh * ow, -1, batch)  # (L, K, B): whole rows copied
            out = _ContiguousGrad.apply(torch.bmm(self.weight, patches))  # (L, C_out, B)
        return out.permute(2, 1, 0).reshape(batch, self.out_channels, oh, ow)  # (B, C_out, H_out, W_out)

    def _offsets(self, x: torch.Tensor) -> torch.Tensor:
        (ph, pw), (oh, ow), (kh, kw) = self.padding, self.out_size, self.kernel_size
        xl = F.pad(x, (pw, pw, ph, ph)).permute(2, 3, 1, 0).contiguous()  # (H_pad, W_pad, C_in, B)
        wl = self.weight.view(oh, ow, self.out_channels, self.in_channels, kh, kw)
        wl = wl.permute(4, 5, 0, 1, 2, 3).reshape(kh, kw, oh * ow, self.out_channels, -1)  # (kh, kw, L, C_out, C_in)
        out = _OffsetProducts.apply(xl, wl, self.stride, self.out_size)  # (L, C_out, B)
        return out.permute(2, 1, 0).reshape(x.shape[0], self.out_channels, oh, ow)  # (B, C_out, H_out, W_out)

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
                f"out_size={self.out_size}, bias={self.bias is not None}, method={self.method!r}")
