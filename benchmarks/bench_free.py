"""One Adam step of Ott's CNN and of its free (locally connected) net at the study's batch
sizes, and the ratio free/CNN (the weight-divergence issue asked for at most 3x). Medians of
interleaved rounds (timing.py).

    python benchmarks/bench_free.py
"""
import torch

from nblib.chapters import weight_divergence as wd

from timing import interleaved


def stepper(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step():
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return step


if __name__ == "__main__":
    torch.manual_seed(0)
    rounds = 7
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; medians of {rounds} interleaved rounds")
    for dataset, shape, batch in (("cifar10", (3, 32, 32), 128), ("mnist", (1, 28, 28), 256)):
        x, y = torch.rand(batch, *shape), torch.randint(0, 10, (batch,))
        cnn = wd.ott_net(dataset)
        freed = wd.free(cnn, shape)
        seconds = interleaved({"cnn": stepper(cnn, x, y), "free": stepper(freed, x, y)}, rounds=rounds)
        n_cnn, n_free = (sum(p.numel() for p in m.parameters()) for m in (cnn, freed))
        print(f"{dataset:8s} batch {batch}: CNN {n_cnn:>10,} parameters {seconds['cnn']:.4f} s/step; "
              f"free {n_free:>10,} parameters {seconds['free']:.4f} s/step; free/CNN {seconds['free'] / seconds['cnn']:.2f}x")
