"""Sizes beyond memory are refused before any work, naming the parameter and the estimate (issue 25):
every probe that once died with a raw allocator error, or ran on unbounded, is refused in check_params."""
import pytest

from nblib import params
from nblib.chapters import beta_lasso as bl
from nblib.chapters import binary_tree as bt
from nblib.chapters import digit_pairs as dp
from nblib.chapters import needle
from nblib.errors import ParameterError
from nblib.params import check_memory, check_params, parameter_bytes


def test_check_memory_names_the_parameters_and_the_estimate():
    check_memory("n", 2 ** 30, "a thing", available=2 ** 31)  # fits: nothing happens
    with pytest.raises(ParameterError, match=r"parameters 'a' and 'b': a thing needs about 3.0 GiB of memory, "
                                             r"and this machine has 2.0 GiB available"):
        check_memory(("a", "b"), 3 * 2 ** 30, "a thing", available=2 ** 31)
    check_memory("n", 10 ** 15, "a thing", available=0)  # unknown: no check
    assert params.available_memory() > 0


def test_parameter_bytes_builds_nothing():
    from torch import nn
    assert parameter_bytes(lambda: nn.Linear(100_000, 100_000)) == 4 * (10 ** 10 + 10 ** 5)  # 40 GB, not allocated


@pytest.mark.parametrize("cls, values, message", [
    (bt.TreeSweep, dict(n_test=2_000_000_000), r"'n_test' and 'trials'.*needs about [\d,.]+ GiB"),
    (bt.TreeSweep, dict(trials=1000), r"'trials'.*<= 100"),
    (bl.Chapter, dict(alpha=100_000), r"'alpha': alpha 100000 .*needs about [\d,.]+ GiB"),
    (bl.Chapter, dict(seeds=1000), r"'seeds'.*<= 100"),
    (dp.Chapter, dict(runs=100_000), r"'runs'.*<= 1000"),
    (dp.Chapter, dict(sweep_sizes=[]), r"'sweep_sizes'.*empty"),
    (needle.Chapter, dict(batch_size=1_000_000_000), r"'batch_size': got 1,000,000,000; at most the training images"),
    (needle.Chapter, dict(batch_size=300, train_per_class=20), r"'batch_size': got 300; at most the training images \(200"),
])
def test_sizes_beyond_memory_and_unbounded_counts_are_refused(cls, values, message):
    with pytest.raises(ParameterError, match=message):
        check_params(cls, **values)


def test_a_step_that_does_not_fit_is_refused_with_the_machines_memory(monkeypatch):
    """Against a machine with 1 GiB free: the eFCN at 64 channels (74M weights) and 1,000 pairs x 1,000 runs."""
    monkeypatch.setattr(params, "available_memory", lambda: 2 ** 30)
    with pytest.raises(ParameterError, match=r"'batch_size' and 'channels': a step of the eFCN \(7[\d,]+ weights"):
        check_params(needle.Chapter, channels=64)
    with pytest.raises(ParameterError, match=r"parameters 'runs' and 'conv_runs': Table 1: 1000 runs"):
        check_params(dp.Chapter, runs=1000)
    check_params(needle.Chapter)  # the defaults fit
    check_params(dp.Chapter)
