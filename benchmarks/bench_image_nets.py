"""The image chapter's two speed choices, measured: WeightNet's whole-input convolution by FFT
against the padded `conv2d` it equals, and training a cell's seeds as one stacked model
against training them one after another.

    python benchmarks/bench_image_nets.py

Prints milliseconds per training step (forward, backward, SGD) and images per second.
"""
from __future__ import annotations

import platform
import time

import torch
import torch.nn.functional as F

from nblib.chapters import image_nets as im
from nblib.chapters.image_nets.experiment import WholeInputConv
from nblib.train import ModelStack


def per_step(step, repeats: int = 20) -> float:
    step()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats


def whole_input_conv(batch: int = 64) -> None:
    for dataset in im.DATASETS:
        channels, side = im.experiment.INPUT[dataset]
        out = side - 4
        layer = WholeInputConv(channels, 6, side, out)
        x = torch.randn(batch, channels, side, side)
        for name, forward in (("FFT", layer), ("padded conv2d", layer.direct)):
            seconds = per_step(lambda: forward(x).square().sum().backward())
            print(f"  {dataset} first stage ({side}x{side} kernel, batch {batch}), {name:13s}: "
                  f"{1e3 * seconds:7.1f} ms, {batch / seconds:8.0f} images/s")


def stacked_against_alone(dataset: str = "mnist", arch: str = "LocalNet", seeds: int = 3, batch: int = 32) -> None:
    channels, side = im.experiment.INPUT[dataset]
    x, y = torch.randn(seeds, batch, channels, side, side), torch.randint(0, 10, (seeds, batch))
    stack = ModelStack(lambda i: im.image_net(arch, dataset), seeds)
    optimizer = torch.optim.SGD(stack.parameters(), lr=0.01, momentum=0.9)
    per_model = torch.vmap(F.cross_entropy)

    def together():
        optimizer.zero_grad()
        per_model(stack(x), y).sum().backward()
        optimizer.step()

    models = [im.image_net(arch, dataset) for _ in range(seeds)]
    optimizers = [torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9) for m in models]

    def one_by_one():
        for m, o, xb, yb in zip(models, optimizers, x, y):
            o.zero_grad()
            F.cross_entropy(m(xb), yb).backward()
            o.step()

    for name, step in (("stacked (vmap)", together), ("one by one", one_by_one)):
        seconds = per_step(step)
        print(f"  {dataset} {arch}, {seeds} seeds x batch {batch}, {name:14s}: {1e3 * seconds:7.1f} ms per step")


if __name__ == "__main__":
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("WeightNet's convolution, forward and backward:")
    whole_input_conv()
    print("A cell's seeds, one SGD step:")
    for arch in im.ARCHS:
        stacked_against_alone("mnist", arch)
