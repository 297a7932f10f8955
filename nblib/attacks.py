"""The fast gradient sign method (Goodfellow et al. 2015)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def fgsm(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float,
         clamp: tuple[float, float] = (0.0, 1.0)) -> torch.Tensor:
    """x + eps * sign(grad_x loss(model(x), y)), clamped to the valid input range `clamp`."""
    if eps < 0:
        raise ValueError(f"fgsm: eps must be >= 0, got {eps}")
    x = x.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    (grad,) = torch.autograd.grad(loss, x)
    return (x + eps * grad.sign()).clamp(*clamp).detach()
