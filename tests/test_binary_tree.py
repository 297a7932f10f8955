import pytest
import torch

from nblib.chapters import binary_tree as bt
from nblib.cache import ResultCache
from nblib.cluster import Runner
from nblib.params import ParameterError, check_params


def test_param_counts_follow_table_1():
    # per layer k (1..6): Oracle 2, Local 2^(7-k), Weight 2^(7-k), FC 2^(13-2k)
    k = range(1, 7)
    assert bt.param_counts() == {
        "OracleNet": 12, "LocalNet": sum(2 ** (7 - i) for i in k),
        "WeightNet": sum(2 ** (7 - i) for i in k), "FCNet": sum(2 ** (13 - 2 * i) for i in k)}


def test_tree_function_matches_formula_for_depth_two_pieces():
    theta = torch.rand(1, bt.DEPTH, 2, generator=torch.Generator().manual_seed(0)) * 2
    x = torch.randn(1, 3, 64, generator=torch.Generator().manual_seed(1))
    z = theta[0, 0, 0] * x[..., 0::2] + theta[0, 0, 1] * x[..., 1::2]  # level 1, no tanh on inputs
    for k in range(1, bt.DEPTH):
        z = theta[0, k, 0] * torch.tanh(z[..., 0::2]) + theta[0, k, 1] * torch.tanh(z[..., 1::2])
    assert torch.allclose(bt.tree_function(x, theta), z.squeeze(-1), atol=1e-6)


def _layers(arch, m=3, width=8):
    return bt.StackedTreeLayer(arch, m, width, torch.Generator().manual_seed(2))


@pytest.mark.parametrize("arch", bt.ARCHS)
def test_forward_equals_dense_matrix(arch):
    layer = _layers(arch)
    z = torch.randn(3, 5, 8)
    dense = torch.einsum("mbi,moi->mbo", z, layer.dense_weight())
    assert torch.allclose(layer(z), dense, atol=1e-6)


def test_connectivity_patterns():
    local = _layers("LocalNet").dense_weight()[0]        # (4, 8)
    assert torch.equal(local != 0, torch.eye(4).repeat_interleave(2, dim=1).bool())
    oracle = _layers("OracleNet").dense_weight()[0]
    assert torch.equal(oracle[oracle != 0].view(4, 2), oracle[0, :2].repeat(4, 1))
    weight = _layers("WeightNet")
    w, dense = weight.weight[0], weight.dense_weight()[0]
    for i in range(4):  # row i is w cyclically shifted right by 2i: z'_i = <w, C(z, 2i)>
        assert torch.equal(dense[i], torch.roll(w, 2 * i))


def test_stacked_models_equal_models_trained_alone():
    sweep = bt.TreeSweep(n_train=(64,), eps=(0.1,), constant_noise_eps=0.0, trials=3, epoch_scale=0.01)
    together = bt.train(bt.Cell(sweep, 64), progress=False)["test_mse"]  # (A, 1, 3)
    data = bt.make_data(sweep, 64)
    init = bt.TreeNetStack(sweep.archs, 3, bt.rng(sweep.seed, "init", 64))
    for t in range(3):
        alone = bt.TreeNetStack(sweep.archs, 1, torch.Generator())
        with torch.no_grad():
            for p_alone, p_all in zip(alone.parameters(), init.parameters()):
                p_alone.copy_(p_all[t:t + 1])
        # the same batch order as model t received in the stacked run
        order_gen = torch.Generator().manual_seed(bt.hash_int(sweep.seed, "order", 64))
        optimizer = torch.optim.Adam(alone.parameters(), lr=sweep.lr)
        epochs = bt.epochs_for(64, sweep.epoch_scale)
        for epoch in range(epochs):
            for group in optimizer.param_groups:  # the seed's drop to lr/10 at half the epochs
                group["lr"] = sweep.lr * (1.0 if epoch < epochs // 2 else sweep.lr_drop)
            order = torch.argsort(torch.rand(3, 64, generator=order_gen), dim=1)[t]
            for start in range(0, 64, sweep.batch_size):
                idx = order[start:start + sweep.batch_size]
                loss = (alone(data["x"][t:t + 1, idx]) - data["y"][t:t + 1, idx]).pow(2).mean(-1).sum()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        with torch.no_grad():
            mse = (alone(data["x_test"][t:t + 1]) - data["y_test"][t:t + 1]).pow(2).mean(-1)[:, 0]
        assert torch.allclose(mse, together[:, 0, t], rtol=1e-4, atol=1e-7)


def test_training_is_deterministic():
    sweep = bt.TreeSweep(n_train=(64,), eps=(0.1,), trials=2, epoch_scale=0.02)
    a, b = bt.train(bt.Cell(sweep, 64), progress=False), bt.train(bt.Cell(sweep, 64), progress=False)
    assert torch.equal(a["test_mse"], b["test_mse"])
    assert all(torch.equal(a["first_layer"][k], b["first_layer"][k]) for k in sweep.archs)


def test_oracle_learns_the_tree():
    sweep = bt.TreeSweep(n_train=(64,), eps=(0.0,), constant_noise_eps=0.0, trials=3, archs=("OracleNet",))
    mse = bt.train(bt.Cell(sweep, 64), progress=False)["test_mse"][0, 0]  # 800 epochs, as the seed
    baseline = bt.make_data(sweep, 64)["y_test"].var(-1)  # MSE of always predicting 0
    assert (mse < 0.1 * baseline).any()


def test_noise_variants():
    sweep = bt.TreeSweep(n_train=(64, 128), eps=(0.0, 0.3), constant_noise_eps=0.3, trials=2)
    small, big = bt.make_data(sweep, 64), bt.make_data(sweep, 128)
    clean = bt.tree_function(small["x"][:2], small["theta"])
    assert torch.equal(small["y"][:2], clean)                        # eps = 0
    independent = small["y"][2:4] - clean
    assert independent.std() > 0.2 and independent.std(dim=1).min() > 0.2
    constant = small["y"][4:6] - clean
    assert torch.allclose(constant, constant[:, :1].expand_as(constant))  # the seed's bug
    assert torch.equal(big["x"][:, :64], small["x"])                 # nested training sets
    assert torch.equal(big["theta"], small["theta"])


def test_epoch_schedule_is_the_seeds():
    assert [bt.epochs_for(n) for n in bt.SEED_EPOCHS] == list(bt.SEED_EPOCHS.values())
    assert bt.epochs_for(4096, 0.01) == 2


def test_sweep_resumes_from_cache(tmp_path, monkeypatch):
    sweep = bt.TreeSweep(n_train=(32, 64), eps=(0.0,), constant_noise_eps=0.0, trials=1, epoch_scale=0.005,
                         equal_steps_n=(), more_n=())
    calls = []
    real = bt.train
    def counting(cell, device, progress=True):
        calls.append(cell.n_train)
        if cell.n_train == 32 and calls.count(32) == 1:
            raise KeyboardInterrupt  # interrupted in the second cell (the longest runs first: 64 before 32)
        return real(cell, device, progress=False)
    runner = Runner("cpu")
    with pytest.raises(KeyboardInterrupt):
        runner.map(counting, bt.cells(sweep), ResultCache(tmp_path))
    cells = runner.map(counting, bt.cells(sweep), ResultCache(tmp_path))
    assert calls == [64, 32, 32] and [c["n_train"] for c in cells] == [64, 32]


@pytest.mark.parametrize("values, word", [
    (dict(archs=["ConvNet"]), "'archs'"),
    (dict(trials=0), "'trials'"),
    (dict(n_train=[16]), "batch_size"),
    (dict(eps=[-0.1]), "'eps'"),
    (dict(epoch_scale="1"), "'epoch_scale'"),
])
def test_sweep_parameters_are_checked(values, word):
    with pytest.raises(ParameterError, match=word):
        check_params(bt.TreeSweep, **values)


def test_findings_follow_the_medians():
    from nblib.chapters.binary_tree import report
    sweep = bt.TreeSweep(n_train=(64, 128), eps=(0.0,), constant_noise_eps=0.0, trials=3)
    # (A, V, T) per cell; archs in order Oracle, Local, Weight, FC
    level = {64: [1e-3, 1e-2, 2.0, 1.0], 128: [1e-4, 1e-3, 0.1, 0.5]}
    cells = {n: {"test_mse": torch.tensor(v)[:, None, None] * torch.tensor([0.5, 1.0, 4.0])} for n, v in level.items()}
    text = report.mse_findings(cells, sweep, 0.0)
    assert "at n_train = 64: WeightNet, 128: FCNet" in text
    assert "lower medians than both nets without it at 2 of 2 sizes" in text
    assert "WeightNet's median goes from 2 at n_train = 64 to 0.1 at 128" in text
    assert "up to 0.5 orders of magnitude" in text  # quartiles of (0.5, 1, 4): 0.75, 2.5


def _cells(levels, trials, variants=1, spread=(0.5, 1.0, 4.0)):
    """Fake results: test MSE (A, V, T) = level x a per-trial factor shared by all nets (one theta per trial)."""
    factor = torch.tensor(spread[:trials])
    theta = torch.ones(trials, bt.DEPTH, 2)
    return {n: {"test_mse": torch.tensor(v)[:, None, None] * factor * torch.ones(1, variants, 1), "theta": theta,
                "first_layer": {"WeightNet": torch.ones(variants, trials, 64),
                                "LocalNet": torch.ones(variants, trials, 32, 2)}}
            for n, v in levels.items()}


def test_the_noise_bug_has_a_conclusion_from_paired_trials():
    from nblib.chapters.binary_tree import report
    sweep = bt.TreeSweep(n_train=(64,), eps=(0.3,), constant_noise_eps=0.3, trials=3)
    cells = _cells({64: [1e-3, 1e-2, 2.0, 1.0]}, 3, variants=2)
    cells[64]["test_mse"][:, 1] *= 10  # the constant offset: ten times the error of independent noise
    text = report.noise_bug_findings(cells, sweep)
    assert "OracleNet 10x (95% interval 10x to 10x: higher)" in text and "3 trials" in text


def test_sharing_counts_magnitudes_too():
    from nblib.chapters.binary_tree import report
    theta1 = torch.tensor([[0.6, 1.2]])
    w = torch.stack([theta1[0] * 1.25, -theta1[0] * 1.25, theta1[0]])[None]  # right direction, 2 of 3 too large
    assert torch.allclose(report.localnet_sharing(w, theta1), torch.tensor([1.0]))  # the cosine cannot tell
    assert torch.allclose(report.localnet_scale_error(w, theta1), torch.tensor([0.25]))


def test_the_setting_sentence_says_what_was_reduced():
    from nblib.chapters.binary_tree import report
    full = report.setting(bt.TreeSweep(trials=10))
    assert full.startswith("This run is the study's setting") and "8, 7, 6, 5, 4, 3, 2 trials" in full
    reduced = report.setting(bt.TreeSweep(n_train=(64, 128), epoch_scale=0.02, trials=2))
    assert "NOT the study's setting" in reduced and "epoch_scale 0.02 (the study: 1.0)" in reduced
