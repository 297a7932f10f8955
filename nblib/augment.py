"""Data augmentation on batched tensors (per-sample randomness, no per-item Python loop)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def random_crop_flip(x: torch.Tensor, generator: torch.Generator, padding: int = 4,
                     flip: bool = True) -> torch.Tensor:
    """Per sample: a random crop of the zero-padded image and (if `flip`) a random horizontal flip.

    x: (B, C, H, W) -> (B, C, H, W). The random draws come from `generator` on the CPU (the
    same crops on every device); the indices are then built on x's device.
    """
    b, c, h, w = x.shape
    device = x.device
    padded = F.pad(x, (padding,) * 4)  # (B, C, H + 2p, W + 2p)
    dy = torch.randint(0, 2 * padding + 1, (b,), generator=generator).to(device)
    dx = torch.randint(0, 2 * padding + 1, (b,), generator=generator).to(device)
    rows = (dy[:, None] + torch.arange(h, device=device))[:, None, :, None]  # (B, 1, H, 1)
    cols = dx[:, None] + torch.arange(w, device=device)                        # (B, W)
    if flip:
        mirrored = (torch.rand(b, generator=generator) < 0.5).to(device)
        cols = torch.where(mirrored[:, None], cols.flip(1), cols)
    batch = torch.arange(b, device=device)[:, None, None, None]
    channel = torch.arange(c, device=device)[None, :, None, None]
    return padded[batch, channel, rows, cols[:, None, None, :]]
