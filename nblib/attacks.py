"""Adversarial examples: the fast gradient sign method (Goodfellow et al. 2015) and its
iterated, projected form (PGD, Madry et al. 2018), both in the L-inf ball of radius eps."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _check(eps: float, name: str) -> None:
    if eps < 0:
        raise ValueError(f"{name}: eps must be >= 0, got {eps}")


def _input_grad(model, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(model(x), y), x)
    return grad


def fgsm(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float,
         clamp: tuple[float, float] = (0.0, 1.0)) -> torch.Tensor:
    """x + eps * sign(grad_x loss(model(x), y)), clamped to the valid input range `clamp`."""
    _check(eps, "fgsm")
    return (x + eps * _input_grad(model, x, y).sign()).clamp(*clamp).detach()


def pgd(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int = 10,
        step_size: float | None = None, clamp: tuple[float, float] = (0.0, 1.0)) -> torch.Tensor:
    """`steps` signed-gradient steps of `step_size` (default 2.5 * eps / steps), each projected back
    into the L-inf ball of radius eps around x and into `clamp`; starts at x (no random start, so
    its first step is FGSM's direction and the attack is deterministic)."""
    _check(eps, "pgd")
    if steps < 1:
        raise ValueError(f"pgd: steps must be >= 1, got {steps}")
    step_size = 2.5 * eps / steps if step_size is None else step_size
    adversarial = x.detach()
    for _ in range(steps):
        adversarial = adversarial + step_size * _input_grad(model, adversarial, y).sign()
        adversarial = torch.min(torch.max(adversarial, x - eps), x + eps).clamp(*clamp).detach()
    return adversarial
