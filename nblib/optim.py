"""beta-LASSO (Neyshabur 2020): L1 by subgradient, then hard-threshold small weights to zero."""
from __future__ import annotations

import torch
import torch.nn.functional as F


class BetaLasso(torch.optim.Optimizer):
    """theta <- theta - lr * (grad + lam * sign(theta)); then theta[|theta| < beta * lam] = 0.

    beta = 0 is plain LASSO by subgradient (nothing is thresholded). `lam` and `beta` may be
    set per parameter group (the paper tunes the first layer separately). No momentum.
    """

    def __init__(self, params, lr: float, lam: float, beta: float):
        if lr <= 0 or lam < 0 or beta < 0:
            raise ValueError(f"BetaLasso needs lr > 0, lam >= 0, beta >= 0; got {lr}, {lam}, {beta}")
        super().__init__(params, dict(lr=lr, lam=lam, beta=beta))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, lam, beta = group["lr"], group["lam"], group["beta"]
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            # theta <- theta - lr * (grad + lam * sign(theta)), sign of theta before the step
            signs = torch._foreach_sign(params)
            torch._foreach_add_(params, grads, alpha=-lr)
            torch._foreach_add_(params, signs, alpha=-lr * lam)
            if beta > 0:  # theta <- theta * (|theta| >= beta * lam), as one fused hardshrink pass
                for p in params:
                    # hardshrink zeroes |x| <= t; t just below beta * lam in p's dtype zeroes |x| < beta * lam
                    below = torch.nextafter(torch.tensor(beta * lam, dtype=p.dtype), torch.tensor(0.0, dtype=p.dtype))
                    p.copy_(F.hardshrink(p, below.item()))
        return loss


def total_lr(lr: float, schedule, epochs: int, steps_per_epoch: int) -> float:
    """sum_t lr_t over a run: `steps_per_epoch` steps per epoch at lr * schedule(epoch)."""
    if epochs < 1 or steps_per_epoch < 1:
        raise ValueError(f"total_lr needs epochs >= 1 and steps_per_epoch >= 1, got {epochs}, {steps_per_epoch}")
    return steps_per_epoch * sum(lr * schedule(epoch) for epoch in range(epochs))


def lambda_for_pull(multiple: float, bound: float, lr_sum: float) -> float:
    """The L1 strength whose pull over a run, lam * sum_t lr_t (how far the subgradient alone
    moves a weight towards zero), is `multiple` times `bound` (e.g. the initial-weight bound
    1 / sqrt(fan_in)): with multiple > 1 the pull can zero any weight the gradient leaves alone."""
    if multiple <= 0 or bound <= 0 or lr_sum <= 0:
        raise ValueError(f"lambda_for_pull needs positive arguments, got {multiple}, {bound}, {lr_sum}")
    return multiple * bound / lr_sum
