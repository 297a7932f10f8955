"""WeightNet's whole-input convolution by FFT against the padded `conv2d` it equals, forward
and backward (the image chapter's speed choice; its other one, training a cell's seeds stacked
or looped, is in bench_stacking.py).

    python benchmarks/bench_image_nets.py

Prints milliseconds per step, medians of interleaved rounds, and the ratio FFT/conv2d.
"""
from __future__ import annotations

import torch

from nblib.chapters import image_nets as im
from nblib.chapters.image_nets.experiment import WholeInputConv

from timing import interleaved


def whole_input_conv(batch: int = 64) -> None:
    for dataset in im.DATASETS:
        channels, side = im.experiment.INPUT[dataset]
        layer = WholeInputConv(channels, 6, side, side - 4)
        x = torch.randn(batch, channels, side, side)
        seconds = interleaved({"FFT": lambda: layer(x).square().sum().backward(),
                               "conv2d": lambda: layer.direct(x).square().sum().backward()}, rounds=5, steps=1)
        print(f"  {dataset} first stage ({side}x{side} kernel, batch {batch}): FFT {1e3 * seconds['FFT']:7.1f} ms, "
              f"padded conv2d {1e3 * seconds['conv2d']:7.1f} ms, FFT/conv2d {seconds['FFT'] / seconds['conv2d']:.3f}x")


if __name__ == "__main__":
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("WeightNet's convolution, forward and backward:")
    whole_input_conv()
