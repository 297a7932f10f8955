import torch
from torch import nn

from nblib.attacks import fgsm


def test_fgsm_moves_along_the_sign_of_a_known_gradient():
    # logits = (w.x, 0): the loss of class 1 grows with w.x, so its gradient has the sign of w
    model = nn.Linear(4, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, -2.0, 0.5, -0.1], [0.0, 0.0, 0.0, 0.0]]))
    x = torch.full((1, 4), 0.5)
    adv = fgsm(model, x, torch.tensor([1]), eps=0.1)
    assert torch.allclose(adv, torch.tensor([[0.6, 0.4, 0.6, 0.4]]))
    loss = nn.functional.cross_entropy
    assert loss(model(adv), torch.tensor([1])) > loss(model(x), torch.tensor([1]))


def test_fgsm_clamps_to_the_valid_range():
    model = nn.Linear(3, 2)
    x = torch.tensor([[0.0, 1.0, 0.99]])
    adv = fgsm(model, x, torch.tensor([0]), eps=0.5, clamp=(0.0, 1.0))
    assert adv.min() >= 0 and adv.max() <= 1
    assert not adv.requires_grad
