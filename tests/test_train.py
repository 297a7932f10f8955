import math

import pytest
import torch
from torch import nn

from nblib.layers import LocallyConnected2d
from nblib.train import (EarlyStopping, ModelStack, cosine_schedule, fit, fit_many, minibatches,
                         stacking_wins, step_schedule)


def data(n=96, d=6, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = (x[:, :classes]).argmax(1)  # a learnable rule
    return x, y


def mlp(seed=0, d=6, classes=3):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Linear(16, classes))


def test_schedules():
    cos = cosine_schedule(10)
    assert cos(0) == 1.0 and math.isclose(cos(5), 0.5) and cos(10) < 1e-12
    step = step_schedule(10)
    assert [step(e) for e in (0, 4, 5, 9)] == [1.0, 1.0, 0.1, 0.1]


def test_minibatches_cover_every_index_once_per_model():
    g = torch.Generator().manual_seed(0)
    batches = list(minibatches(3, 10, 4, g))
    assert [b.shape for b in batches] == [(3, 4), (3, 4), (3, 2)]
    for m in range(3):
        assert sorted(torch.cat([b[m] for b in batches]).tolist()) == list(range(10))
    assert not torch.equal(batches[0][0], batches[0][1])


def test_fit_learns_logs_lr_and_hooks_and_is_deterministic():
    x, y = data()
    runs = []
    for _ in range(2):
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        h = fit(model, x, y, epochs=8, batch_size=16, optimizer=opt, schedule=cosine_schedule(8),
                val=(x, y), hooks={"w_norm": lambda m: m[0].weight.norm().item()}, progress=False)
        runs.append((h, [p.detach().clone() for p in model.parameters()]))
    (h, weights), (h2, weights2) = runs
    assert h["train_loss"] == h2["train_loss"] and all(torch.equal(a, b) for a, b in zip(weights, weights2))
    assert h["val_acc"][-1] > 0.8 and h["train_loss"][-1] < h["train_loss"][0]
    assert h["lr"] == pytest.approx([0.5 * cosine_schedule(8)(e) for e in range(8)])
    assert len(h["w_norm"]) == 8 and h["epoch"] == list(range(1, 9))


def test_early_stopping_on_a_plateau():
    x, y = data()
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # nothing changes: validation plateaus at once
    h = fit(model, x, y, epochs=50, batch_size=32, optimizer=opt, val=(x, y),
            early_stopping=EarlyStopping(patience=3), progress=False)
    assert len(h["val_loss"]) == 4  # the first epoch sets the best, three more without gain


def test_interrupted_fit_resumes_exactly(tmp_path):
    x, y = data()
    straight = mlp()
    fit(straight, x, y, epochs=6, batch_size=16, optimizer=torch.optim.Adam(straight.parameters(), 1e-2),
        schedule=step_schedule(6), progress=False)

    calls = {"n": 0}
    def crash_in_epoch_4(model):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return 0.0
    model = mlp()
    with pytest.raises(KeyboardInterrupt):
        fit(model, x, y, epochs=6, batch_size=16, optimizer=torch.optim.Adam(model.parameters(), 1e-2),
            schedule=step_schedule(6), hooks={"h": crash_in_epoch_4}, checkpoint_dir=tmp_path,
            save_at=(2,), progress=False)
    resumed = mlp(seed=123)  # a fresh process: different init, everything comes from the checkpoint
    h = fit(resumed, x, y, epochs=6, batch_size=16, optimizer=torch.optim.Adam(resumed.parameters(), 1e-2),
            schedule=step_schedule(6), hooks={"h": lambda m: 0.0}, checkpoint_dir=tmp_path,
            save_at=(2,), progress=False)
    assert h["epoch"] == [1, 2, 3, 4, 5, 6]
    for a, b in zip(straight.parameters(), resumed.parameters()):
        assert torch.allclose(a, b, atol=1e-6)
    again = mlp()
    fit(again, x, y, epochs=6, batch_size=16, optimizer=torch.optim.Adam(again.parameters(), 1e-2),
        schedule=step_schedule(6), checkpoint_dir=tmp_path / "again", save_at=(2,), progress=False)
    saved, reference = torch.load(tmp_path / "epoch_2.pt"), torch.load(tmp_path / "again" / "epoch_2.pt")
    assert saved["epoch"] == 2
    assert all(torch.equal(saved["model"][k], reference["model"][k]) for k in reference["model"])
    assert not torch.equal(reference["model"]["0.weight"], again.state_dict()["0.weight"])


def test_fit_many_equals_training_one_by_one():
    x, y = data()
    n_models, epochs, batch = 3, 3, 32
    stack, history = fit_many(mlp, n_models, x, y, epochs=epochs, batch_size=batch,
                              make_optimizer=lambda p: torch.optim.SGD(p, lr=0.3, momentum=0.9),
                              seed=5, progress=False)
    assert history.stacked().shape == (epochs, n_models)
    g = torch.Generator().manual_seed(5)
    orders = [torch.argsort(torch.rand(n_models, len(x), generator=g), dim=1) for _ in range(epochs)]
    for i in range(n_models):
        model = mlp(i)
        opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
        for order in orders:
            for start in range(0, len(x), batch):
                idx = order[i, start:start + batch]
                opt.zero_grad()
                nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
        alone = stack.model(i, mlp)
        for a, b in zip(model.parameters(), alone.parameters()):
            assert torch.allclose(a, b, atol=1e-5)


def _conv(i):
    torch.manual_seed(i)
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 3))


class TwoHeads(nn.Module):
    """A model that returns a tuple, as digit pairs' PairNet does."""

    def __init__(self):
        super().__init__()
        self.body, self.head = nn.Linear(6, 5), nn.Linear(5, 3)

    def forward(self, x):
        hidden = self.body(x).relu()
        return self.head(hidden), hidden


@pytest.mark.parametrize("case", ["conv", "tuple"])
def test_fit_many_stacked_and_looped_train_alike(case):
    """The vmapped and the looped path give the same models (to float rounding), with a model
    that returns a tuple too, and each path reports which it took."""
    if case == "conv":
        x, y = torch.randn(64, 1, 6, 6), torch.randint(0, 3, (64,))
        make, loss = _conv, nn.functional.cross_entropy
    else:
        (x, y), make = data(), lambda i: (torch.manual_seed(i), TwoHeads())[1]
        loss = lambda out, target: nn.functional.cross_entropy(out[0], target) + out[1].square().mean()
    stacks = {}
    for stacked in (True, False):
        stacks[stacked], history = fit_many(make, 3, x, y, epochs=2, batch_size=16, loss_fn=loss, seed=1,
                                            make_optimizer=lambda p: torch.optim.Adam(p, lr=1e-2),
                                            stacked=stacked, progress=False)
        assert stacks[stacked].stacked is stacked and history.stacked().shape == (2, 3)
    for i in range(3):
        a, b = stacks[True].state_dict(i), stacks[False].state_dict(i)
        assert a.keys() == b.keys()
        for k in a:
            torch.testing.assert_close(a[k], b[k], atol=1e-5, rtol=1e-4)
        assert not torch.equal(a["0.weight" if case == "conv" else "body.weight"], make(i).state_dict()[
            "0.weight" if case == "conv" else "body.weight"])  # it trained


def test_stacking_rule_loops_convolutions_and_large_dense_weights_on_a_cpu():
    small = nn.Sequential(nn.Linear(196, 500), nn.ReLU(), nn.Linear(500, 10))
    large = nn.Sequential(nn.Linear(3072, 1176))
    assert stacking_wins(small, "cpu") and not stacking_wins(large, "cpu") and not stacking_wins(_conv(0), "cpu")
    assert not stacking_wins(nn.Sequential(LocallyConnected2d(1, 2, 6, 3)), "cpu")
    assert all(stacking_wins(m, "cuda") for m in (small, large, _conv(0)))
    assert ModelStack(lambda i: _conv(i), 2).stacked is False  # the default follows the rule
    assert ModelStack(lambda i: small, 2).stacked is True


def test_fit_many_refuses_batchnorm():
    with pytest.raises(ValueError, match="BatchNorm"):
        fit_many(lambda i: nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4)), 2, *data(),
                 epochs=1, batch_size=8, make_optimizer=lambda p: torch.optim.SGD(p, lr=0.1), progress=False)


def test_augmentation_is_applied_per_batch_with_the_trainers_generator():
    x, y = data()
    seen = []
    def flip_sign(xb, generator):
        seen.append((xb.shape[0], isinstance(generator, torch.Generator)))
        return -xb
    model = mlp()
    fit(model, x, y, epochs=2, batch_size=32, optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
        augment=flip_sign, progress=False)
    assert seen == [(32, True)] * 6
    # trained only on -x: it has learned the mirrored rule, so it fails on x itself
    assert (model(-x).argmax(1) == y).float().mean() > (model(x).argmax(1) == y).float().mean()


def test_restore_best_keeps_the_epoch_of_best_validation_accuracy():
    x, y = data()
    model = mlp()
    h = fit(model, x, y, epochs=6, batch_size=16, optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
            val=(x[:40], y[:40]), restore_best=True, progress=False)
    best = h["best_epoch"][0]
    assert h["val_acc"][best - 1] == max(h["val_acc"])
    assert h["val_acc"].index(max(h["val_acc"])) == best - 1  # the first epoch reaching the best
    from nblib.train import evaluate
    assert evaluate(model, x[:40], y[:40])[1] == max(h["val_acc"])
    with pytest.raises(ValueError, match="val"):
        fit(model, x, y, epochs=1, batch_size=16, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            restore_best=True, progress=False)
