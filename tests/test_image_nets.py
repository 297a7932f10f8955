"""Study 1's image half: the four nets, their latents, WeightNet's FFT convolution, the stacked
attacks, the protocol and the parameter checks."""

import pytest
import torch
from torch import nn

from nblib.attacks import fgsm, pgd
from nblib.chapters import image_nets as im
from nblib.chapters.image_nets.experiment import (SEED_PROTOCOL, Stacked, WholeInputConv, _attacked,
                                                  _adversarial_accuracy, seed_protocol, stage_outputs)
from nblib.layers import LocallyConnected2d
from nblib.params import ParameterError, check_params
from nblib.train import ModelStack, fit_many


@pytest.mark.parametrize("dataset", im.DATASETS)
@pytest.mark.parametrize("arch", im.ARCHS)
def test_every_net_keeps_the_convnets_latents(arch, dataset):
    channels, side = im.experiment.INPUT[dataset]
    net = im.image_net(arch, dataset)
    assert stage_outputs(net, torch.zeros(2, channels, side, side)) == im.latent_shapes(dataset)
    assert net(torch.zeros(2, channels, side, side)).shape == (2, 10)


def test_latents_are_lenets():
    assert im.latent_shapes("mnist") == [(6, 12, 12), (16, 4, 4)]   # 864 and 256, as the study says
    assert im.latent_shapes("cifar10") == [(6, 14, 14), (16, 5, 5)]  # 400 into the dense layers


def dense_head(latent: int) -> int:
    return latent * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10


def test_parameter_counts_follow_from_the_definitions():
    head = dense_head(256)
    assert im.n_params("ConvNet", "mnist") == (6 * 25 + 6) + (16 * 6 * 25 + 16) + head
    # the study's LocalNet: 6x6 windows at stride 2, 12x12 then 4x4 positions, a filter and a bias per position
    local = 12 * 12 * (6 * 36 + 6) + 4 * 4 * (16 * 6 * 36 + 16)
    assert im.n_params("LocalNet", "mnist") == local + head == 129_374  # "about 129k" (STUDIES.md)
    assert im.n_params("LocalNet", "cifar10") == 14 * 14 * (6 * 3 * 36 + 6) + 5 * 5 * (16 * 6 * 36 + 16) + dense_head(400)
    assert im.n_params("WeightNet", "mnist") == (6 * 28 * 28 + 6) + (16 * 6 * 12 * 12 + 16) + head
    assert im.n_params("FCNet", "mnist") == (784 * 864 + 864) + (864 * 256 + 256) + head
    assert im.n_params("WeightNet", "cifar10") == (6 * 3 * 32 * 32 + 6) + (16 * 6 * 14 * 14 + 16) + dense_head(400)
    # the study's WeightNet: kernel 28 padded by 6 (13x13), kernel 13 padded by 2 (5x5), 400 into the head
    assert im.n_params(im.BUG_ARCH, "mnist") == (6 * 28 * 28 + 6) + (16 * 6 * 13 * 13 + 16) + dense_head(400) == 80_084


def test_the_studys_weightnet_has_its_latent_mismatch():
    net = im.image_net(im.BUG_ARCH, "mnist")
    assert stage_outputs(net, torch.zeros(2, 1, 28, 28)) == [(6, 13, 13), (16, 5, 5)]
    with pytest.raises(ValueError, match="MNIST"):
        im.image_net(im.BUG_ARCH, "cifar10")


def test_the_studys_localnet_is_6x6_windows_at_stride_2_without_pooling():
    net = im.image_net("LocalNet", "mnist")
    layers = [m for m in net.modules() if isinstance(m, LocallyConnected2d)]
    assert [(l.kernel_size, l.stride, l.out_size) for l in layers] == [((6, 6), (2, 2), (12, 12)), ((6, 6), (2, 2), (4, 4))]
    assert not any(isinstance(m, nn.MaxPool2d) for m in net.modules())
    assert not any(isinstance(m, nn.MaxPool2d) for m in im.image_net("WeightNet", "mnist").modules())


def test_min_steps_halves_the_batch_scale_until_a_run_makes_that_many_steps():
    cell = im.Cell("mnist", "ConvNet", 10, batch_scale=16, min_steps=1000)
    assert cell.scale() == 4 and cell.schedule() == (40, 4, 0.004)  # 40 epochs x 25 batches = 1,000 steps
    assert im.Cell("mnist", "ConvNet", 1000, batch_scale=16, min_steps=1000).schedule() == (10, 64, 0.016)
    assert im.Cell("mnist", "ConvNet", 10, batch_scale=16, min_steps=0).schedule() == (40, 16, 0.016)
    assert im.Cell("mnist", "ConvNet", 10, batch_scale=16, min_steps=10 ** 6).scale() == 1  # never below the study's


def test_chapter_runs_the_studys_trials_the_check_and_the_bug():
    chapter = im.Chapter(mnist_n_train=(10, 100, 1000), cifar10_n_train=(10, 700), batch_check_n_train=(10,))
    grid = {(c.dataset, c.arch, c.n_train): c for c in chapter.grid()}
    assert grid[("mnist", "ConvNet", 10)].seeds == 11 and grid[("mnist", "ConvNet", 100)].seeds == 8
    assert grid[("mnist", "ConvNet", 1000)].seeds == 5 and grid[("cifar10", "ConvNet", 700)].seeds == 5  # as 1,000
    check = chapter.batch_check()
    assert len(check) == 8 and all(c.batch_scale == 1 and c.schedule()[1:] == (1, 0.001) and c.seeds == 3 for c in check)
    assert [(c.arch, c.n_train) for c in chapter.bug_cells()] == [(im.BUG_ARCH, 1000)]
    assert sorted(map(repr, chapter.cells())) == sorted(map(repr, chapter.grid() + check + chapter.bug_cells()))
    # a check size the grid lacks is skipped (there is nothing to compare it with)
    assert im.Chapter(mnist_n_train=(10, 100), cifar10_n_train=(10, 100), batch_check_n_train=(30,)).batch_check() == []


@pytest.mark.parametrize("c_in, c_out, side, out", [(1, 6, 28, 24), (6, 16, 12, 8), (3, 6, 32, 28), (6, 16, 14, 10), (2, 3, 5, 4)])
def test_whole_input_conv_by_fft_is_the_padded_convolution(c_in, c_out, side, out):
    torch.manual_seed(0)
    layer = WholeInputConv(c_in, c_out, side, out)
    assert layer.weight.shape == (c_out, c_in, side, side)  # the kernel spans the whole input
    x = torch.randn(3, c_in, side, side, requires_grad=True)
    fast, slow = layer(x), layer.direct(x)
    assert fast.shape == slow.shape == (3, c_out, out, out)
    torch.testing.assert_close(fast, slow, atol=1e-4, rtol=1e-4)
    g = torch.randn_like(fast)
    grads_fast = torch.autograd.grad(fast, (x, layer.weight, layer.bias), g)
    grads_slow = torch.autograd.grad(slow, (x, layer.weight, layer.bias), g)
    for a, b in zip(grads_fast, grads_slow):
        torch.testing.assert_close(a, b, atol=1e-3, rtol=1e-3)


def receptive_field(layer: nn.Module, shape, position=(0, 0)) -> torch.Tensor:
    """Which input pixels one output unit depends on."""
    x = torch.randn(1, *shape, requires_grad=True)
    (grad,) = torch.autograd.grad(layer(x)[0, 0, position[0], position[1]], x)
    return grad[0].abs().sum(0) > 0


def test_weightnet_sees_the_whole_image_and_localnet_a_window():
    torch.manual_seed(0)
    whole = receptive_field(WholeInputConv(1, 6, 28, 24), (1, 28, 28), (12, 12))
    local = receptive_field(LocallyConnected2d(1, 6, 28, 5), (1, 28, 28), (12, 12))
    assert whole.sum() > 0.6 * 28 * 28  # dense receptive field (shared weights, not local)
    assert local.sum() == 25 and local[12:17, 12:17].all()


def test_weightnet_shares_its_kernel_across_positions():
    """Shifting the input by one pixel shifts the output by one position (inside the image)."""
    torch.manual_seed(0)
    layer = WholeInputConv(1, 2, 12, 8)
    x = torch.zeros(1, 1, 12, 12)
    x[0, 0, 4:7, 4:7] = torch.randn(3, 3)
    shifted = torch.roll(x, 1, dims=3)
    torch.testing.assert_close(layer(shifted)[..., 1:], layer(x)[..., :-1], atol=1e-5, rtol=1e-5)


def test_pgd_stays_in_the_ball_and_one_full_step_is_fgsm():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    x, y = torch.rand(8, 1, 4, 4) * 2 - 1, torch.randint(0, 3, (8,))
    adversarial = pgd(model, x, y, 0.1, steps=5, clamp=(-1, 1))
    assert (adversarial - x).abs().max() <= 0.1 + 1e-6 and adversarial.abs().max() <= 1
    torch.testing.assert_close(pgd(model, x, y, 0.1, steps=1, step_size=0.1, clamp=(-1, 1)),
                               fgsm(model, x, y, 0.1, clamp=(-1, 1)))
    loss = lambda z: nn.functional.cross_entropy(model(z), y).item()
    assert loss(adversarial) > loss(x)
    with pytest.raises(ValueError, match="eps"):
        pgd(model, x, y, -0.1)
    with pytest.raises(ValueError, match="steps"):
        pgd(model, x, y, 0.1, steps=0)


@pytest.mark.parametrize("arch", ["LocalNet", "WeightNet"])
def test_attacking_a_stack_attacks_each_model_with_its_own_gradient(arch):
    def make(i):
        torch.manual_seed(i)
        return im.image_net(arch, "mnist")
    stack = ModelStack(make, 3)
    net = Stacked(stack)
    x, y = torch.rand(5, 1, 28, 28) * 2 - 1, torch.randint(0, 10, (5,))
    together = _attacked(net, x, y, 0.1, fgsm)
    accuracy = _adversarial_accuracy(net, together, y)
    for i in range(3):
        model = stack.model(i, make)  # model i as an ordinary module (its patch index rebuilt)
        alone = fgsm(model, x, y, 0.1, clamp=(-1, 1))
        torch.testing.assert_close(together[i], alone)
        assert accuracy[i] == (model(together[i]).argmax(1) == y).double().mean()


def test_a_stack_of_localnets_trains_as_each_would_alone():
    x, y = torch.rand(40, 1, 28, 28) * 2 - 1, torch.randint(0, 10, (40,))
    def make(i):
        torch.manual_seed(10 + i)
        return im.image_net("LocalNet", "mnist")
    stack, _ = fit_many(make, 2, x.expand(2, *x.shape), y.expand(2, 40), epochs=2, batch_size=8, per_model_data=True,
                        make_optimizer=lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9), seed=3, progress=False)
    # model i drew its own batch order from the shared generator: replay it for model 1 alone
    from nblib.train import minibatches
    generator = torch.Generator().manual_seed(3)
    orders = [list(minibatches(2, 40, 8, generator)) for _ in range(2)]
    alone = make(1)
    optimizer = torch.optim.SGD(alone.parameters(), lr=0.01, momentum=0.9)
    for epoch in orders:
        for idx in epoch:
            optimizer.zero_grad()
            nn.functional.cross_entropy(alone(x[idx[1]]), y[idx[1]]).backward()
            optimizer.step()
    for name, value in alone.state_dict().items():
        torch.testing.assert_close(stack.state_dict(1)[name], value, atol=1e-5, rtol=1e-4)


def test_the_seed_protocol_and_our_scaling():
    assert seed_protocol(10) == (40, 1) and seed_protocol(1000) == (10, 4) and seed_protocol(30000) == (5, 8)
    assert seed_protocol(700) == SEED_PROTOCOL[1000]  # between two of the seed's sizes: the next larger
    cell = im.Cell("mnist", "ConvNet", 300, batch_scale=16)
    assert cell.schedule() == (20, 32, 0.016)  # batch 2 x 16, lr 1e-3 x 16: the seed's step per example
    assert im.Cell("mnist", "ConvNet", 10, batch_scale=16, epoch_scale=0.5, lr=0.05).schedule() == (20, 16, 0.05)
    assert im.Cell("mnist", "ConvNet", 1, batch_scale=16).schedule()[1] == 10  # never more than the data


def test_chapter_budgets_include_zero_and_the_seeds():
    chapter = check_params(im.Chapter, eps_scale=[1.0, 2.0])
    assert chapter.eps("mnist") == (0.0, 0.1, 0.2) and chapter.eps("cifar10") == (0.0, 0.01, 0.02)
    cells = check_params(im.Chapter, datasets=["mnist"], mnist_n_train=[10, 30], archs=["ConvNet", "FCNet"]).grid()
    assert [(c.n_train, c.arch) for c in cells] == [(10, "ConvNet"), (10, "FCNet"), (30, "ConvNet"), (30, "FCNet")]
    assert all(c.pgd_eps == 0.1 and c.reads() == ("mnist",) for c in cells)


@pytest.mark.parametrize("values, words", [
    ({"cifar10_n_train": [10, 1000]}, ["'cifar10_n_train'", "at most", "[1000]"]),
    ({"mnist_n_train": [30000]}, ["'mnist_n_train'", "5421"]),
    ({"eps_scale": [0.0, 2.0]}, ["'eps_scale'", "must contain 1"]),
    ({"eps_scale": [1.0, -0.5]}, ["'eps_scale'", "-0.5", ">= 0"]),
    ({"datasets": ["svhn"]}, ["'datasets'", "'svhn'", "'mnist'"]),
    ({"archs": ["ResNet"]}, ["'archs'", "'ResNet'", "'ConvNet'"]),
    ({"attack_per_class": 500}, ["'attack_per_class'", "500", "at most 86"]),
])
def test_bad_parameters_are_refused_by_name(values, words):
    with pytest.raises(ParameterError) as err:
        check_params(im.Chapter, **values)
    for word in words:
        assert word in str(err.value)


@pytest.fixture(scope="module")
def tiny():
    cell = im.Cell("mnist", "ConvNet", 5, seeds=2, epoch_scale=0.05, eps=(0.0, 0.1, 0.2), pgd_eps=0.1, pgd_steps=2,
                   pgd_images=10, attack_per_class=3, eval_per_class=5)
    return cell, im.train(cell, progress=False)


def test_a_cell_reports_every_seed(tiny):
    cell, r = tiny
    assert r["clean"].shape == (2,) and r["fgsm"].shape == (3, 2) and r["pgd"].shape == (2,)
    assert r["train_size"] == 50 and r["test_size"] == 50 and r["attack_size"] == 30 and r["pgd_size"] == 10
    assert r["train_loss"].shape == (r["epochs"], 2)
    assert len(r["samples"]) == 3 and r["samples"][0]["images"].shape == (8, 1, 28, 28)
    assert r["sample_labels"].tolist() == list(range(8))
    assert (r["fgsm"] >= 0).all() and (r["fgsm"] <= 1).all()
    # FGSM never helps much: accuracy at the largest budget is at most the clean one on the same images
    assert (r["fgsm"][-1] <= r["fgsm"][0] + 0.2).all()


def test_a_cell_is_deterministic(tiny):
    cell, r = tiny
    again = im.train(cell, progress=False)
    torch.testing.assert_close(again["clean"], r["clean"])
    torch.testing.assert_close(again["train_loss"], r["train_loss"])


def test_seeds_draw_their_own_training_subsets():
    from nblib import data as datasets
    from nblib.chapters.image_nets.experiment import stable_seed
    y = datasets.load("mnist", True).labels
    a, b = (datasets.balanced_subset(y, 10, stable_seed(0, "subset", "mnist", 10, s)) for s in (0, 1))
    assert not torch.equal(a, b)
    assert torch.bincount(y[a]).tolist() == [10] * 10
