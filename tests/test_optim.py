import pytest
import torch

from nblib.optim import BetaLasso


def test_step_matches_hand_computation():
    w = torch.nn.Parameter(torch.tensor([0.5, -0.2, 0.001, -0.0005, 0.0]))
    w.grad = torch.tensor([1.0, -1.0, 0.0, 0.0, 2.0])
    lr, lam, beta = 0.1, 0.01, 5.0          # threshold beta * lam = 0.05
    BetaLasso([w], lr=lr, lam=lam, beta=beta).step()
    # 0.5 - 0.1*(1 + 0.01) = 0.399; -0.2 - 0.1*(-1 - 0.01) = -0.099;
    # 0.001 - 0.001 = 0 -> 0; -0.0005 + 0.001 = 0.0005 -> below 0.05 -> 0; 0 - 0.2 = -0.2
    expected = torch.tensor([0.399, -0.099, 0.0, 0.0, -0.2])
    assert torch.allclose(w.detach(), expected, atol=1e-7)


def test_beta_zero_is_lasso_and_groups_have_own_lam_beta():
    a = torch.nn.Parameter(torch.tensor([0.01, -0.01]))
    b = torch.nn.Parameter(torch.tensor([0.01, -0.01]))
    a.grad, b.grad = torch.zeros(2), torch.zeros(2)
    BetaLasso([{"params": [a], "beta": 0.0}, {"params": [b], "lam": 1e-3, "beta": 50.0}],
              lr=1.0, lam=1e-3, beta=1.0).step()
    assert torch.allclose(a.detach(), torch.tensor([0.009, -0.009]))    # no threshold
    assert torch.equal(b.detach(), torch.zeros(2))                      # 0.009 < 0.05


def test_zeroed_weights_stay_exactly_zero():
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(1000) * 0.01)
    opt = BetaLasso([w], lr=0.1, lam=0.01, beta=10.0)   # threshold 0.1
    w.grad = torch.zeros(1000)
    opt.step()
    zeros = w.detach() == 0
    assert zeros.all() and not torch.signbit(w.detach()).any()   # +0.0, not -0.0
    for _ in range(5):
        w.grad = torch.randn(1000) * 0.5           # lr * |grad| mostly below the threshold
        opt.step()
        now = w.detach()
        assert ((now == 0) | (now.abs() >= 0.1)).all()  # every weight is 0.0 or above threshold
    assert (now == 0).float().mean() > 0.5


def test_threshold_is_strict_as_in_the_paper():
    thr = torch.tensor(0.05, dtype=torch.float32).item()  # beta * lam below, in float32
    w = torch.nn.Parameter(torch.tensor([thr, -thr, 0.049, 0.0501]))
    w.grad = torch.zeros(4)
    BetaLasso([w], lr=1e-30, lam=thr / 10, beta=10.0).step()  # |theta| >= beta * lam survives
    assert w.detach().tolist() == pytest.approx([thr, -thr, 0.0, 0.0501])


def test_bad_hyperparameters_are_refused():
    with pytest.raises(ValueError, match="lam"):
        BetaLasso([torch.nn.Parameter(torch.zeros(1))], lr=0.1, lam=-1, beta=1)


def test_the_l1_pull_of_a_run_reaches_the_asked_multiple_of_the_bound():
    import math
    from nblib.optim import lambda_for_pull, total_lr
    from nblib.train import cosine_schedule
    lr_sum = total_lr(0.1, cosine_schedule(8), epochs=8, steps_per_epoch=118)
    assert lr_sum == pytest.approx(118 * 0.1 * sum(0.5 * (1 + math.cos(math.pi * e / 8)) for e in range(8)))
    lam = lambda_for_pull(1.3, 1 / math.sqrt(784), lr_sum)
    # a weight the gradient leaves alone, pulled by lam * lr_t at every step, moves 1.3 bounds
    w, bound = 0.0, 1 / math.sqrt(784)
    for epoch in range(8):
        w += 118 * lam * 0.1 * cosine_schedule(8)(epoch)
    assert w == pytest.approx(1.3 * bound)
    with pytest.raises(ValueError):
        lambda_for_pull(0.0, bound, lr_sum)
    with pytest.raises(ValueError):
        total_lr(0.1, cosine_schedule(8), epochs=0, steps_per_epoch=1)
