import torch

from nblib import machine
from nblib.machine import training_step


def test_describe_names_threads_torch_and_a_positive_measured_peak():
    line = machine.describe()
    assert "threads" in line and "torch" in line
    assert machine.matmul_peak_gflops(n=128, repeats=2) > 0


def test_training_step_counts_weights_gradients_and_kept_activations():
    torch.manual_seed(0)
    model = torch.nn.Linear(100, 50, bias=False)
    small = training_step(model, torch.randn(8, 100), torch.randint(0, 50, (8,)), steps=1)
    big = training_step(model, torch.randn(64, 100), torch.randint(0, 50, (64,)), steps=1)
    assert small["parameters"] == 5000 and small["weights"] == small["gradients"] == 5000 * 4
    # the layer keeps its input (8 x 100) for the weight gradient, cross-entropy its log-probabilities (8 x 50)
    assert small["activations"] >= 8 * (100 + 50) * 4
    assert big["activations"] >= 64 * (100 + 50) * 4 and big["activations"] > 4 * small["activations"]
    assert small["bytes"] == 2 * small["weights"] + small["activations"] and small["seconds"] > 0


def test_training_step_memory_does_not_depend_on_the_number_of_steps():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8 * 30 * 30, 10))
    x, y = torch.randn(16, 3, 32, 32), torch.randint(0, 10, (16,))
    assert training_step(model, x, y, steps=1)["bytes"] == training_step(model, x, y, steps=6)["bytes"]
