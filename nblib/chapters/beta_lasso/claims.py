"""The claims of study 2 (Neyshabur 2020, "Towards learning convolutions from scratch", and the EPFL
student reproduction), registered for the one engine.

Every claim of the students' report is here, with the paper's Table 2 as STUDIES.md gives it: the
students' Table II (beta-LASSO beats SGD for S-FC at beta = 0, 1 and 50; beta = 50 worse than the
smaller betas), their Fig. 2 (layer 1 of S-FC gets sparse, layer 2 more mildly, layer 3 stays dense),
their Fig. 3 (beta-LASSO's first-layer filters sparse and more local; SGD's dense but sometimes
locally correlated), their SVHN runs, their BCE loss, and the paper's Table 2 (CIFAR-10, CIFAR-100,
SVHN at alpha = 150). The study's claims are about CIFAR-10 (and SVHN, CIFAR-100); a result on MNIST
is its own claim, marked beyond the study, with no study number (the study never ran MNIST).

Which quantity decides whether a run is in the students' regime: the first layer's L1 PULL, lambda x
sum_t lr_t, in units of its initial-weight bound 1/sqrt(fan-in). A weight that the gradient leaves
alone moves towards zero by exactly that much over a run; while the pull is well below the bound,
such a weight keeps most of its random initial value and every measure of the first layer mostly
sees the initialisation. At the students' lambda and schedule the pull is proportional to the number
of steps, so on the partial CIFAR-10 copy here (6,955 training images: 14 steps per epoch against
their 98) their 400 epochs give 1/7 of their pull. Every claim about a students' run therefore has
the condition that our pull is within 20% of theirs (and the threshold beta x lambda within 20% of
theirs), and a claim about SGD alone (no pull) the condition that our steps are within 20% of theirs.
The "at the students' pull" claims grade the pull-setting run whose pull is nearest theirs (a rule of
the protocol, not of the outcome), at their threshold beta x lambda = 1e-3, in 30 epochs.

Which of the students' quantities our students' setting matches, chosen before its run (issue 27): their
PULL and THRESHOLD, not their step count. Their 39,200 steps on the CIFAR-10 copy are 2,800 epochs: about
14 CPU-minutes per S-FC run here by the step time alone (the control run then took 28 minutes, two runs
sharing the two cores), 12 runs (SGD and betas 0, 1, 50, three seeds) three hours or more. So the
students' setting runs their 400 epochs with both lambdas scaled by the same factor, so that the first
layer's pull over the run is theirs (2.18 x the bound; x 7.0 on the copy), and beta divided by it, so
that the threshold beta x lambda is theirs (0, 2e-5 and 1e-3). Why the pull: a weight that the gradient
leaves alone moves towards zero by exactly the pull, so the pull decides whether the initialisation
survives; the threshold decides which small weights are cut. What it does not match: the L1 step per
update is 7 x theirs against a gradient of the same size, so a weight whose gradient is between their
lambda and ours survives in their run and dies in ours (a sparser layer). A control run at their own
lambda for the epochs their pull takes (2,809 epochs, 39,326 steps: their step count), one seed, shows
the size of that difference beside the graded runs; it grades nothing. S-FC SGD has no pull: it runs the
same 400 epochs (5,600 steps against their 39,200).

The students' pulls assume the cosine schedule over the run that their report and STUDIES.md state.
The stored versions of their src/utils.py have no scheduler (a TODO), and the checkpoint folders of
their CIFAR-10 Table II runs carry no "scheduler" in their names where those of Fig. 2 and SVHN do;
had Table II run at a constant lr 0.1, its pull would be twice as large (about 4.4 x the bound).

The locality measure is the window mass (the share of a first-layer unit's |weight| in its best 9 x 9
window, S-CONV's kernel; mean over live units). Its claims are graded on a size-aware index, the
share of the way from a baseline to a kernel, (mass - baseline) / (1 - baseline), paired by seed,
against a threshold of one tenth (`LOCAL_MIN`). The study gave pictures only, so the threshold is a
convention of this registry, not a study number. On MNIST the shuffled baseline ignores that the
digits leave the border pixels constant (weights there get no gradient and die under L1), so part of
MNIST's gain over shuffled comes from the data's support; on CIFAR-10 every pixel varies.

This registry was written after the runs published at commit 7f08592 (and those of the earlier
version at a97a6fb) were seen; the conditions' limits come from the students' protocol only, and
CHANGES says what the earlier versions graded.
"""
from __future__ import annotations

import math

from nblib.claims import Change, Claim, Condition, NotReported, Reported

CHAPTER = "beta_lasso"

# --- the students' protocol and numbers (their report, notebook and code) ----------------------------------
STUDENTS_IMAGES = 50_000     # all of CIFAR-10's training set
STUDENTS_BATCH = 512
STUDENTS_STEPS_PER_EPOCH = math.ceil(STUDENTS_IMAGES / STUDENTS_BATCH)  # 98
STUDENTS_LR = 0.1            # cosine annealing from here over the run
STUDENTS_LAMBDA = 2e-5       # every layer
STUDENTS_BETA = 50.0         # Fig. 2 and Fig. 3; Table II also beta = 0 and 1
TABLE2_EPOCHS = 400          # Table II and Fig. 3
FIG2_EPOCHS = 100            # Fig. 2 (their run_figure_3.sh: 100 epochs, beta 50, lambda 2e-5)
MNIST_HERE = "MNIST (a class-balanced 500 training images per class, 4,500 after the validation split)"
CIFAR_BOUND = 1 / math.sqrt(3 * 32 * 32)  # S-FC's first-layer initial bound on 32x32 colour images
TOLERANCE = 0.2              # "within 20%" of the students' pull, threshold or steps
# Table II, test accuracy of one run each (their notebook; their report prints 45.8 / 49.6 / 51.2 / 48.9)
STUDENTS_SGD = 0.4507
STUDENTS_BETA_ACC = {0.0: 0.4932, 1.0: 0.5110, 50.0: 0.4854}
TABLE2_HOW = ("one run each on all of CIFAR-10, the students' notebook (their report's Table II prints 45.8 / "
              "49.6 / 51.2 / 48.9)")
# Fig. 2 (read off their plot, plots/figure_3_w_labels.png, beta = 50 after 100 epochs): share of each layer's
# weights left non-zero, layers 1 / 2 / 3 of S-FC (786,432 / 6,144 / 240 weights)
STUDENTS_FIG2 = {"cifar10": (0.38, 0.72, 0.74), "svhn": (0.20, 0.64, 0.82)}
FIG2_HOW = ("read off the students' Fig. 2 (their plots/figure_3_w_labels.png), one run, beta = 50 after 100 "
            "epochs on all of CIFAR-10: about 300k of 786,432, 4,400 of 6,144 and 178 of 240 weights left")
# the paper's Table 2 (alpha = 150, 4000 epochs, augmentation, all of each dataset), test accuracy
PAPER_TABLE2 = {
    "cifar10": {"S-CONV": 0.8705, "S-LOCAL": 0.8586, "S-FC SGD": 0.7863, "S-FC beta-LASSO": 0.8519},
    "cifar100": {"S-CONV": 0.6251, "S-LOCAL": 0.6203, "S-FC SGD": 0.5143, "S-FC beta-LASSO": 0.5956},
    "svhn": {"S-CONV": 0.9338, "S-LOCAL": 0.9398, "S-FC SGD": 0.9180, "S-FC beta-LASSO": 0.9407},
}


def students_pull(epochs: int) -> float:
    """The first layer's L1 pull of a students' run of `epochs` epochs, lambda x sum_t lr_t / bound
    (cosine schedule over the run, evaluated per epoch as `nblib.train.cosine_schedule` does)."""
    lr_sum = STUDENTS_STEPS_PER_EPOCH * sum(STUDENTS_LR * 0.5 * (1 + math.cos(math.pi * e / epochs))
                                            for e in range(epochs))
    return STUDENTS_LAMBDA * lr_sum / CIFAR_BOUND


TABLE2_PULL = students_pull(TABLE2_EPOCHS)   # 2.18 x the bound (39,200 steps)
FIG2_PULL = students_pull(FIG2_EPOCHS)       # 0.55 x the bound (9,800 steps)
TABLE2_STEPS = STUDENTS_STEPS_PER_EPOCH * TABLE2_EPOCHS  # 39,200
THRESHOLD = STUDENTS_BETA * STUDENTS_LAMBDA  # beta x lambda = 1e-3, the students' beta = 50 threshold
LOCAL_MIN = 0.1  # the locality index counted as "more locality": a tenth of the way from the baseline to a kernel


def gain(beta: float) -> float:
    """The students' Table II gain of beta-LASSO at `beta` over SGD (a fraction)."""
    return STUDENTS_BETA_ACC[beta] - STUDENTS_SGD


def paper_gain(dataset: str) -> float:
    t = PAPER_TABLE2[dataset]
    return t["S-FC beta-LASSO"] - t["S-FC SGD"]


def paper_gap_closed(dataset: str) -> float:
    """The share of the S-FC SGD -> S-CONV gap that beta-LASSO closes in the paper's Table 2."""
    t = PAPER_TABLE2[dataset]
    return (t["S-FC beta-LASSO"] - t["S-FC SGD"]) / (t["S-CONV"] - t["S-FC SGD"])


def students_gain_text() -> str:
    """The students' and the paper's gains in words, from the numbers above."""
    betas = ", ".join(f"beta={b:g} {100 * gain(b):+.2f}" for b in STUDENTS_BETA_ACC)
    return (f"students (alpha = 1, all of CIFAR-10, one run each): {betas} points over SGD; paper (alpha = 150): "
            f"{100 * paper_gain('cifar10'):+.2f} on CIFAR-10")


# --- conditions: what our run must meet for the test to mean anything ----------------------------------------
IN_RUN, PULL, THRESH, STEPS = "in_run", "pull", "threshold", "steps"


def in_run(what: str) -> Condition:
    return Condition(IN_RUN, f"our run includes {what}", ">=", 1)


def _within(name: str, what: str, target: float, fmt: str, unit: str = "") -> tuple[Condition, Condition]:
    return (Condition(name, f"{what} is at least {1 - TOLERANCE:.0%} of the students' {target:{fmt}}{unit}", ">=",
                      (1 - TOLERANCE) * target),
            Condition(name, f"{what} is at most {1 + TOLERANCE:.0%} of the students' {target:{fmt}}{unit}", "<=",
                      (1 + TOLERANCE) * target))


def pull_within(target: float, run: str) -> tuple[Condition, Condition]:
    return _within(PULL, f"the L1 pull of {run}", target, ".2f", " x the initial bound")


def threshold_within(target: float) -> tuple[Condition, Condition]:
    return _within(THRESH, "the threshold beta x lambda", target, ".3g")


STEPS_WITHIN = _within(STEPS, "the number of SGD steps", TABLE2_STEPS, ",")

# --- wording shared by the claims ------------------------------------------------------------------------------
POINTS = dict(unit=100, unit_name="points", digits=2)
SHARE = dict(unit=100, unit_name="points", digits=1)
STUDENTS_SETTING = (f"all of CIFAR-10 (50,000 images), S-FC alpha = 1, lambda {STUDENTS_LAMBDA:g}, cosine from lr "
                    f"{STUDENTS_LR:g}, batch {STUDENTS_BATCH}, {TABLE2_EPOCHS} epochs ({TABLE2_STEPS:,} steps, pull "
                    f"{TABLE2_PULL:.2f} x the initial bound), no augmentation, BCE loss")
FIG2_SETTING = (f"all of CIFAR-10, S-FC alpha = 1, beta {STUDENTS_BETA:g}, lambda {STUDENTS_LAMBDA:g}, {FIG2_EPOCHS} "
                f"epochs ({STUDENTS_STEPS_PER_EPOCH * FIG2_EPOCHS:,} steps, pull {FIG2_PULL:.2f} x the bound)")
OURS_STUDENTS = ("the students' setting: their betas at their L1 pull and threshold (lambda scaled so that the pull "
                 "over the run is their 2.18 x the bound, beta divided by the same factor), `epochs` epochs (400 in the "
                 "published run: 5,600 steps on the CIFAR-10 copy here), paired with S-FC SGD of as many epochs")
OURS_PULL = ("the pull setting: the run whose pull is nearest the students' {pull:.2f} x the bound, at the students' "
             "threshold beta x lambda = 1e-3, `pull_epochs` epochs (30 in the published run), paired with S-FC SGD of as "
             "many epochs")
ACC = "final-epoch balanced test accuracy, beta-LASSO minus S-FC SGD, paired by seed (shared split, init and batches)"
BETAS_CMD = ("the students' betas at their pull and threshold: `papermill notebooks/beta_lasso.ipynb out.ipynb -p "
             "students_pull 2.18 -y '{betas: [0.0, 1.0, 50.0]}'` (the defaults); at their own lambda and their 39,200 "
             "steps instead: `-p students_pull 0 -p epochs 2800 -y '{datasets: [cifar10]}'` (12 runs of about half an "
             "hour each here, two at a time on the two cores: about 3 hours; minutes on one GPU)")
NOT_MNIST = NotReported("the study ran CIFAR-10 and SVHN, never MNIST")


def _students_acc(beta: float) -> Claim:
    return Claim(
        id=f"{CHAPTER}.beats-sgd-beta{beta:g}",
        words="changing the optimization algorithm from SGD to β-LASSO does in fact increase the performance of "
              "the S-FC model", where=f"section III-B, Table II (beta = {beta:g})", setting=STUDENTS_SETTING,
        study_data="cifar10", data="cifar10",
        study=Reported(gain(beta), f"{100 * STUDENTS_BETA_ACC[beta]:.2f} - {100 * STUDENTS_SGD:.2f}, {TABLE2_HOW}"),
        measure=f"{ACC}, at beta = {beta:g}", scope="CIFAR-10 copy, " + OURS_STUDENTS,
        section="beta_lasso-accuracy",
        conditions=(in_run(f"beta = {beta:g} in the students' setting on CIFAR-10"),
                    *pull_within(TABLE2_PULL, "the beta-LASSO run"), *threshold_within(beta * STUDENTS_LAMBDA)),
        **POINTS)


def _pull_acc(dataset: str) -> Claim:
    cifar = dataset == "cifar10"
    return Claim(
        id=f"{CHAPTER}.beats-sgd-at-students-pull" + ("" if cifar else "-mnist"),
        words="changing the optimization algorithm from SGD to β-LASSO does in fact increase the performance of "
              "the S-FC model", where="section III-B, Table II (beta = 50: the threshold 1e-3 used here)",
        setting=STUDENTS_SETTING, study_data="cifar10", data=dataset,
        study=Reported(gain(STUDENTS_BETA), f"{100 * STUDENTS_BETA_ACC[50.0]:.2f} - {100 * STUDENTS_SGD:.2f}, "
                                            f"{TABLE2_HOW}; the row whose threshold and pull ours match")
        if cifar else NOT_MNIST,
        measure=ACC, scope=("CIFAR-10 copy, " if cifar else MNIST_HERE + ", ") + OURS_PULL.format(pull=TABLE2_PULL),
        section="beta_lasso-accuracy",
        conditions=(in_run(f"the pull setting on {dataset}"), *pull_within(TABLE2_PULL, "that run"),
                    *threshold_within(THRESHOLD)),
        **POINTS)


def _sparsity(layer: int) -> Claim:
    s1, s2, s3 = STUDENTS_FIG2["cifar10"]
    base = dict(where="section III-C, Fig. 2 (CIFAR-10)", setting=FIG2_SETTING, study_data="cifar10,svhn",
                data="cifar10", section="beta_lasso-sparsity",
                scope=f"CIFAR-10 copy, the beta-LASSO run whose pull is nearest the students' Fig. 2 run's "
                      f"({FIG2_PULL:.2f} x the bound), at their threshold beta x lambda = 1e-3, any setting",
                conditions=(in_run("a beta-LASSO run on CIFAR-10"), *pull_within(FIG2_PULL, "that run"),
                            *threshold_within(THRESHOLD)), **SHARE)
    if layer == 1:
        return Claim(id=f"{CHAPTER}.layer1-sparse", words="the first layer is constantly getting sparser and sparser",
                     study=Reported(1 - s1, f"1 - {s1:.2f}: {FIG2_HOW}"),
                     measure="1 - the share of layer 1's weights left non-zero at the final epoch, mean over seeds",
                     **base)
    if layer == 2:
        return Claim(id=f"{CHAPTER}.layer2-milder",
                     words="as well as the second layer (but a bit more mildly)",
                     study=Reported({"layer 2 sparser": 1 - s2, "more mildly than layer 1": s2 - s1},
                                    f"1 - {s2:.2f} and {s2:.2f} - {s1:.2f}: {FIG2_HOW}"),
                     measure="1 - layer 2's non-zero share (it gets sparser), and layer 2's share minus layer 1's "
                             "(more mildly), paired by seed; both must hold", **base)
    return Claim(id=f"{CHAPTER}.layer3-dense",
                 words="whereas the third layer graph saturates pretty quickly and stays dense (relative to its size)",
                 study=Reported(s3 - s1, f"{s3:.2f} - {s1:.2f}: {FIG2_HOW}"),
                 measure="layer 3's non-zero share minus layer 1's (it stays dense where layer 1 thins), paired by seed",
                 **base)


def _locality(dataset: str, at_pull: bool) -> Claim:
    cifar = dataset == "cifar10"
    name = "CIFAR-10 copy" if cifar else MNIST_HERE
    slug = "local-filters" + ("-at-students-pull" if at_pull else "") + ("" if cifar else "-mnist")
    scope = (OURS_PULL.format(pull=TABLE2_PULL) if at_pull else
             "the students' setting: beta = 50 at their lambda, `epochs` epochs (400 in the published run), against "
             "S-FC SGD of as many epochs")
    confound = "" if cifar else (
        "; on MNIST the shuffled baseline spreads weights over border pixels that never vary, so part of the gain "
        "over it comes from the digits' support, not from locality: the variance-weighted null is the one that "
        "counts there (the review's appendix A)")
    return Claim(
        id=f"{CHAPTER}.{slug}",
        words="the same network, this time trained with β-LASSO, ends up learning completely different filters - "
              "they are sparse show more locality overall",
        where="section III-D, Fig. 3", setting=STUDENTS_SETTING.replace("BCE loss", "beta 50, BCE loss"),
        study_data="cifar10,svhn", data=dataset,
        study=NotReported("pictures of first-layer filters only") if cifar else NOT_MNIST,
        measure=("locality index of S-FC beta-LASSO's first layer, (window mass - baseline) / (1 - baseline), "
                 "paired by seed, against four baselines: S-FC SGD's window mass; the same weights at shuffled pixel "
                 "positions (what sparsity alone gives); the same weights at pixels drawn in proportion to the pixels' "
                 "variance (what sparsity and the data's support give); S-FC SGD of the same seed (same "
                 "initialisation) magnitude-pruned unit by unit to the beta-LASSO unit's number of weights (what "
                 f"pruning a trained layer gives); all four must exceed {LOCAL_MIN:g} (a tenth of the way to a 9x9 "
                 f"kernel: this registry's convention, the study gave pictures only){confound}"),
        scope=f"{name}, {scope}", section="beta_lasso-locality", threshold=LOCAL_MIN,
        conditions=(in_run(("the pull setting" if at_pull else "beta = 50 in the students' setting") + f" on {dataset}"),
                    *pull_within(TABLE2_PULL, "the beta-LASSO run"), *threshold_within(THRESHOLD)),
        unit=1.0, digits=3)


def _untestable_scale() -> str:
    return ("needs all of each dataset (the CIFAR-10 copy here has 7,728 of 50,000 training images; CIFAR-100 and "
            "SVHN are not here) and the paper's scale: `papermill notebooks/beta_lasso.ipynb out.ipynb -p alpha 150 "
            "-p epochs 4000 -p augment True -p pull_epochs 400 -p device cuda -y '{datasets: [cifar10, cifar100, "
            "svhn]}'`; one S-FC step at alpha = 150 (256M parameters) is about 0.8 TFLOP, about 10 ms on an H200, so "
            "4000 epochs of CIFAR-10 (392,000 steps) is about an hour per run: about 20 GPU-hours for SGD and "
            "beta-LASSO, 3 seeds, 3 datasets")


CLAIMS = (
    # --- Table II: accuracy -----------------------------------------------------------------------------------
    _students_acc(0.0),
    _students_acc(1.0),
    _students_acc(50.0),
    _pull_acc("cifar10"),
    Claim(
        id=f"{CHAPTER}.beta50-hurts",
        words="increasing β too much (to 50) starts to negatively affect the model, which is not the case in the "
              "original paper", where="section III-B, Table II; summary (\"compared to smaller values\")",
        setting=STUDENTS_SETTING, study_data="cifar10", data="cifar10",
        study=Reported({f"vs beta={b:g}": STUDENTS_BETA_ACC[50.0] - STUDENTS_BETA_ACC[b] for b in (0.0, 1.0)},
                       f"beta=50 minus each smaller beta, {TABLE2_HOW}"),
        measure="final-epoch balanced test accuracy, beta = 50 minus each smaller beta, paired by seed; lower at "
                "beta = 50 against both", direction=-1,
        scope="CIFAR-10 copy, " + OURS_STUDENTS.replace(", paired with S-FC SGD of as many epochs", ""),
        section="beta_lasso-accuracy",
        conditions=(in_run("beta = 50 and the smaller beta in the students' setting on CIFAR-10"),
                    *pull_within(TABLE2_PULL, "the beta = 50 run")),
        **POINTS),
    Claim(
        id=f"{CHAPTER}.beats-sgd-bce",
        words="changing the optimization algorithm from SGD to β-LASSO does in fact increase the performance of "
              "the S-FC model", where="section III-B, Table II, as trained: `BCEWithLogitsLoss` on one-hot targets "
                                      "(their src/train.py)",
        setting=STUDENTS_SETTING, study_data="cifar10", data="cifar10",
        study=Reported(gain(STUDENTS_BETA), f"beta = 50, {TABLE2_HOW}"),
        measure=f"{ACC}, both trained with the students' BCE loss on one-hot targets in place of softmax "
                "cross-entropy, at beta = 50",
        scope="CIFAR-10 copy, " + OURS_STUDENTS.replace("their betas", "beta = 50") + "; the first `bce_seeds` seeds "
              "(2 in the published run)",
        section="beta_lasso-accuracy",
        conditions=(in_run("the BCE runs in the students' setting on CIFAR-10"),
                    *pull_within(TABLE2_PULL, "the beta-LASSO run"), *threshold_within(THRESHOLD)),
        **POINTS),
    _pull_acc("mnist"),
    Claim(
        id=f"{CHAPTER}.beats-sgd-beta50-mnist",
        words="changing the optimization algorithm from SGD to β-LASSO does in fact increase the performance of "
              "the S-FC model", where="section III-B, Table II (beta = 50)", setting=STUDENTS_SETTING,
        study_data="cifar10", data="mnist", study=NOT_MNIST, measure=f"{ACC}, at beta = 50",
        scope=MNIST_HERE + ", " + OURS_STUDENTS.replace("5,600 steps on the CIFAR-10 copy here", "3,600 steps on MNIST"),
        section="beta_lasso-accuracy",
        conditions=(in_run("beta = 50 in the students' setting on MNIST"),
                    *pull_within(TABLE2_PULL, "the beta-LASSO run"), *threshold_within(THRESHOLD)),
        **POINTS),
    # --- the paper's Table 2 ----------------------------------------------------------------------------------
    Claim(
        id=f"{CHAPTER}.paper-beats-sgd",
        words="one can guide even a fully-connected network to learn sparse and locally-focused filters, leading "
              "them to perform well on image-classification tasks", where="section IV (summary); the paper's Table 2",
        setting="all of CIFAR-10, CIFAR-100, SVHN; S-FC alpha = 150 (256M parameters), 4000 epochs, augmentation",
        study_data="cifar10,cifar100,svhn", data="cifar10",
        study=Reported({d: paper_gain(d) for d in PAPER_TABLE2}, "S-FC beta-LASSO minus S-FC SGD, one run each, the "
                                                                 "paper's Table 2"),
        measure="final test accuracy, S-FC beta-LASSO minus S-FC SGD, paired by seed, on each dataset",
        scope="not run here", section="beta_lasso-scale", untestable=_untestable_scale(), **POINTS),
    Claim(
        id=f"{CHAPTER}.paper-closes-gap",
        words="bridges the gap between fully-connected and convolutional nets",
        where="the paper's Table 2 (the students' abstract)",
        setting="all of CIFAR-10, CIFAR-100, SVHN; S-FC and S-CONV at alpha = 150, 4000 epochs, augmentation",
        study_data="cifar10,cifar100,svhn", data="cifar10",
        study=Reported({d: paper_gap_closed(d) for d in PAPER_TABLE2},
                       "(S-FC beta-LASSO - S-FC SGD) / (S-CONV - S-FC SGD), the paper's Table 2"),
        measure="the share of the S-FC SGD -> S-CONV gap in test accuracy that beta-LASSO closes, above one half "
                "(\"bridges\": most of it)", threshold=0.5,
        scope="not run here", section="beta_lasso-scale", untestable=_untestable_scale(), digits=2),
    Claim(
        id=f"{CHAPTER}.paper-ordering",
        words="S-CONV > S-LOCAL > S-FC trained with β-LASSO > S-FC trained with SGD (the order of the paper's Table 2 "
              "on CIFAR-10 and CIFAR-100)", where="the paper's Table 2",
        setting="all of CIFAR-10 and CIFAR-100; S-CONV, S-LOCAL, S-FC at alpha = 150, 4000 epochs, augmentation",
        study_data="cifar10,cifar100", data="cifar10",
        study=Reported({f"{a} - {b}": PAPER_TABLE2["cifar10"][a] - PAPER_TABLE2["cifar10"][b]
                        for a, b in (("S-CONV", "S-LOCAL"), ("S-LOCAL", "S-FC beta-LASSO"),
                                     ("S-FC beta-LASSO", "S-FC SGD"))},
                       "consecutive differences on CIFAR-10, one run each, the paper's Table 2"),
        measure="final test accuracy, each model minus the next in the order, paired by seed; all three positive",
        scope="not run here", section="beta_lasso-scale",
        untestable="the order is a claim about alpha = 150: at the alpha = 1 run here S-CONV has a single 9x9 filter "
                   "and S-LOCAL a single one per position (S-FC's first layer has 256 units), so S-CONV trails S-FC SGD "
                   "and the order cannot be read at this width; " + _untestable_scale(),
        **POINTS),
    # --- Fig. 2: non-zero weights per layer -----------------------------------------------------------------
    _sparsity(1),
    _sparsity(2),
    _sparsity(3),
    Claim(
        id=f"{CHAPTER}.sparsity-mnist",
        words="the first layer is constantly getting sparser and sparser, as well as the second layer (but a bit "
              "more mildly), whereas the third layer ... stays dense", where="section III-C, Fig. 2",
        setting=FIG2_SETTING, study_data="cifar10,svhn", data="mnist", study=NOT_MNIST,
        measure="at the final epoch, paired by seed: 1 - layer 1's non-zero share; 1 - layer 2's; layer 2's minus "
                "layer 1's; layer 3's minus layer 1's; all must hold",
        scope=f"{MNIST_HERE}, the beta-LASSO run whose pull is nearest the students' Fig. 2 run's ({FIG2_PULL:.2f} x the "
              "bound), at their threshold, any setting", section="beta_lasso-sparsity",
        conditions=(in_run("a beta-LASSO run on MNIST"), *pull_within(FIG2_PULL, "that run"),
                    *threshold_within(THRESHOLD)),
        **SHARE),
    Claim(
        id=f"{CHAPTER}.sparsity-svhn",
        words="the first layer is constantly getting sparser and sparser, as well as the second layer (but a bit "
              "more mildly), whereas the third layer ... stays dense", where="section III-C, Fig. 2 (SVHN)",
        setting=FIG2_SETTING.replace("CIFAR-10", "SVHN"), study_data="cifar10,svhn", data="svhn",
        study=Reported(dict(zip(("layer 1 sparse", "layer 2 sparser", "layer 2 more mildly", "layer 3 denser"),
                                (1 - STUDENTS_FIG2["svhn"][0], 1 - STUDENTS_FIG2["svhn"][1],
                                 STUDENTS_FIG2["svhn"][1] - STUDENTS_FIG2["svhn"][0],
                                 STUDENTS_FIG2["svhn"][2] - STUDENTS_FIG2["svhn"][0]))),
                       "read off the students' Fig. 2 (SVHN), one run, beta = 50 after 100 epochs: about 155k of "
                       "786,432, 3,950 of 6,144 and 196 of 240 weights left"),
        measure="as for CIFAR-10, on SVHN", scope="not run here", section="beta_lasso-sparsity",
        untestable="SVHN is not on this machine (no internet); where torchvision can fetch it, `papermill "
                   "notebooks/beta_lasso.ipynb out.ipynb -y '{datasets: [svhn], pulls: [0.5]}'` trains the runs (the "
                   "pull run of 30 epochs: about 15 CPU-minutes, a minute on one GPU), and the report then needs this "
                   "claim's measurement (the CIFAR-10 one's, on SVHN)",
        **SHARE),
    # --- Fig. 3: first-layer filters --------------------------------------------------------------------------
    _locality("cifar10", at_pull=False),
    _locality("cifar10", at_pull=True),
    _locality("mnist", at_pull=False),
    _locality("mnist", at_pull=True),
    Claim(
        id=f"{CHAPTER}.sgd-sometimes-local",
        words="the filters learned by S-FC using the SGD algorithm are completely dense, but sometimes showing a "
              "tendency to be locally-correlated", where="section III-D, Fig. 3",
        setting=STUDENTS_SETTING.replace("lambda 2e-05, ", "SGD, "), study_data="cifar10,svhn", data="cifar10",
        study=NotReported("pictures of first-layer filters only"),
        measure="S-FC SGD's window mass minus that of its own weights at shuffled pixel positions, mean over seeds "
                "(a tendency: its sign, no size)",
        scope="CIFAR-10 copy, S-FC SGD of the students' setting (`epochs` epochs)", section="beta_lasso-filters",
        conditions=(in_run("S-FC SGD in the students' setting on CIFAR-10"), *STEPS_WITHIN),
        unit=1.0, digits=3),
    Claim(
        id=f"{CHAPTER}.svhn-filters",
        words="more noticeable in the plots corresponding to SVHN; ... they are sparse show more locality overall",
        where="section III-D, Fig. 3 (SVHN)", setting=STUDENTS_SETTING.replace("CIFAR-10 (50,000 images)", "SVHN"),
        study_data="cifar10,svhn", data="svhn", study=NotReported("pictures of first-layer filters only"),
        measure="the locality index of the CIFAR-10 claims, on SVHN", scope="not run here",
        section="beta_lasso-filters",
        untestable="SVHN is not on this machine (no internet); where torchvision can fetch it, `-y '{datasets: "
                   "[svhn]}'` trains both settings (about 2 CPU-hours at 400 epochs; minutes on one GPU), and the report "
                   "then needs this claim's measurement (the CIFAR-10 one's, on SVHN)",
        unit=1.0, digits=3),
)

LOCALITY_RULE = (
    "beta-LASSO makes S-FC's first layer more local where its locality index, (window mass - baseline) / "
    "(1 - baseline), lies above " f"{LOCAL_MIN:g}" " against all four baselines, paired by seed: S-FC SGD's window "
    "mass at the same epochs; the same weights at shuffled pixel positions (what sparsity alone gives); the same "
    "weights at pixels drawn in proportion to the pixels' variance (what sparsity and the data's support give); "
    "S-FC SGD of the same seed pruned unit by unit to the beta-LASSO unit's number of weights (what pruning a "
    "trained layer gives). The "
    "window mass is the share of a unit's |weight| in its best 9x9 window (S-CONV's kernel), averaged over live "
    "units (units with every weight zero are left out and counted). The claim is tested only on a run whose first-"
    f"layer L1 pull is within {TOLERANCE:.0%} of the students' {TABLE2_PULL:.2f} x the initial bound, at their "
    "threshold beta x lambda = 1e-3; the book's engine grades it (see the scorecard).")

CHANGES = (
    Change(f"{CHAPTER}.beats-sgd-beta1",
           "Before this run (issue 27) the students' setting moved from their lambda at 1/7 of their steps (5,600 "
           "steps on the CIFAR-10 copy: a pull of 0.31 x the bound) to their pull and threshold over the same 400 "
           "epochs (lambda x 7, beta / 7), betas 0 and 1 came back, the students' BCE loss was added, and a control "
           "run at their own lambda for their step count shows what the substitution changes.",
           "beta = 1 was not run at 7f08592; beta = 0 and 50 ran at a pull of 0.31 x the bound, which this registry "
           "grades 'not tested here' (the pull condition)."),
    Change(f"{CHAPTER}.local-filters-at-students-pull",
           "Before this run (issue 27) two baselines were added to the locality claims, and all four must now be "
           "passed: the same weights at pixels drawn in proportion to the pixels' variance (a null that keeps the "
           "data's support) and S-FC SGD pruned unit by unit to the beta-LASSO unit's number of weights.",
           "against S-FC SGD and shuffled positions only, 'reproduced' at 7f08592 (CIFAR-10 pull x2: window mass "
           "0.357 against shuffled 0.228); the review's variance-weighted null explained about 75%, 85% and 53% of "
           "MNIST's gain over shuffled at beta = 50, pull x1 and pull x2."),
    Change(f"{CHAPTER}.local-filters",
           "The locality measure was replaced after its results were seen: the spread of each unit's weight mass "
           "around its centre (commit a97a6fb) gave way to the window mass with shuffled and uniform baselines "
           "(commit 89bc78a, published in 7f08592), a pull setting and MNIST rows were added, and betas 0 and 1 were "
           "dropped; this registry then added the pull condition and the size threshold.",
           "'not reproduced' on CIFAR-10 with betas 0, 1, 50 (700 images per class): spread 13.0 px with SGD, 12.9 px "
           "with beta-LASSO, S-LOCAL 3.6 px. The window mass then graded the claim 'reproduced' in all four rows "
           "(CIFAR-10 students' setting +0.009 +- 0.002 over SGD at a pull of 0.31 x the bound)."),
    Change(f"{CHAPTER}.beta50-hurts",
           "Betas 0 and 1 were dropped from the students' setting after this claim was graded "
           "(book/params/beta_lasso.yaml had `betas: [0.0, 1.0, 50.0]` until 89bc78a), which removed its only test; "
           "it is registered again, against both smaller betas.",
           "'inconclusive' at a97a6fb: beta=50 minus beta=0 (the smaller beta best on validation) -0.11 +- 2.80 "
           "points on CIFAR-10."),
    Change(f"{CHAPTER}.beats-sgd-beta0",
           "At a97a6fb the accuracy claim was graded at the beta best on validation among 0, 1, 50 (beta = 0); then "
           "betas 0 and 1 were dropped, and the claim is now one per beta against the students' own gain.",
           "'inconclusive': beta = 0 minus SGD +1.40 +- 2.62 points on CIFAR-10."),
    Change(f"{CHAPTER}.beats-sgd-beta50",
           "Graded against the students' +3.47 points, on CIFAR-10 only, with the pull condition; the MNIST rows are "
           "separate claims beyond the study.",
           "'inconclusive' at 7f08592 in both CIFAR-10 rows (students' setting -1.03 +- 4.08, pull x2 +1.41 +- 2.06 "
           "points; under the stated rule the first excluded +3.47, i.e. 'not reproduced'), and 'reproduced' from "
           "MNIST alone (pull x2 +0.32 +- 0.15 points)."),
    Change(f"{CHAPTER}.layer1-sparse",
           "The sparsity claim was graded as 'last layer minus first > 0' against a typed description (layer 1 'a "
           "few %', the last 'near 100%') that misread the students' figure; it is now three claims, layer by "
           "layer, against the figure's 38 / 72 / 74%, on the run at the figure's pull.",
           "'inconclusive' at a97a6fb (layer 1 65.7%, last layer 99.7%); 'reproduced' in all four rows at 7f08592 "
           "(CIFAR-10 students' setting: layer 1 55.2%, last 98.2%)."),
    *(Change(f"{CHAPTER}.{slug}",
             "MNIST (beyond the study) trained on a class-balanced 500 images per class instead of all 54,000 "
             "training images, to bring the published run within its 50 minutes (issue 27), registered before the "
             "run; the 400 epochs are 3,600 steps (42,400 before), the pull setting's 30 epochs 270 steps (3,180).",
             earlier)
      for slug, earlier in (
          ("beats-sgd-beta50-mnist", "'reproduced' at c608e63 on all of MNIST (+0.31 ± 0.12 points)."),
          ("beats-sgd-at-students-pull-mnist", "'reproduced' at c608e63 on all of MNIST (pull x2: +0.22 ± 0.18 points)."),
          ("sparsity-mnist", "'reproduced' at c608e63 on all of MNIST (layer 1 sparse +53.6 ± 0.2, layer 2 +26.9 ± "
                             "0.4, more mildly +26.7 ± 0.6, layer 3 denser +44.6 ± 5.5 points)."),
          ("local-filters-mnist", "'reproduced' at c608e63 on all of MNIST (window mass over the variance-weighted "
                                  "null +0.185 ± 0.024, over SGD pruned +0.279 ± 0.010)."),
          ("local-filters-at-students-pull-mnist", "'reproduced' at c608e63 on all of MNIST (over the "
                                                   "variance-weighted null +0.285 ± 0.041, over SGD pruned +0.324 ± "
                                                   "0.055)."))),
    Change(f"{CHAPTER}.beats-sgd-bce",
           "Two seeds of the students' BCE loss instead of three, to bring the published run within its 50 minutes "
           "(issue 27: 'a seed or two is enough'), registered before the run.",
           "'weaker than reported' at c608e63 with 3 seeds (+2.18 ± 0.91 points against the students' +3.47)."),
)
