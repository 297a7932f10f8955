"""The image chapter's report on made-up results: verdicts follow the numbers, matched clean
accuracy reads the curves right, and the figures and sliders have one item per setting."""
import pytest
import torch

from nblib.chapters import image_nets as im
from nblib.chapters.image_nets import report


def fake(dataset, arch, n, clean, keep, seeds=3, jitter=0.002):
    """A cell's result: clean accuracy `clean` per seed (+ jitter), FGSM keeping a share `keep` of it
    at the seed's budget and keep**2 at twice that budget."""
    e = im.SEED_EPS[dataset]
    noise = jitter * torch.arange(seeds, dtype=torch.float64)
    c = torch.full((seeds,), clean, dtype=torch.float64) + noise
    fgsm = torch.stack([c, c * keep, c * keep ** 2])
    side = im.experiment.INPUT[dataset]
    return {"cell": im.Cell(dataset, arch, n, seeds, eps=(0.0, e, 2 * e), pgd_eps=e, pgd_steps=10),
            "clean": c, "fgsm": fgsm, "pgd": c * keep * 0.9, "fgsm_on_pgd_images": c * keep,
            "epochs": 10, "batch": 64, "lr": 0.016, "train_size": 10 * n, "test_size": 1000, "attack_size": 800,
            "pgd_size": 200, "samples": [{"images": torch.zeros(8, side[0], side[1], side[1]),
                                          "predictions": torch.zeros(seeds, 8, dtype=torch.long)}] * 3,
            "sample_labels": torch.arange(8), "seconds": 1.0}


def results(mnist_clean, cifar_clean, keep, sizes=(100, 1000), cifar_sizes=(100, 700)):
    """mnist_clean / cifar_clean / keep: arch -> value at the largest size (smaller sizes 20 points lower)."""
    out = []
    for dataset, clean, ns in (("mnist", mnist_clean, sizes), ("cifar10", cifar_clean, cifar_sizes)):
        for i, n in enumerate(ns):
            for arch in im.ARCHS:
                lower = 0.2 * (len(ns) - 1 - i)
                out.append(fake(dataset, arch, n, clean[arch] - lower, keep[dataset][arch] - lower / 2))
    return report.index(out)


SEEDLIKE = dict(
    mnist_clean={"ConvNet": 0.98, "LocalNet": 0.96, "WeightNet": 0.95, "FCNet": 0.94},
    cifar_clean={"ConvNet": 0.52, "LocalNet": 0.47, "WeightNet": 0.39, "FCNet": 0.45},
    keep={"mnist": {"ConvNet": 0.93, "LocalNet": 0.80, "WeightNet": 0.81, "FCNet": 0.82},
          "cifar10": {"ConvNet": 0.7, "LocalNet": 0.6, "WeightNet": 0.76, "FCNet": 0.7}})


def verdicts(g):
    return {row.claim.split(" (")[0]: row.verdict for row in report.scorecard(g)}


def test_the_seeds_pattern_is_graded_reproduced():
    v = verdicts(results(**SEEDLIKE))
    assert v["ConvNet is the most accurate net on MNIST"] == "reproduced"
    assert v["WeightNet is the least accurate net on CIFAR-10 at every n_train"] == "reproduced"
    assert v["LocalNet is less robust than WeightNet on CIFAR-10"] == "reproduced"
    assert v["Robustness grows with n_train on MNIST"] == "reproduced"  # the drop shrinks with n here
    assert [x for k, x in v.items() if k.startswith("Table 2")] == ["reproduced"] * 4


def test_the_opposite_pattern_is_graded_not_reproduced():
    flipped = dict(SEEDLIKE, mnist_clean={"ConvNet": 0.90, "LocalNet": 0.96, "WeightNet": 0.95, "FCNet": 0.94},
                   cifar_clean={"ConvNet": 0.40, "LocalNet": 0.47, "WeightNet": 0.55, "FCNet": 0.45},
                   keep={"mnist": SEEDLIKE["keep"]["mnist"],
                         "cifar10": {"ConvNet": 0.7, "LocalNet": 0.8, "WeightNet": 0.6, "FCNet": 0.7}})
    v = verdicts(results(**flipped))
    assert v["ConvNet is the most accurate net on MNIST"] == "not reproduced"
    assert v["WeightNet is the least accurate net on CIFAR-10 at every n_train"] == "not reproduced"
    assert v["LocalNet is less robust than WeightNet on CIFAR-10"] == "not reproduced"


def test_one_seed_is_never_a_verdict():
    g = results(**SEEDLIKE)
    for r in g.values():
        r["cell"] = im.Cell(r["cell"].dataset, r["cell"].arch, r["cell"].n_train, 1, eps=r["cell"].eps)
        for key in ("clean", "pgd", "fgsm_on_pgd_images"):
            r[key] = r[key][:1]
        r["fgsm"] = r["fgsm"][:, :1]
    assert {row.verdict for row in report.scorecard(g)} == {"inconclusive"}


def test_matched_clean_accuracy_reads_each_curve_at_the_common_level():
    g = results(**SEEDLIKE)
    level, values = report.matched(g, "cifar10")
    top = min(g[("cifar10", a, 700)]["fgsm"][0].min().item() for a in im.ARCHS)  # every seed reaches it
    assert level == pytest.approx(top)  # the weakest net's best: WeightNet's
    r = g[("cifar10", "WeightNet", 700)]
    torch.testing.assert_close(values["WeightNet"][0], r["fgsm"][1][0])  # read at its own end point
    for arch in im.ARCHS:  # FGSM accuracy read off at `level` lies between the two sizes' values
        low, high = (g[("cifar10", arch, n)]["fgsm"][1] for n in (100, 700))
        assert ((values[arch] >= low - 1e-9) & (values[arch] <= high + 1e-9)).all()


def test_no_overlap_means_no_matched_comparison():
    g = results(**SEEDLIKE, cifar_sizes=(700,))
    assert report.matched(g, "cifar10") is None
    assert "no clean accuracy every net reaches" in report.matched_table(g)


def test_sizes_below_the_seeds_are_named_with_their_reason():
    g = results(**SEEDLIKE)
    assert report.table_n(g, "cifar10") == 700 and report.table_n(g, "mnist") == 1000
    assert "ours at 700 per class: the copy here has at most 742 per class" in report._size_note(g, "cifar10")
    assert report._size_note(g, "mnist") == ""
    assert "the largest size of this run" in report._size_note(results(**SEEDLIKE, sizes=(30, 300)), "mnist")


def test_sliders_have_one_figure_per_size_and_budget():
    g = results(**SEEDLIKE)
    assert [label for label, _ in report.eps_curve_items(g)] == ["100 per class", "700 per class", "1,000 per class"]
    assert [label for label, _ in report.sample_items(g)] == ["0× the seed's ε", "1× the seed's ε", "2× the seed's ε"]


def test_findings_quote_the_runs():
    g = results(**SEEDLIKE)
    text = report.findings(g)
    assert "ConvNet > LocalNet > WeightNet > FCNet" in text  # MNIST's clean order from the numbers
    assert "LocalNet loses more" in text
    assert "PGD" in text and "extra drop over FGSM" in text


def test_the_data_note_says_where_and_why_the_sizes_stop():
    note = report.data_note(results(**SEEDLIKE))
    assert "up to 30,000" in note
    assert "CIFAR-10 stops at 700 per class in this run (the copy here has at most 742 training images per class" in note
    assert "MNIST stops at 1,000 per class in this run (its smallest class has 5,421 training images" in note
