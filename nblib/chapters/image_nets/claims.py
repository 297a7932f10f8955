"""The claims of study 1's image half (Zhang 2021, section 3: MNIST and CIFAR-10, FGSM), registered
for the one engine.

Every claim of the study's section 3 is here: the ones our runs grade, the ones the review found
ungraded ("the other three comparable", "FCNet comparable", "robustness approximately the same",
"n does not affect robustness on CIFAR-10"), and the ones this machine cannot test (Table 2 at
10,000 per class, the look of the attacked images), shown as "not tested here" with the reason.

The study's protocol, from its code (`imagenets/*.py` and the experiment notebooks): several trials
per size, 11, 11, 8, 8, 5, 5, 2, 2 for n_train = 10 ... 30,000 per class, and Figure 3 and Table 2
are MEANS over them (5 runs at 1,000 per class, 2 at 10,000). Its numbers below are those means.

The equivalence margins ("comparable", "approximately the same", "does not appear to affect") are
fixed from the study's own numbers, not from ours: the smallest gap the study itself reads as a
difference on the same dataset and quantity. An equivalence claim is graded by the engine as a
threshold claim on |difference|: direction -1, threshold the margin, so "reproduced" means the whole
95% interval of |difference| (|mean| +- half-width) lies below the margin, i.e. the interval of the
difference lies inside (-margin, +margin); "opposite" means it lies wholly beyond the margin.

This registry was written after the run published at the commit of book/image_nets.ipynb, whose
scorecard had eight rows; the new claims' margins come from the study's numbers only.
"""
from __future__ import annotations

import dataclasses

from nblib.claims import Change, Claim, Condition, NotReported, Reported

CHAPTER = "image_nets"
ARCHS = ("ConvNet", "LocalNet", "WeightNet", "FCNet")

# --- the study's protocol and numbers (its code and Table 2) ------------------------------------
STUDY_N_TRAIN = (10, 30, 100, 300, 1000, 3000, 10000, 30000)  # per class; 10,000 and 30,000 = the whole set
STUDY_TRIALS = dict(zip(STUDY_N_TRAIN, (11, 11, 8, 8, 5, 5, 2, 2)))  # trials per size (`trial_list`)
STUDY_N = 1000  # the size of Figure 3's numbers below and of Table 2's first rows (per class)
STUDY_N_LARGE = 10000  # Table 2's second rows (the whole training set)
STUDY_RUNS = STUDY_TRIALS[STUDY_N]  # 5
# mean of 5 runs at 1,000 per class (Figure 3's data; FGSM from the study's code / Table 2)
STUDY_CLEAN = {"mnist": {"ConvNet": .9774, "LocalNet": .9620, "WeightNet": .9549, "FCNet": .9492},
               "cifar10": {"ConvNet": .5169, "LocalNet": .4719, "WeightNet": .3914, "FCNet": .4571}}
STUDY_FGSM = {"mnist": {"ConvNet": .9141, "LocalNet": .7879, "WeightNet": .7777, "FCNet": .7802},
              "cifar10": {"LocalNet": .2829, "WeightNet": .2989}}
# Table 2 at 10,000 per class, mean of 2 runs: (clean, FGSM)
STUDY_10000 = {("mnist", "WeightNet"): (.9755, .8373), ("mnist", "LocalNet"): (.9777, .8464),
               ("cifar10", "WeightNet"): (.4616, .3469), ("cifar10", "LocalNet"): (.5346, .3241)}
STUDY_EPS = {"mnist": 0.1, "cifar10": 0.01}


def study_drop(dataset: str, arch: str, n: int = STUDY_N) -> float:
    """The study's relative FGSM drop 1 - FGSM / clean (Table 2's last column, as a fraction)."""
    c, a = (STUDY_CLEAN[dataset][arch], STUDY_FGSM[dataset][arch]) if n == STUDY_N else STUDY_10000[(dataset, arch)]
    return 1 - a / c


def protocol_text() -> str:
    """The study's runs, in words after 'The study' (every number from STUDY_TRIALS)."""
    trials = ", ".join(str(STUDY_TRIALS[n]) for n in STUDY_N_TRAIN)
    return (f"ran {trials} trials for n_train = {STUDY_N_TRAIN[0]:,} ... {STUDY_N_TRAIN[-1]:,} per class "
            f"and plotted their means ({STUDY_RUNS} runs at {STUDY_N:,} per class, {STUDY_TRIALS[STUDY_N_LARGE]} at "
            f"{STUDY_N_LARGE:,}), testing and attacking on its whole test set")


def _pairs(xs):
    return [(a, b) for i, a in enumerate(xs) for b in xs[i + 1:]]


MNIST_OTHERS = ("LocalNet", "WeightNet", "FCNet")
FCNET_PEERS = ("ConvNet", "LocalNet")  # "the other two architectures" on CIFAR-10 (see the claim's measure)
# "ConvNet performs best" over LocalNet by 1.54 points: the smallest gap the study reads as an order on MNIST
MNIST_MARGIN = STUDY_CLEAN["mnist"]["ConvNet"] - max(STUDY_CLEAN["mnist"][a] for a in MNIST_OTHERS)
# "WeightNet substantially worse than the other architectures": its smallest gap, to FCNet (6.57 points)
CIFAR_MARGIN = min(STUDY_CLEAN["cifar10"][a] for a in ARCHS if a != "WeightNet") - STUDY_CLEAN["cifar10"]["WeightNet"]
# "robustness increases as n_train increases" on MNIST: the smaller of its two changes of the relative drop,
# 1,000 -> 10,000 per class (WeightNet 18.56% -> 14.17%: 4.39 points)
ROBUST_MARGIN = min(study_drop("mnist", a) - study_drop("mnist", a, STUDY_N_LARGE) for a in ("WeightNet", "LocalNet"))

# --- conditions --------------------------------------------------------------------------------------
IN_RUN = "in_run"
LARGEST = "largest_n"


def in_run(what: str) -> Condition:
    """The run must contain the cells the claim is about (a reduced run cannot test it)."""
    return Condition(IN_RUN, f"our run includes {what}", ">=", 1)


RUNS = "runs_vs_study"
# every testable claim (issue 29): our grid has at least the study's runs at each of its sizes
AT_STUDY_RUNS = Condition(RUNS, "at least the study's runs at every size of our grid (11, 11, 8, 8, 5 for 10 ... "
                                "1,000 per class; our runs over the study's, the smallest)", ">=", 1)
AT_10000 = Condition(LARGEST, f"our largest size per class reaches the study's {STUDY_N_LARGE:,} (its whole training set)",
                     ">=", STUDY_N_LARGE)

# --- wording shared by the claims ----------------------------------------------------------------------
AT_1000 = f"mean of {STUDY_RUNS} runs at {STUDY_N:,} per class, the study's code for Figure 3"
OURS_AT = ("the study's number at 1,000 per class grades our largest CIFAR-10 size (700 in the published run: the copy "
           "here has at most 742 per class), the same way in every CIFAR-10 claim")
MNIST_SCOPE = "MNIST, our size for the study's 1,000 per class (1,000 in the published run)"
CIFAR_SCOPE = "CIFAR-10, our largest size up to 1,000 per class (700 in the published run)"
PAIRED = "paired by seed (the nets of one seed share its training subset)"
POINTS = dict(unit=100, unit_name="points", digits=2)
DROP = "the relative FGSM drop 1 - FGSM / clean accuracy on the same attacked test images (Table 2's last column)"


def _mnist(**kw):
    return dict(study_data="mnist", data="mnist", **POINTS, **kw)


def _cifar(**kw):
    return dict(study_data="cifar10", data="cifar10", **POINTS, **kw)


def _fgsm_drop(dataset: str, arch: str) -> Claim:
    name = {"mnist": "MNIST", "cifar10": "CIFAR-10"}[dataset]
    c, a = STUDY_CLEAN[dataset][arch], STUDY_FGSM[dataset][arch]
    return Claim(
        id=f"image_nets.fgsm-drop-{'mnist' if dataset == 'mnist' else 'cifar'}-{arch.lower()}",
        words=f"{name} {STUDY_N:,} {arch} {100 * c:.2f} -> {100 * a:.2f}",
        where="Table 2", setting=f"{name}, {arch}, {STUDY_N:,} per class, FGSM eps {STUDY_EPS[dataset]:g} in [-1, 1]",
        study=Reported(c - a, f"clean minus FGSM accuracy, means of {STUDY_RUNS} runs at {STUDY_N:,} per class on the whole "
                              "test set" + ("" if dataset == "mnist" else "; " + OURS_AT)),
        measure="the size of the drop (clean minus FGSM accuracy on the same attacked images), paired by seed; "
                "an attack cannot raise accuracy, so only its size against the study's is graded",
        scope=f"{arch}, " + (MNIST_SCOPE if dataset == "mnist" else CIFAR_SCOPE), section="image_nets-robustness", guaranteed=True,
        conditions=(in_run(f"{name} with {arch}"),),
        **(_mnist() if dataset == "mnist" else _cifar()))


# "neither of these architectures appear to be very robust": read as losing more than a tenth of the clean
# accuracy to an attack the study calls invisible; its smallest Table 2 drop (13.43%, MNIST LocalNet at 10,000) is above
NOT_ROBUST = 0.10


def _not_robust(dataset: str) -> Claim:
    name = {"mnist": "MNIST", "cifar10": "CIFAR-10"}[dataset]
    return Claim(
        id=f"image_nets.not-very-robust-{'mnist' if dataset == 'mnist' else 'cifar'}",
        words="Overall, neither of these architectures appear to be very robust",
        where="section 3.3, Table 2", setting=f"{name}, WeightNet and LocalNet, {STUDY_N:,} per class",
        study=Reported({a: study_drop(dataset, a) for a in ("WeightNet", "LocalNet")},
                       f"relative drops, means of {STUDY_RUNS} runs at {STUDY_N:,} per class"
                       + ("" if dataset == "mnist" else "; " + OURS_AT)),
        measure=f"{DROP}, mean over seeds; above the threshold {NOT_ROBUST:.0%} (a tenth of the clean accuracy lost "
                "to an attack the study calls invisible; every drop of its Table 2 is above it, the smallest 13.43%)",
        scope=(MNIST_SCOPE if dataset == "mnist" else CIFAR_SCOPE), section="image_nets-robustness", threshold=NOT_ROBUST,
        conditions=(in_run(f"{name} with LocalNet and WeightNet"),),
        **(_mnist() if dataset == "mnist" else _cifar()))


CLAIMS = (
    Claim(
        id="image_nets.mnist-convnet-best",
        words="For MNIST, we see that ConvNet performs best",
        where="section 3.3, Figure 3 (left)", setting=f"MNIST, the four nets, {STUDY_N:,} per class",
        study=Reported({f"vs {o}": STUDY_CLEAN["mnist"]["ConvNet"] - STUDY_CLEAN["mnist"][o] for o in MNIST_OTHERS},
                       AT_1000),
        measure="test accuracy, ConvNet minus each other net, " + PAIRED + "; all three must pass",
        scope=MNIST_SCOPE, section="image_nets-accuracy",
        conditions=(in_run("MNIST with all four nets"),), **_mnist()),
    Claim(
        id="image_nets.mnist-others-comparable",
        words="the performance of the other three models, as evaluated by accuracy, are comparable",
        where="section 3.3, Figure 3 (left)", setting=f"MNIST, LocalNet, WeightNet, FCNet, {STUDY_N:,} per class",
        study=Reported({f"{a} vs {b}": abs(STUDY_CLEAN["mnist"][a] - STUDY_CLEAN["mnist"][b])
                        for a, b in _pairs(MNIST_OTHERS)}, "|difference| of the means of 5 runs at 1,000 per class"),
        measure=f"|test accuracy difference| of each pair, {PAIRED}; equivalence graded as a threshold claim on "
                f"|difference| (its interval: |mean| +- half-width) below the margin {100 * MNIST_MARGIN:.2f} points, "
                "the study's ConvNet - LocalNet gap that it reads as 'ConvNet performs best'",
        scope=MNIST_SCOPE + ", the three pairs", section="image_nets-accuracy",
        direction=-1, threshold=MNIST_MARGIN,
        conditions=(in_run("MNIST with LocalNet, WeightNet and FCNet"),), **_mnist()),
    Claim(
        id="image_nets.cifar-weightnet-worst",
        words="for CIFAR10, WeightNet performs substantially worse than the other architectures for all values "
              "of n_train",
        where="section 3.3, Figure 3 (right)", setting=f"CIFAR-10, the four nets, {STUDY_N:,} per class",
        study=Reported({f"vs {o}": STUDY_CLEAN["cifar10"]["WeightNet"] - STUDY_CLEAN["cifar10"][o]
                        for o in ARCHS if o != "WeightNet"},
                       AT_1000 + "; " + OURS_AT),
        measure="test accuracy, WeightNet minus each other net, " + PAIRED + "; all three must be negative",
        scope=CIFAR_SCOPE, section="image_nets-accuracy", direction=-1,
        conditions=(in_run("CIFAR-10 with all four nets"),), **_cifar()),
    Claim(
        id="image_nets.cifar-weightnet-worst-every-n",
        words="WeightNet performs substantially worse than the other architectures for all values of n_train",
        where="section 3.3, Figure 3 (right)", setting="CIFAR-10, the four nets, 10 ... 300 per class",
        study=NotReported("Figure 3 only: means of 11, 11, 8, 8 runs, no numbers below 1,000 per class"),
        measure="test accuracy, WeightNet minus each other net, " + PAIRED + ", at each of our sizes below our "
                "largest; all must be negative (the largest is image_nets.cifar-weightnet-worst)",
        scope="CIFAR-10, every size of our run below its largest (10 ... 300 in the published run), three pairs each", section="image_nets-accuracy",
        direction=-1, conditions=(in_run("CIFAR-10 below its largest size with all four nets"),), **_cifar()),
    Claim(
        id="image_nets.cifar-fcnet-comparable",
        words="although the performance of FCNet is comparable to the other two architectures, it also has much "
              "more parameters ... so it is not necessarily the case that FCNet has learned locality",
        where="section 3.3, Figure 3 (right)", setting=f"CIFAR-10, FCNet against ConvNet and LocalNet, "
                                                        f"{STUDY_N:,} per class",
        study=Reported({f"FCNet vs {o}": abs(STUDY_CLEAN["cifar10"]["FCNet"] - STUDY_CLEAN["cifar10"][o])
                        for o in FCNET_PEERS},
                       "|difference| of the means of 5 runs at 1,000 per class; " + OURS_AT),
        measure=f"|test accuracy difference|, {PAIRED}; equivalence graded as a threshold claim on |difference| "
                f"(|mean| +- half-width) below the margin {100 * CIFAR_MARGIN:.2f} points, the smallest gap the study "
                "calls 'substantially worse' on CIFAR-10 (WeightNet to FCNet). 'The other two' read as the two local "
                "nets, ConvNet and LocalNet (the sentence is about whether FCNet learned locality, after WeightNet was "
                "called substantially worse than FCNet); read as LocalNet and WeightNet, the study's own FCNet - "
                "WeightNet gap would be the 'substantially worse' one",
        scope=CIFAR_SCOPE, section="image_nets-accuracy",
        direction=-1, threshold=CIFAR_MARGIN,
        conditions=(in_run("CIFAR-10 with FCNet, ConvNet and LocalNet"),), **_cifar()),
    Claim(
        id="image_nets.cifar-localnet-less-robust",
        words="for CIFAR10, LocalNet is far less robust than WeightNet",
        where="section 3.3, Table 2", setting=f"CIFAR-10, LocalNet and WeightNet, {STUDY_N:,} per class, FGSM 0.01",
        study=Reported(study_drop("cifar10", "LocalNet") - study_drop("cifar10", "WeightNet"),
                       f"relative drops {100 * study_drop('cifar10', 'LocalNet'):.2f}% and "
                       f"{100 * study_drop('cifar10', 'WeightNet'):.2f}%, means of 5 runs at 1,000 per class; " + OURS_AT),
        measure=DROP + ", LocalNet minus WeightNet, " + PAIRED,
        scope=CIFAR_SCOPE, section="image_nets-robustness",
        conditions=(in_run("CIFAR-10 with LocalNet and WeightNet"),), **_cifar()),
    Claim(
        id="image_nets.mnist-robustness-same",
        words="For MNIST, the robustness of WeightNet and LocalNet are approximately the same",
        where="section 3.3, Table 2", setting=f"MNIST, LocalNet and WeightNet, {STUDY_N:,} per class, FGSM 0.1",
        study=Reported(abs(study_drop("mnist", "LocalNet") - study_drop("mnist", "WeightNet")),
                       "|difference| of the relative drops 18.09% and 18.56%, means of 5 runs at 1,000 per class"),
        measure=f"|{DROP}, LocalNet minus WeightNet|, {PAIRED}; equivalence graded as a threshold claim on "
                f"|difference| (|mean| +- half-width) below the margin {100 * ROBUST_MARGIN:.2f} points, the smaller "
                "change of the relative drop that the study reads as 'robustness increases' (WeightNet, 1,000 -> "
                "10,000 per class)",
        scope=MNIST_SCOPE, section="image_nets-robustness", direction=-1, threshold=ROBUST_MARGIN,
        conditions=(in_run("MNIST with LocalNet and WeightNet"),), **_mnist()),
    Claim(
        id="image_nets.mnist-robustness-grows-with-n",
        words="and robustness increases as number of training examples increases",
        where="section 3.3, Table 2", setting="MNIST, WeightNet and LocalNet, 1,000 -> 10,000 per class",
        study=Reported({a: study_drop("mnist", a) - study_drop("mnist", a, STUDY_N_LARGE) for a in ("WeightNet", "LocalNet")},
                       "relative drop at 1,000 minus at 10,000 per class (means of 5 and 2 runs)"),
        measure=DROP + ", at our second-largest minus our largest size, unpaired (Welch: runs at different sizes "
                "share nothing)",
        scope="MNIST, our two largest sizes; the claim is about 1,000 -> 10,000", section="image_nets-robustness",
        conditions=(in_run("MNIST at two sizes with LocalNet and WeightNet"), AT_10000), **_mnist()),
    Claim(
        id="image_nets.mnist-robustness-grows-below-1000",
        words="robustness increases as number of training examples increases",
        where="section 3.3, Table 2 (our range, below the study's)",
        setting="MNIST, WeightNet and LocalNet, our two largest sizes up to 1,000 per class (300 -> 1,000)",
        study=NotReported("the study compared 1,000 with 10,000 per class only"),
        measure=DROP + ", at our second-largest minus our largest size, unpaired (Welch)",
        scope="MNIST, our two largest sizes (published: 300 and 1,000 per class)", section="image_nets-robustness",
        conditions=(in_run("MNIST at two sizes with LocalNet and WeightNet"),), **_mnist()),
    Claim(
        id="image_nets.cifar-robustness-flat-in-n",
        words="increasing the number of training examples does not appear to affect robustness",
        where="section 3.3, Table 2", setting="CIFAR-10, WeightNet and LocalNet, 1,000 -> 10,000 per class",
        study=Reported({a: abs(study_drop("cifar10", a) - study_drop("cifar10", a, STUDY_N_LARGE))
                        for a in ("WeightNet", "LocalNet")},
                       "|relative drop at 1,000 minus at 10,000 per class| (means of 5 and 2 runs)"),
        measure=f"|{DROP} at our second-largest minus our largest size|, unpaired (Welch); equivalence graded as "
                f"a threshold claim on |difference| below the margin {100 * ROBUST_MARGIN:.2f} points (the change the "
                "study reads as 'robustness increases' on MNIST)",
        scope="CIFAR-10, our two largest sizes; the claim is about 1,000 -> 10,000", section="image_nets-robustness",
        direction=-1, threshold=ROBUST_MARGIN,
        conditions=(in_run("CIFAR-10 at two sizes with LocalNet and WeightNet"), AT_10000), **_cifar()),
    Claim(
        id="image_nets.cifar-robustness-flat-below-1000",
        words="increasing the number of training examples does not appear to affect robustness",
        where="section 3.3, Table 2 (our range, below the study's)",
        setting="CIFAR-10, WeightNet and LocalNet, our two largest sizes (300 -> 700 per class)",
        study=NotReported("the study compared 1,000 with 10,000 per class only"),
        measure=f"|{DROP} at our second-largest minus our largest size|, unpaired (Welch); below the margin "
                f"{100 * ROBUST_MARGIN:.2f} points, as in image_nets.cifar-robustness-flat-in-n",
        scope="CIFAR-10, our two largest sizes (published: 300 and 700 per class)", section="image_nets-robustness",
        direction=-1, threshold=ROBUST_MARGIN,
        conditions=(in_run("CIFAR-10 at two sizes with LocalNet and WeightNet"),), **_cifar()),
    _not_robust("mnist"),
    _not_robust("cifar10"),
    _fgsm_drop("mnist", "WeightNet"),
    _fgsm_drop("mnist", "LocalNet"),
    _fgsm_drop("cifar10", "WeightNet"),
    _fgsm_drop("cifar10", "LocalNet"),
    Claim(
        id="image_nets.mnist-convnet-best-large-n",
        words="For MNIST, we see that ConvNet performs best, and the performance of the other three models ... are "
              "comparable [at the study's larger sizes]",
        where="section 3.3, Figure 3 (left)", setting="MNIST, the four nets, 3,000 per class and the whole training "
                                                      "set (the study's '10,000' and '30,000')",
        study=NotReported("Figure 3 only: means of 5 and 2 runs, no numbers"),
        measure="test accuracy, ConvNet minus each other net, paired by seed, at 3,000 per class and on the whole set",
        scope="MNIST, 3,000 per class and the whole training set", section="image_nets-accuracy",
        untestable="beyond this machine's time budget: the study's 5 runs at 3,000 per class and 2 on the whole set "
                   "are about 3.5 times the whole chapter's training here (about 2.5 CPU-hours); on a GPU: papermill "
                   "notebooks/image_nets.ipynb out.ipynb -y \"mnist_n_train: [10, 30, 100, 300, 1000, 3000, 5421]\" "
                   "-p device cuda (about 20 GPU-minutes)",
        **_mnist()),
    Claim(
        id="image_nets.cifar-weightnet-worst-large-n",
        words="for CIFAR10, WeightNet performs substantially worse than the other architectures for all values "
              "of n_train [at the study's larger sizes]",
        where="section 3.3, Figure 3 (right)", setting="CIFAR-10, the four nets, 1,000 and 3,000 per class and the "
                                                       "whole training set",
        study=NotReported("Figure 3 only: means of 5, 5 and 2 runs, no numbers"),
        measure="test accuracy, WeightNet minus each other net, paired by seed, at 1,000 and 3,000 per class and on "
                "the whole set",
        scope="CIFAR-10, 1,000 per class and above", section="image_nets-accuracy",
        untestable="needs the whole CIFAR-10 training set: the copy here has at most 742 images per class; on a GPU "
                   "with CIFAR-10 installed: papermill notebooks/image_nets.ipynb out.ipynb -y \"cifar10_n_train: "
                   "[10, 30, 100, 300, 1000, 3000, 5000]\" -p device cuda (about 30 GPU-minutes)",
        **_cifar()),
    Claim(
        id="image_nets.table2-at-10000",
        words="MNIST 10000 WeightNet 0.9755 -> 0.8373, LocalNet 0.9777 -> 0.8464; CIFAR10 10000 WeightNet "
              "0.4616 -> 0.3469, LocalNet 0.5346 -> 0.3241",
        where="Table 2, rows at 10,000 per class", setting="MNIST and CIFAR-10, WeightNet and LocalNet, the whole "
                                                           "training set (the study's '10,000 per class')",
        study=Reported({f"{d} {a}": c - f for (d, a), (c, f) in STUDY_10000.items()},
                       "clean minus FGSM accuracy, mean of 2 runs on the whole training set"),
        measure="clean minus FGSM accuracy on the same images, paired by seed, on the whole training set",
        scope="MNIST and CIFAR-10 trained on all their training images", section="image_nets-robustness",
        untestable="needs the whole training sets: the CIFAR-10 copy here has at most 742 images per class, and the "
                   "whole MNIST set is beyond this machine's time budget; on a GPU with full CIFAR-10 installed: "
                   "papermill notebooks/image_nets.ipynb out.ipynb -y \"mnist_n_train: [1000, 5421]\" "
                   "-y \"cifar10_n_train: [1000, 5000]\" -p seeds 3 -p device cuda (about 30 GPU-minutes, 3 seeds; "
                   "eval on whole test sets adds a few)",
        study_data="mnist,cifar10", data="mnist", **POINTS),
    Claim(
        id="image_nets.cifar-fgsm-invisible",
        words="the FGSM changes on CIFAR10 are indistinguishable to the human eye but impact model performance greatly",
        where="section 3.3 and Figure 5", setting="CIFAR-10, WeightNet and LocalNet, 10,000 per class, FGSM 0.01",
        study=NotReported("a judgement by eye on Figure 5"),
        measure="none: the slider of attacked images shows them; no measure of perception is computed",
        scope="CIFAR-10, the sample slider", section="image_nets-robustness",
        untestable="a judgement by eye, not a measurement: the chapter's slider shows the attacked images at each "
                   "budget for the reader to judge; no GPU would change that",
        **_cifar()),
)

# every testable claim needs the study's run counts (registered with the run that added them, issue 29)
CLAIMS = tuple(c if c.untestable else dataclasses.replace(c, conditions=c.conditions + (AT_STUDY_RUNS,))
               for c in CLAIMS)

_PROTOCOL = ("the nets of record are now the study's own (its code): LocalNet 6x6 windows, stride 2, no pool (the "
             "book's was 5x5, stride 1, with a 2x2 max-pool) and WeightNet without the max-pool the book had added "
             "(its latents still matched to ConvNet's); each size has the study's runs (11, 11, 8, 8, 5 for 10 ... "
             "1,000 per class; 5 at CIFAR-10's 700) instead of 3 seeds, and every claim needs them.")
_PROTOCOL_EARLIER = (
    "with the book's nets and 3 seeds (the run published before issue 29): mnist-convnet-best inconclusive (vs "
    "LocalNet +1.49 +- 0.34, vs WeightNet +1.21 +- 2.55, vs FCNet +4.14 +- 2.09 points); mnist-others-comparable "
    "inconclusive; cifar-weightnet-worst not reproduced (vs ConvNet -8.02 +- 4.95, vs LocalNet -3.28 +- 4.31, vs "
    "FCNet -1.27 +- 1.24); cifar-weightnet-worst-every-n inconclusive; cifar-fcnet-comparable inconclusive; "
    "cifar-localnet-less-robust reproduced (+23.73 +- 7.93); mnist-robustness-same inconclusive; "
    "mnist-robustness-grows-below-1000 inconclusive; cifar-robustness-flat-below-1000 inconclusive; "
    "not-very-robust-mnist weaker than reported; not-very-robust-cifar stronger than reported; fgsm-drop-mnist-"
    "weightnet weaker (+12.58 +- 1.59), -localnet weaker (+15.46 +- 1.26), fgsm-drop-cifar-weightnet reproduced "
    "(+10.29 +- 1.09), -localnet stronger (+22.08 +- 2.33).")

CHANGES = tuple(Change(c.id, _PROTOCOL, _PROTOCOL_EARLIER) for c in CLAIMS
                if not c.untestable and c.id not in ("image_nets.mnist-robustness-grows-with-n",
                                                      "image_nets.cifar-robustness-flat-in-n")) + (
    Change("image_nets.cifar-weightnet-worst",
           "The study's 1,000-per-class gaps (WeightNet - LocalNet -8.05 points, - ConvNet -12.55, - FCNet -6.57) now "
           "grade our 700-per-class run, as they already did in the robustness rows, and the sizes below it are a "
           "separate claim (image_nets.cifar-weightnet-worst-every-n), graded without a study number.",
           "one row over every n_train with no study number, graded 'inconclusive' (at 700: WeightNet - LocalNet "
           "-3.3 +- 4.3 points)."),
    Change("image_nets.fgsm-drop-mnist-weightnet",
           "The four 'FGSM lowers X's accuracy' rows were direction-only grades of a drop that cannot be negative; "
           "they are now graded on the size of the drop against the study's Table 2 drop.",
           "all four 'reproduced' (MNIST WeightNet +12.6 +- 1.6, LocalNet +15.5 +- 1.3; CIFAR-10 WeightNet +10.3 +- "
           "1.1, LocalNet +22.1 +- 2.3 points)."),
    Change("image_nets.mnist-robustness-grows-with-n",
           "The study's claim is about 1,000 -> 10,000 per class; it now needs our largest size to be 10,000 per "
           "class, and our 300 -> 1,000 comparison is its own claim (image_nets.mnist-robustness-grows-below-1000).",
           "'inconclusive' from 300 -> 1,000 (WeightNet -0.7 +- 6.1, LocalNet -1.0 +- 3.9 points)."),
)
