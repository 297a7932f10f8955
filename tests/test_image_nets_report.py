"""The image chapter's report on made-up results: verdicts follow the numbers, matched clean
accuracy reads the curves right, and the figures and sliders have one item per setting."""
import pytest
import torch

from nblib.chapters import image_nets as im
from nblib.chapters.image_nets import claims as cl
from nblib.chapters.image_nets import report


def fake(dataset, arch, n, clean, keep, seeds=None, jitter=0.002):
    """A cell's result: clean accuracy `clean` per run (+ jitter), FGSM keeping a share `keep` of it
    at the study's budget and keep**2 at twice that budget; the study's run count unless `seeds`."""
    seeds = seeds or im.Chapter(seeds=0).seeds_at(n)
    e = im.SEED_EPS[dataset]
    noise = jitter * torch.arange(seeds, dtype=torch.float64)
    c = torch.full((seeds,), clean, dtype=torch.float64) + noise
    fgsm = torch.stack([c, c * keep, c * keep ** 2])
    side = im.experiment.INPUT[dataset]
    return {"cell": im.Cell(dataset, arch, n, seeds, eps=(0.0, e, 2 * e), pgd_eps=e, pgd_steps=10),
            "clean": c, "train_acc": torch.ones(seeds, dtype=torch.float64), "fgsm": fgsm, "pgd": c * keep * 0.9, "fgsm_on_pgd_images": c * keep,
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
    return {row.claim.id.split(".")[1]: row.verdict for row in report.scorecard(g)}


def test_every_registered_claim_gets_one_graded_row():
    card = report.scorecard(results(**SEEDLIKE))
    assert [row.claim.id for row in card] == [c.id for c in cl.CLAIMS]
    assert all(row.claim.section.startswith("image_nets-") for row in card)
    assert not any(c.beyond for c in cl.CLAIMS)  # every claim is graded on the study's own dataset
    untestable = {row.claim.id.split(".")[1] for row in card if row.claim.untestable}
    assert untestable == {"table2-at-10000", "cifar-fgsm-invisible", "mnist-convnet-best-large-n",
                          "cifar-weightnet-worst-large-n"}
    assert all(row.verdict == "not tested here" for row in card if row.claim.untestable)


def test_fewer_runs_than_the_study_leave_every_claim_untested():
    g = results(**SEEDLIKE)
    key = ("mnist", "ConvNet", 100)
    r = g[key]
    g[key] = fake("mnist", "ConvNet", 100, float(r["clean"][0]), 0.9, seeds=3)  # the study ran 8 at 100 per class
    assert report.runs_vs_study(g) == 3 / 8
    assert set(verdicts(g).values()) == {"not tested here"}


def test_the_seeds_pattern_is_graded_against_the_studys_numbers():
    v = verdicts(results(**SEEDLIKE))
    assert v["cifar-weightnet-worst-every-n"] == "reproduced"  # no study number below 1,000: the sign decides
    # tight intervals: the study's number decides between reproduced and weaker / stronger
    assert v["fgsm-drop-cifar-localnet"] == "reproduced"  # 18.88 +- 0.20 contains the study's 18.90
    assert v["fgsm-drop-mnist-weightnet"] == "stronger than reported"  # 18.09 +- 0.09 above 17.72
    assert v["cifar-localnet-less-robust"] == "weaker than reported"  # 16.0 +- 0.0 below the study's 16.4
    assert v["mnist-robustness-grows-below-1000"] == "reproduced"
    # the study's claims about 1,000 -> 10,000 per class: our largest size fails the condition
    assert v["mnist-robustness-grows-with-n"] == "not tested here"
    assert v["cifar-robustness-flat-in-n"] == "not tested here"


def test_the_study_number_decides_a_claim_our_sign_alone_would_pass():
    """WeightNet below LocalNet on CIFAR-10 by 3.3 +- 4.3 points (the published run): the interval contains 0 and
    excludes the study's -8.05, so not reproduced; an interval that contains both is inconclusive."""
    g = results(**SEEDLIKE)
    jitter = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], dtype=torch.float64) * 0.0219  # half-width ~ 4.3 points at 5 runs
    g[("cifar10", "WeightNet", 700)]["clean"] = g[("cifar10", "LocalNet", 700)]["clean"] - 0.033 + jitter
    row = next(r for r in report.scorecard(g) if r.claim.id == "image_nets.cifar-weightnet-worst")
    assert dict(row.settings)["vs LocalNet"] == "not reproduced" and row.verdict == "not reproduced"
    g[("cifar10", "WeightNet", 700)]["clean"] = g[("cifar10", "LocalNet", 700)]["clean"] - 0.05 + 2 * jitter
    row = next(r for r in report.scorecard(g) if r.claim.id == "image_nets.cifar-weightnet-worst")
    assert dict(row.settings)["vs LocalNet"] == "inconclusive"


def test_equivalence_claims_are_threshold_claims_on_the_absolute_difference():
    g = results(**SEEDLIKE)  # LocalNet - WeightNet relative drop on MNIST: about 1 point, well inside 4.39
    assert verdicts(g)["mnist-robustness-same"] in ("reproduced", "weaker than reported", "stronger than reported")
    g[("mnist", "WeightNet", 1000)]["fgsm"][1] = g[("mnist", "LocalNet", 1000)]["fgsm"][1] + 0.10
    assert verdicts(g)["mnist-robustness-same"] == "opposite"  # 10 points apart: wholly beyond the margin
    assert cl.MNIST_MARGIN == pytest.approx(0.0154) and cl.CIFAR_MARGIN == pytest.approx(0.0657)
    assert cl.ROBUST_MARGIN == pytest.approx(1 - .7777 / .9549 - (1 - .8373 / .9755))


def test_the_opposite_pattern_is_graded_opposite():
    flipped = dict(SEEDLIKE, mnist_clean={"ConvNet": 0.90, "LocalNet": 0.96, "WeightNet": 0.95, "FCNet": 0.94},
                   cifar_clean={"ConvNet": 0.40, "LocalNet": 0.47, "WeightNet": 0.55, "FCNet": 0.45},
                   keep={"mnist": SEEDLIKE["keep"]["mnist"],
                         "cifar10": {"ConvNet": 0.7, "LocalNet": 0.8, "WeightNet": 0.6, "FCNet": 0.7}})
    v = verdicts(results(**flipped))
    assert v["mnist-convnet-best"] == "opposite"
    assert v["cifar-weightnet-worst"] == "opposite"
    assert v["cifar-localnet-less-robust"] == "opposite"


def test_a_run_without_the_claims_cells_is_not_tested_here():
    g = {k: r for k, r in results(**SEEDLIKE).items() if k[0] == "mnist"}  # no CIFAR-10
    card = report.scorecard(g)
    cifar = [row for row in card if row.claim.data == "cifar10"]
    assert cifar and {row.verdict for row in cifar} == {"not tested here"}
    assert all("our run includes" in row.why for row in cifar if not row.claim.untestable)


def test_one_seed_is_never_a_verdict():
    g = results(**SEEDLIKE)
    for r in g.values():
        r["cell"] = im.Cell(r["cell"].dataset, r["cell"].arch, r["cell"].n_train, 1, eps=r["cell"].eps)
        for key in ("clean", "pgd", "fgsm_on_pgd_images"):
            r[key] = r[key][:1]
        r["fgsm"] = r["fgsm"][:, :1]
    assert {row.verdict for row in report.scorecard(g)} == {"not tested here"}  # fewer runs than the study's


def test_the_protocol_is_the_studys_means_not_one_run():
    g = results(**SEEDLIKE)
    assert cl.STUDY_TRIALS == {10: 11, 30: 11, 100: 8, 300: 8, 1000: 5, 3000: 5, 10000: 2, 30000: 2}
    assert "11, 11, 8, 8, 5, 5, 2, 2 trials" in cl.protocol_text()
    for text in (report.accuracy_table(g), report.robustness_table(g)):
        assert "one run" not in text and "mean of 5 runs" in text


def test_matched_clean_accuracy_reads_each_curve_at_the_common_level():
    g = results(**SEEDLIKE)
    level, values = report.matched(g, "cifar10")
    k = len(values["WeightNet"])  # the runs every size has (5 at 700, 8 at 100: the first 5)
    assert k == 5
    top = min(g[("cifar10", a, 700)]["fgsm"][0][:k].min().item() for a in im.ARCHS)  # every run reaches it
    assert level == pytest.approx(top)  # the weakest net's best: WeightNet's
    r = g[("cifar10", "WeightNet", 700)]
    torch.testing.assert_close(values["WeightNet"][0], r["fgsm"][1][0])  # read at its own end point
    for arch in im.ARCHS:  # FGSM accuracy read off at `level` lies between the two sizes' values
        low, high = (g[("cifar10", arch, n)]["fgsm"][1][:k] for n in (100, 700))
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
    assert [label for label, _ in report.sample_items(g)] == ["0× the study's ε", "1× the study's ε", "2× the study's ε"]


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
