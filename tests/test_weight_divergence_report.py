"""The weight-divergence scorecard on synthetic runs: verdicts follow the numbers."""
import torch

from nblib.chapters.weight_divergence import Chapter, LeakDemo, report
from nblib.params import check_params

CHAPTER = check_params(Chapter, datasets=["cifar10"], sigmas=[0.0, 0.5], shifts=[0], seeds=3)
JITTER = (0.001, -0.002, 0.001)


def branch(acc: float, seed: int, epochs: int, drift: float | None = None, gap: float = 0.1) -> dict:
    acc = acc + JITTER[seed]
    out = {"train_loss": torch.full((epochs,), 1.0), "train_clean_loss": torch.full((epochs,), 1.0),
           "val_loss": torch.full((epochs,), 1.0 + gap),
           "val_acc": torch.full((epochs,), acc), "test_acc": acc,
           "robustness": {"fgsm 0.03": acc - 0.2, "noise 0.3": acc - 0.1}}
    if drift is not None:
        d = torch.linspace(drift / epochs, drift, epochs) * (1 + JITTER[seed])
        out["distances"] = {f"l1 {k} r{r}": d for k in ("euclid", "cosine") for r in (1, 4)}
    return out


def fake(run, free_minus_cnn: float) -> dict:
    drift = 0.1 + run.sigma  # more noise, more divergence
    if run.init == "random":
        return {"run": run, "free": branch(0.45, run.seed, 6, drift=0.9)}
    return {"run": run, "cnn": branch(0.5, run.seed, 4), "switch_epoch": 4,
            "free": branch(0.5 + free_minus_cnn, run.seed, 3, drift=drift, gap=0.3),
            "cnn_after": branch(0.5, run.seed, 3)}


def demos(inflation: float) -> list[dict]:
    return [{"demo": LeakDemo("cifar10", 2, seed), "stats": {"images": 100, "distinct": 50, "val_in_train": 0.89},
             "leaky": {"val_acc": torch.tensor([0.3, 0.4 + inflation + JITTER[seed]])},
             "clean": {"val_acc": torch.tensor([0.3, 0.4])}} for seed in range(3)]


def card(free_minus_cnn: float, inflation: float) -> dict[str, str]:
    g = report.groups([fake(run, free_minus_cnn) for run in CHAPTER.runs()])
    return {c.claim.split(" (")[0]: c.verdict for c in report.scorecard(g, demos(inflation))}


def test_verdicts_follow_the_numbers():
    worse = card(-0.05, 0.3)
    assert worse["Freed weights diverge"] == "reproduced"
    assert worse["Noise increases divergence"] == "reproduced"
    assert worse["The free net is less accurate than the CNN continued"] == "reproduced"
    assert worse["The free net overfits more"] == "reproduced"
    assert worse["The free net is less robust"] == "reproduced"
    assert worse["The seed's 'validation' accuracy is inflated by the leak"] == "reproduced"
    better = card(+0.05, -0.3)
    assert better["The free net is less accurate than the CNN continued"] == "not reproduced"
    assert better["The seed's 'validation' accuracy is inflated by the leak"] == "not reproduced"
    # the free net from scratch (45%) is 5 points below the CNN continued in every seed
    assert better["Ott: trained from scratch, the free net is less accurate than the CNN"] == "reproduced"


def test_tables_and_figures_cover_every_setting():
    g = report.groups([fake(run, -0.05) for run in CHAPTER.runs()])
    table = report.accuracy_table(g)
    assert table.count("| cifar10 |") == 2 and "-5.0 ±" in table
    assert report.robustness_table(g).count("| cifar10 |") == 2
    assert "89.0" in report.leak_table(demos(0.3))
    report.curves_figure(g[("cifar10", 0.5, 0, "cnn")])
    report.distance_figure(g[("cifar10", 0.5, 0, "cnn")], g[("cifar10", 0.5, 0, "random")])


def test_one_seed_grades_nothing():
    one = check_params(Chapter, datasets=["cifar10"], sigmas=[0.0, 0.5], seeds=1)
    g = report.groups([fake(run, -0.05) for run in one.runs()])
    d = demos(0.3)[:1]
    assert {c.verdict for c in report.scorecard(g, d)} == {"inconclusive"}
