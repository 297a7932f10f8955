"""Every model that `fit_many` trains, M copies stacked (vmap over stacked parameters) against
looped (M ordinary modules, one after another), one training step of the chapter's optimiser at
the chapter's batch size, and what `stacking_wins` (fit_many's default) picks on this device.

    python benchmarks/bench_stacking.py [--rounds 7]

Prints milliseconds per step (medians of interleaved rounds) and the ratio stacked/looped:
below 1 stacking wins. The last column says whether the rule picked the faster one.
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from nblib.chapters import digit_pairs as dp
from nblib.chapters import image_nets as im
from nblib.chapters.digit_pairs.experiment import PairNet, pair_loss
from nblib.train import ModelStack, stacking_wins

from timing import interleaved


def step(stack: ModelStack, optimizer, x, y, loss) -> None:
    optimizer.zero_grad(set_to_none=True)
    torch.vmap(loss)(stack(x), y).sum().backward()
    optimizer.step()


def cases():
    """(name, make_model, M, x, y, loss, optimiser) for every model the chapters train with fit_many."""
    chapter = im.experiment.Chapter()
    for dataset in im.DATASETS:
        channels, side = im.experiment.INPUT[dataset]
        for n_train in (10, 1000):  # the smallest and the largest cells' batches
            batch, m = im.experiment.seed_protocol(n_train)[1] * chapter.batch_scale, chapter.seeds
            x, y = torch.randn(m, batch, channels, side, side), torch.randint(0, 10, (m, batch))
            for arch in im.ARCHS:
                yield (f"image nets {dataset} {arch}", lambda i, a=arch, d=dataset: im.image_net(a, d), m, x, y,
                       F.cross_entropy, lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9))
    chapter = dp.experiment.Chapter()
    m, batch = chapter.runs, chapter.batch_size
    x, y = torch.randn(m, batch, 2, 14, 14), torch.randint(0, 2, (m, batch, 3))
    for arch in dp.experiment.ARCHS:
        for sharing in (False, True):
            yield (f"digit pairs {arch} WS={sharing}", lambda i, a=arch, s=sharing: PairNet(a, s), m, x, y,
                   lambda out, yb: pair_loss(out, yb, True), lambda p: torch.optim.Adam(p, lr=1e-3))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ms per training step of M models, "
          f"medians of {args.rounds} interleaved rounds")
    print(f"{'model':34s} {'M':>3s} {'batch':>5s} {'stacked':>9s} {'looped':>9s} {'stacked/looped':>15s}  rule")
    for name, make, m, x, y, loss, make_optimizer in cases():
        contenders = {}
        for stacked in (True, False):
            torch.manual_seed(0)
            stack = ModelStack(make, m, stacked=stacked)
            optimizer = make_optimizer(stack.parameters())
            contenders[stacked] = lambda s=stack, o=optimizer: step(s, o, x, y, loss)
        ms = {k: 1e3 * v for k, v in interleaved(contenders, rounds=args.rounds, steps=2).items()}
        ratio = ms[True] / ms[False]
        picks = stacking_wins(make(0), "cpu")
        right = "right" if picks == (ratio < 1) or abs(ratio - 1) < 0.1 else "WRONG"
        print(f"{name:34s} {m:3d} {x.shape[1]:5d} {ms[True]:9.1f} {ms[False]:9.1f} {ratio:14.2f}x  "
              f"{'stacked' if picks else 'looped'} ({right})")


if __name__ == "__main__":
    main()
