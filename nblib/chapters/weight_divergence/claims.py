"""The claims of study 3 (Rao, Kriplani, Musco: weight divergence after freeing weight sharing, building on
Ott et al. 2020), registered for the one engine.

Every claim of the study is here: the ones the published chapter graded (divergence, the 0.7 cosine
distance, noise and divergence, accuracy, overfitting, robustness, Ott's free net from scratch, the
leak, and beyond the study its future work on translations), the ones the review found ungraded
(Exp 0's small divergence that plateaus quickly, Exp 1's smooth non-decreasing curves at rings 1 and
4, Exp 2's "30% to 50% not much of an improvement", Exp 3's free net MORE accurate than its CNN,
the leak's inflated accuracy), and the two this machine cannot test (overfitting as the cause of the
divergence; the Euclidean distance dominated by the filters' norms).

The study's dataset is CIFAR-10 only. Its claims are graded on our CIFAR-10 runs at its noise levels
(sigma 0 / 0.3 / 0.5, no shift); where the published chapter also ran MNIST, that is a separate claim
(`...-mnist`), beyond the study. The study's numbers are one run per experiment, on its leaky split
(about 89% of its "validation" images have an identical copy in training: STUDIES.md), read from its
text and figure captions:

- Exp 0, sigma 0: the CNN 271 epochs to a validation-accuracy plateau, the free net 130 more; losses
  and distances only (figures 1, 2).
- Exp 1, sigma 0.3: the CNN 100 epochs (continued 100 more), the free net about 139; validation
  accuracy CNN 95.8%, free 94.0% (figure 3).
- Exp 2, sigma 0.5: the CNN 100 epochs (continued to about 270), the free net 500 more; CNN 94.0%,
  free 92.6% (figure 5); cosine distance about 0.7 at the end (figure 6).
- Exp 3, sigma 0.5: the CNN 50 epochs, the free net 50 more; CNN 83.85%, free 85.25% (figure 7): the
  free net against the CNN at the switch, not against a CNN trained as long.

Validity conditions take their limits from the study's regime: its free nets ran 130-500 epochs
after the switch (50 in Exp 3) to a validation plateau, from a CNN trained "to an optimum". A claim
about where the divergence ends (0.7, "large", a plateau, non-decreasing curves) is not tested by a
free phase of a few epochs whose distance is still rising.

This registry was written after the run published at the commit of book/weight_divergence.ipynb was
seen (its scorecard had 11 rows); CHANGES says which claims were replaced and what they found then.
"""
from __future__ import annotations

import dataclasses

from nblib.claims import Change, Claim, Condition, NotReported, Reported

CHAPTER = "weight_divergence"
SIGMAS = (0.0, 0.3, 0.5)  # the study's noise levels (Exp 0; Exp 1; Exp 2 and 3)

# --- the study's numbers (one run each, its leaky split) -----------------------------------------------
STUDY_ACC = {"exp1": {"cnn": 0.958, "free": 0.940}, "exp2": {"cnn": 0.940, "free": 0.926},
             "exp3": {"cnn": 0.8385, "free": 0.8525}}
STUDY_FREE_EPOCHS = {"exp0": 130, "exp1": 139, "exp2": 500, "exp3": 50}  # epochs after the switch
STUDY_COSINE = 0.7  # ring distances at the end of Exp 2 ("about 0.7"), after 500 epochs after the switch
# Ott et al., CIFAR-10 validation, median of 5 folds: no augmentation, and each net's best translation
OTT = {"cnn": 0.6711, "free": 0.6473, "cnn_best": 0.7741, "free_best": 0.7315}
OTT_SHIFT_SHARE = 0.2  # Ott's translations: 20-30% of the image side (6-10 px on 32 px)

# the attacks the runs record (experiment.EPS, experiment.TEST_SIGMAS)
ATTACK = "fgsm 0.03"
WEAK_ATTACK = "fgsm 0.01"
TEST_NOISE = ("noise 0.1", "noise 0.3")
CURVES = ("euclid r1", "euclid r4", "cosine r1", "cosine r4")  # first layer, the study's rings 1 and 4
CHANCE = 0.10  # class-balanced accuracy of a constant answer, 10 classes

LONG_EPOCHS = 60  # a free phase long enough for the end of the divergence to show (the study's: 130-500 epochs),
# provided the distance has plateaued by then (PLATEAU): a distance still rising is not graded
QUICK_EPOCHS = 30  # Exp 0's plateau came "quickly" in a 130-epoch free phase: a quarter of it
PLATEAU_GROWTH = 0.02  # a distance "has plateaued" when the last tenth of its epochs added under 2% of it
SMOOTH_DROP = 0.01  # "non-decreasing": no epoch lowers the curve by more than 1% of its value
NOT_MUCH = 0.5  # "not much of an improvement": more noise removes less than half of the overfitting
MEMORISED = 0.95  # the study's 95.8% needs the leaky net to know its training images (0.89 x ~1 + ...)


def setting(sigma: float) -> str:
    """A setting's name in the claims' measurements."""
    return f"sigma {sigma:g}"


def _points(x: float) -> str:
    return f"{100 * x:+.2f}"


# --- validity conditions ---------------------------------------------------------------------------------
RUNS = Condition("runs", "the setting was run (runs)", ">=", 1)
CNN_PLATEAU = Condition("cnn plateau", "every CNN stopped on its validation plateau before the switch, as the "
                                       "study's had reached 'an optimum' (share of runs stopped before the cap)",
                        ">=", 1.0)
LONG = Condition("epochs after the switch", f"at least {LONG_EPOCHS} epochs after the switch (the study's: "
                                            f"{STUDY_FREE_EPOCHS['exp0']}, about {STUDY_FREE_EPOCHS['exp1']} and "
                                            f"{STUDY_FREE_EPOCHS['exp2']})", ">=", LONG_EPOCHS)
QUICK = Condition("epochs after the switch", f"at least {QUICK_EPOCHS} epochs after the switch (room for the plateau "
                                             f"the study saw early in {STUDY_FREE_EPOCHS['exp0']} epochs)",
                  ">=", QUICK_EPOCHS)
PLATEAU = Condition("distance growth", "the ring-1 cosine distance has plateaued: the last tenth of the epochs "
                                       f"after the switch added less than {100 * PLATEAU_GROWTH:g}% of its value, in "
                                       "every run", "<", PLATEAU_GROWTH)
LEARNED = Condition("cnn learned", f"the CNN at the switch beats chance (class-balanced test accuracy above {CHANCE:g} "
                                   "in every run; the study's Exp 3 CNN was at 83.85%)", ">", CHANCE)
YARDSTICK = Condition("yardstick runs", "free nets from a random initialisation were run for the same seeds (filters "
                                        "learnt apart: the yardstick)", ">=", 1)
ABOVE_CHANCE = Condition("above chance", f"both nets stay above chance under the attack (class-balanced accuracy "
                                         f"above {CHANCE:g}) in every run", ">", CHANCE)
OVERFIT_03 = Condition("overfitting at sigma 0.3", "the free net overfits at sigma 0.3 (validation minus training loss "
                                                   "above 0 in every run), so more noise has overfitting to remove",
                       ">", 0.0)
MEMORISED_C = Condition("memorised", "the leaky net memorised its training images: class-balanced accuracy on the "
                                     "'validation' images that are copies of training images at least "
                                     f"{MEMORISED:g} in every run", ">=", MEMORISED)
UNSEEN = Condition("unseen images", "at least 100 'validation' images without a copy in training in every shuffle "
                                    "(the accuracy on them is measured on that many)", ">=", 100)
SCALE = Condition("shift share", f"the shifts are of Ott's size: at least {100 * OTT_SHIFT_SHARE:.0f}% of the image "
                                 "side (Ott: 20-30%, 6-10 px on CIFAR-10)", ">=", OTT_SHIFT_SHARE)
RANDOM_PLATEAU = Condition("random plateau", "every free net from a random initialisation stopped on its validation "
                                             "plateau before the epoch cap (Ott's nets trained to a plateau)",
                           ">=", 1.0)

# --- wording shared by the claims ---------------------------------------------------------------------------
LEAKY = ("one run, final validation accuracy on the study's leaky split (about 89% of its 'validation' images have "
         "an identical copy in training: STUDIES.md)")
NET = "Ott's CNN and its free copy, Adam 1e-4, batch 128"  # conv 5x5/64/2, 5x5/128/2, 3x3/256/1, dense 1024
STUDY_SETTING = {
    "exp0": f"CIFAR-10 (leaky split), {NET}, no noise; the CNN 271 epochs (to a plateau), the free net "
            f"{STUDY_FREE_EPOCHS['exp0']} more; one run",
    "exp1": f"CIFAR-10 (leaky split), {NET}, noise sigma 0.3; the CNN 100 epochs (continued 100 more), the free net "
            f"about {STUDY_FREE_EPOCHS['exp1']} more; one run",
    "exp2": f"CIFAR-10 (leaky split), {NET}, noise sigma 0.5; the CNN 100 epochs (continued to about 270), the free "
            f"net {STUDY_FREE_EPOCHS['exp2']} more; one run",
    "exp3": f"CIFAR-10 (leaky split), {NET}, noise sigma 0.5; the CNN {STUDY_FREE_EPOCHS['exp3']} epochs, the free "
            f"net {STUDY_FREE_EPOCHS['exp3']} more; one run",
}
ALL_EXPS = (f"CIFAR-10 (leaky split), {NET}, noise sigma 0 / 0.3 / 0.5 (Exp 0-2), the free net to a plateau; "
            "one run each")
OTT_SETTING = "Ott et al. 2020: the full CIFAR-10, CNN and free net each from scratch to a plateau; median of 5 folds"
LEAK_SETTING = "the study's split: CIFAR-10 train + test merged, shuffled in place (rows duplicated), first 80% 'train'"
PAIRED = "paired by seed (the free net and the CNN continued of one seed start from the same CNN)"
SECTION = {"leak": f"{CHAPTER}-leak", "training": f"{CHAPTER}-training", "divergence": f"{CHAPTER}-divergence",
           "robustness": f"{CHAPTER}-robustness", "shifts": f"{CHAPTER}-shifts"}


def _scope(sigmas=SIGMAS, data="CIFAR-10 (the partial copy)") -> str:
    return f"our {data} runs at noise sigma {' / '.join(f'{s:g}' for s in sigmas)}, no shift"


def _cifar(**kw) -> dict:
    return dict(study_data="cifar10", data="cifar10", **kw)


def _mnist(claim: Claim, sigmas: tuple[float, ...] | None = None) -> Claim:
    """The same claim measured on MNIST (at `sigmas` where they differ from the study's claim): its own id,
    beyond the study, which never used MNIST (so its CIFAR-10 number is no number for it)."""
    study = claim.study if isinstance(claim.study, NotReported) else NotReported(
        "the study ran CIFAR-10 only; its CIFAR-10 number is not one for MNIST")
    scope = _scope(sigmas, "MNIST") if sigmas else claim.scope.replace("CIFAR-10 (the partial copy)", "MNIST")
    return dataclasses.replace(claim, id=claim.id + "-mnist", data="mnist", study=study, scope=scope)


DIVERGE = Claim(
    id=f"{CHAPTER}.freed-weights-diverge",
    words="We observed that freed weights diverged by a large amount (abstract); freed weights do tend to diverge, "
          "and quite a bit at that (discussion)",
    where="Abstract; Discussion; figures 2, 4, 6",
    setting=STUDY_SETTING["exp2"],
    study=Reported(STUDY_COSINE, f"Exp 2's cosine distance, about {STUDY_COSINE:g} at the end of "
                                 f"{STUDY_FREE_EPOCHS['exp2']} epochs after the switch (its text on figure 6; one "
                                 "run), "
                                 "on the scale where unrelated (orthogonal) filters are at 1: about "
                                 f"{STUDY_COSINE:g} of the way to filters learnt apart; Exp 0 and 1 give figures only"),
    measure="how far the freed first-layer filters moved towards filters learnt apart: their final ring-1 cosine "
            "distance divided by that of a free net trained from a random initialisation (the same seed, no noise), "
            "per seed; the study flattened the whole (kernel x C_out) block of a position, ours averages per "
            "output channel. The distance is exactly 0 at the switch, so only its size is graded",
    scope=_scope((0.5,)), section=SECTION["divergence"], guaranteed=True,
    conditions=(RUNS, YARDSTICK, CNN_PLATEAU, LONG, PLATEAU), digits=3, **_cifar())

FAR = Claim(
    id=f"{CHAPTER}.diverge-as-far-as-study",
    words="the cosine distances were about 0.7 at the end of the training, confirming that we are moving away from "
          "the converged structure",
    where="Experiment 2; figures 5 (caption: 'trained for 500 more epochs') and 6",
    setting=STUDY_SETTING["exp2"],
    study=Reported(STUDY_COSINE, f"about {STUDY_COSINE:g} at the end of {STUDY_FREE_EPOCHS['exp2']} epochs after the "
                                 "switch, one run; first layer, interior positions, the whole (kernel x C_out) block "
                                 "of a position flattened"),
    measure="final first-layer cosine distance between filters at ring 1 (mean over positions and output channels; "
            "0 at the switch by construction, so only its size is graded)",
    scope=_scope((0.5,)), section=SECTION["divergence"], guaranteed=True,
    conditions=(RUNS, CNN_PLATEAU, LONG, PLATEAU), digits=3, **_cifar())

NOISE_DIVERGES = Claim(
    id=f"{CHAPTER}.noise-increases-divergence",
    words="freed weights do tend to diverge, and quite a bit at that, especially when provided with noisy training "
          "data",
    where="Discussion; Exp 0 ('only to a small degree') against Exp 2 ('about 0.7'); figures 2, 4, 6",
    setting=ALL_EXPS,
    study=NotReported("figures only, and its runs differ in length (130 against 500 epochs after the switch)"),
    measure="final ring-1 cosine distance of the freed first-layer filters at sigma 0.3 / 0.5 minus at sigma 0, "
            "after the same number of epochs, paired by seed",
    scope=_scope((0.3, 0.5)) + ", each against sigma 0", section=SECTION["divergence"],
    conditions=(RUNS, CNN_PLATEAU), digits=4, **_cifar())

SMALL_PLATEAU = Claim(
    id=f"{CHAPTER}.no-noise-divergence-plateaus",
    words="The weights were observed to diverge, but only to a small degree, and they quickly reached a plateau "
          "after their initial increase",
    where="Experiment 0; figure 2",
    setting=STUDY_SETTING["exp0"],
    study=NotReported("figure 2 only"),
    measure="what the last tenth of the epochs after the switch added to the ring-1 cosine distance, as a share of "
            f"its value (a plateau: below {100 * PLATEAU_GROWTH:g}%); the small degree is the sigma 0 side of "
            "noise-increases-divergence",
    scope=_scope((0.0,)), section=SECTION["divergence"], threshold=PLATEAU_GROWTH, direction=-1,
    conditions=(RUNS, CNN_PLATEAU, QUICK), unit=100, unit_name="%", digits=1, **_cifar())

SMOOTH = Claim(
    id=f"{CHAPTER}.distances-non-decreasing",
    words="Figure 4 observes a smooth non-decreasing curve for the euclidean distances and cosine distances between "
          "filters at distance 1 and distance 4",
    where="Experiment 1; figure 4",
    setting=STUDY_SETTING["exp1"],
    study=NotReported("figure 4 only"),
    measure="per curve (Euclidean and cosine distance, rings 1 and 4, first layer): its largest drop from one epoch "
            f"to the next, as a share of its value (non-decreasing: under {100 * SMOOTH_DROP:g}%); all four must pass",
    scope=_scope((0.3,)) + ", the four curves", section=SECTION["divergence"], threshold=SMOOTH_DROP, direction=-1,
    conditions=(RUNS, CNN_PLATEAU, LONG), unit=100, unit_name="%", digits=1, **_cifar())

LESS_ACCURATE = Claim(
    id=f"{CHAPTER}.free-less-accurate",
    words="Final CNN validation accuracy achieved: 95.8%. Final FCN validation accuracy achieved: 94% (Exp 1); "
          "... 94% ... 92.6% (Exp 2)",
    where="Experiments 1 and 2; captions of figures 3 and 5; Abstract ('worse accuracy')",
    setting=STUDY_SETTING["exp1"] + "; " + STUDY_SETTING["exp2"],
    study=Reported({setting(0.3): STUDY_ACC["exp1"]["free"] - STUDY_ACC["exp1"]["cnn"],
                    setting(0.5): STUDY_ACC["exp2"]["free"] - STUDY_ACC["exp2"]["cnn"]},
                   "free minus CNN, " + LEAKY + "; the CNN trained on as long as the free net (Exp 1: 100 more "
                   "epochs; Exp 2: to its plateau)"),
    measure="final class-balanced test accuracy, free net minus the CNN continued, " + PAIRED,
    scope=_scope((0.3, 0.5)), section=SECTION["training"], direction=-1,
    conditions=(RUNS, CNN_PLATEAU), unit=100, unit_name="points", digits=1, **_cifar())

LESS_ACCURATE_NO_NOISE = Claim(
    id=f"{CHAPTER}.free-less-accurate-no-noise",
    words="the solutions were universally overfits, meaning that they had worse accuracy and robustness",
    where="Abstract; Experiment 0 (figure 1: losses only)",
    setting=STUDY_SETTING["exp0"],
    study=NotReported("Exp 0 reports losses only, no accuracy"),
    measure="final class-balanced test accuracy, free net minus the CNN continued, " + PAIRED,
    scope=_scope((0.0,)), section=SECTION["training"], direction=-1,
    conditions=(RUNS, CNN_PLATEAU), unit=100, unit_name="points", digits=1, **_cifar())

MORE_ACCURATE_SHORT = Claim(
    id=f"{CHAPTER}.free-more-accurate-short",
    words="Final CNN validation accuracy achieved: 83.85%. Final FCN validation accuracy achieved: 85.25%",
    where="Experiment 3; caption of figure 7",
    setting=STUDY_SETTING["exp3"],
    study=Reported(STUDY_ACC["exp3"]["free"] - STUDY_ACC["exp3"]["cnn"],
                   "free after its 50 epochs minus the CNN at the switch (50 epochs), " + LEAKY),
    measure="final class-balanced test accuracy of the free net minus that of the CNN at the switch (the study's "
            "comparison: the free net trained on, the CNN not), paired by seed",
    scope=_scope((0.5,)), section=SECTION["training"],
    conditions=(RUNS, LEARNED), unit=100, unit_name="points", digits=1, **_cifar())

VAL_LOSS_SHORT = Claim(
    id=f"{CHAPTER}.free-val-loss-settles-short",
    words="We observed a trend of small decrease and stabilizing of validation loss in the FCNs",
    where="Experiment 3; figure 7",
    setting=STUDY_SETTING["exp3"],
    study=NotReported("figure 7 only"),
    measure="the free net's final validation loss minus the CNN's at the switch (a decrease), paired by seed",
    scope=_scope((0.5,)), section=SECTION["training"], direction=-1,
    conditions=(RUNS, LEARNED), digits=3, **_cifar())

OVERFITS = Claim(
    id=f"{CHAPTER}.free-overfits-more",
    words="We still observed heavy overfitting in the FCNs as compared to the CNNs (Exp 1); FCNs primarily tended to "
          "use their extra parameters to overfit this noise (discussion)",
    where="Experiment 1 (figure 3); Discussion; Abstract ('universally overfits')",
    setting=ALL_EXPS,
    study=NotReported("loss curves only (figures 1, 3, 5)"),
    measure="overfitting = final validation loss minus final clean training loss; free net minus the CNN continued, "
            + PAIRED,
    scope=_scope(), section=SECTION["training"],
    conditions=(RUNS, CNN_PLATEAU), digits=3, **_cifar())

NOISE_LITTLE_HELP = Claim(
    id=f"{CHAPTER}.more-noise-little-help",
    words="Interestingly, we did not observe much of an improvement in changing the noise augmentation from 30% to 50%",
    where="Experiment 2; figures 3 and 5",
    setting=STUDY_SETTING["exp2"],
    study=NotReported("loss curves only (figures 3 and 5)"),
    measure="the share of the free net's overfitting (final validation minus clean training loss) that sigma 0.5 "
            "removes against sigma 0.3, 1 - gap(0.5) / gap(0.3), per seed (paired by seed); 'not much': under "
            f"{NOT_MUCH:g}",
    scope=_scope((0.3, 0.5)) + ", sigma 0.5 against 0.3", section=SECTION["training"], threshold=NOT_MUCH,
    direction=-1, conditions=(RUNS, CNN_PLATEAU, OVERFIT_03), digits=2, **_cifar())

CAUSE = Claim(
    id=f"{CHAPTER}.overfitting-causes-divergence",
    words="FCNs primarily tended to use their extra parameters to overfit this noise, and that was why their weights "
          "would diverge",
    where="Discussion",
    setting=ALL_EXPS,
    study=NotReported("an explanation, no measurement"),
    measure="would need the divergence to follow the overfitting when only the overfitting changes (the training set "
            "size at a fixed noise level)",
    scope="runs at several training-set sizes up to the full CIFAR-10", section=SECTION["divergence"],
    untestable="a causal claim: it needs runs where the overfitting changes at a fixed noise level (the training set "
               "from 5,000 to the full CIFAR-10's 50,000 images) and the divergence is seen to follow. This machine "
               "has the partial CIFAR-10 copy (at most 7.7k training images) and 2 CPU cores. On a GPU with the full "
               "CIFAR-10, the chapter at train_per_class 500, 1000 and 0 (all), e.g. `papermill "
               "notebooks/weight_divergence.ipynb out.ipynb -y \"datasets: [cifar10]\" -p cnn_epochs 100 "
               "-p after_epochs 100 -p patience 50 -p lr 0 -p train_per_class 0 -p device cuda` per size: GPU-hours, "
               "not measured here (9 runs per size of up to 100 CNN epochs and 2 x 100 after the switch; the free net "
               "has 11.1M parameters)",
    **_cifar())

NORMS = Claim(
    id=f"{CHAPTER}.euclidean-dominated-by-norms",
    words="the Euclidean distance may be more representative of the difference in norms of the filters rather than "
          "the difference in their spatial orientations",
    where="Introduction, Motivations",
    setting=ALL_EXPS,
    study=NotReported("an argument from the formula, no measurement"),
    measure="would need the filters' norms per position beside the Euclidean and cosine distances",
    scope=_scope(), section=SECTION["divergence"],
    untestable="the runs record the filter distances, not the filters' norms; recording them is a new hook in "
               "experiment.py, which is under the results cache key, so the chapter retrains (on CPU, about the "
               "published run's 46 minutes; no GPU needed)",
    **_cifar())

ROBUST_WORDS = "their solutions were both less accurate and less robust than the CNN solutions"
ROBUST_WHERE = "Discussion; Abstract ('worse accuracy and robustness')"
NO_ROBUSTNESS = NotReported("the study measured no robustness: its abstract and discussion state it")

LESS_ROBUST = Claim(
    id=f"{CHAPTER}.free-less-robust",
    words=ROBUST_WORDS, where=ROBUST_WHERE, setting=ALL_EXPS, study=NO_ROBUSTNESS,
    measure=f"class-balanced test accuracy under FGSM at eps 0.03 ({ATTACK}), free net minus the CNN continued, "
            + PAIRED,
    scope=_scope(), section=SECTION["robustness"], direction=-1,
    conditions=(RUNS, CNN_PLATEAU, ABOVE_CHANCE), unit=100, unit_name="points", digits=1, **_cifar())

LESS_ROBUST_WEAK = Claim(
    id=f"{CHAPTER}.free-less-robust-weak-fgsm",
    words=ROBUST_WORDS, where=ROBUST_WHERE, setting=ALL_EXPS, study=NO_ROBUSTNESS,
    measure=f"class-balanced test accuracy under FGSM at eps 0.01 ({WEAK_ATTACK}), free net minus the CNN continued, "
            + PAIRED,
    scope=_scope(), section=SECTION["robustness"], direction=-1,
    conditions=(RUNS, CNN_PLATEAU, ABOVE_CHANCE), unit=100, unit_name="points", digits=1, **_cifar())

LESS_ROBUST_NOISE = Claim(
    id=f"{CHAPTER}.free-less-robust-test-noise",
    words=ROBUST_WORDS, where=ROBUST_WHERE, setting=ALL_EXPS, study=NO_ROBUSTNESS,
    measure="class-balanced test accuracy under Gaussian noise of std 0.1 and 0.3 on the test images, free net minus "
            "the CNN continued, " + PAIRED + "; every noise level and training sigma must pass",
    scope=_scope() + ", test noise 0.1 and 0.3", section=SECTION["robustness"], direction=-1,
    conditions=(RUNS, CNN_PLATEAU, ABOVE_CHANCE), unit=100, unit_name="points", digits=1, **_cifar())

OTT_SCRATCH = Claim(
    id=f"{CHAPTER}.ott-free-less-accurate",
    words="CNNs had overall higher validation accuracy (the study's summary of Ott et al.)",
    where="Introduction, Past Work; Ott et al. 2020, CIFAR-10 without augmentation",
    setting=OTT_SETTING,
    study=Reported(OTT["free"] - OTT["cnn"], f"Ott et al.: free {100 * OTT['free']:.2f}% against CNN "
                                             f"{100 * OTT['cnn']:.2f}%, CIFAR-10 validation, no augmentation, median "
                                             "of 5 folds"),
    measure="final class-balanced test accuracy of a free net trained from a random initialisation to its plateau "
            "minus the CNN's at its plateau (the switch), paired by seed; our means over seeds, Ott's medians",
    scope=_scope((0.0,)) + ", the free net from a random initialisation", section=SECTION["training"], direction=-1,
    conditions=(RUNS, CNN_PLATEAU, RANDOM_PLATEAU), unit=100, unit_name="points", digits=1, **_cifar())

OTT_SHIFT = Claim(
    id=f"{CHAPTER}.ott-gap-grows-with-translation",
    words="CNNs had overall higher validation accuracy, especially as translational augmentation increased (the "
          "study's summary of Ott et al.)",
    where="Introduction, Past Work; Ott et al. 2020, CIFAR-10 with translation augmentation",
    setting=OTT_SETTING + "; translations up to 20-30% of the image side",
    study=Reported((OTT["free_best"] - OTT["cnn_best"]) - (OTT["free"] - OTT["cnn"]),
                   f"Ott et al.: the gap free - CNN from {_points(OTT['free'] - OTT['cnn'])} points without "
                   f"augmentation to {_points(OTT['free_best'] - OTT['cnn_best'])} at each net's best translation "
                   f"(CNN {100 * OTT['cnn_best']:.2f}% at 30%, free {100 * OTT['free_best']:.2f}% at 20%); medians "
                   "of 5 folds"),
    measure="the change of the free net's accuracy gap to the CNN continued (free - CNN with random shifts minus "
            "the same without), paired by seed; our free nets are freed CNNs, Ott's trained from scratch",
    scope="our CIFAR-10 (the partial copy) runs without noise, shifts against none", section=SECTION["shifts"],
    direction=-1, conditions=(RUNS, CNN_PLATEAU, SCALE), unit=100, unit_name="points", digits=1, **_cifar())

SHIFT_LESS_DIVERGENCE = Claim(
    id=f"{CHAPTER}.shift-less-divergence",
    words="it could be useful to try translationally augmenting the data and seeing if that reduces the weight "
          "divergence",
    where="Conclusion, Future Work (a hypothesis; Ott et al. saw neighbouring filters converge with translations)",
    setting=ALL_EXPS + "; with translation augmentation (not run by the study)",
    study=NotReported("a hypothesis for future work; the study ran no translations"),
    measure="final ring-1 cosine distance of the freed first-layer filters with random shifts minus without, "
            "paired by seed",
    scope="our CIFAR-10 (the partial copy) runs without noise, shifts against none", section=SECTION["shifts"],
    direction=-1, conditions=(RUNS, CNN_PLATEAU), digits=4, **_cifar())

LEAK_INFLATES = Claim(
    id=f"{CHAPTER}.leak-inflates-accuracy",
    words="Final CNN validation accuracy achieved: 95.8%",
    where="Experiment 1, caption of figure 3 (the leak: STUDIES.md, from the study's code)",
    setting=LEAK_SETTING + "; Ott's CNN, Adam 1e-4, batch 128, 100 epochs and more",
    study=Reported(STUDY_ACC["exp1"]["cnn"], LEAKY),
    measure="the 'validation' accuracy (plain, the study's measure) of Ott's CNN trained on the study's leaky split, "
            f"after the last epoch, against Ott's {100 * OTT['cnn']:.2f}% without a leak (the threshold)",
    scope="our leak demonstration on CIFAR-10 (the partial copy), the study's shuffle reproduced, every shuffle seed",
    section=SECTION["leak"], threshold=OTT["cnn"],
    conditions=(RUNS, MEMORISED_C), unit=100, unit_name="%", digits=1, **_cifar())

LEAK_COPIES = Claim(
    id=f"{CHAPTER}.leak-copies-classified-better",
    words="Final CNN validation accuracy achieved: 95.8%",
    where="Experiment 1, caption of figure 3 (the leak: STUDIES.md, from the study's code)",
    setting=LEAK_SETTING,
    study=NotReported("the study did not know of its leak"),
    measure="on the study's split, after the last epoch: class-balanced accuracy on 'validation' images with a copy "
            "in training, within the classes that the images without a copy cover, minus class-balanced accuracy on "
            "those without, paired by shuffle seed",
    scope="our leak demonstration on CIFAR-10 (the partial copy), every shuffle seed", section=SECTION["leak"],
    conditions=(RUNS, UNSEEN), unit=100, unit_name="points", digits=1, **_cifar())

CLAIMS = (
    DIVERGE, FAR, NOISE_DIVERGES, _mnist(NOISE_DIVERGES), SMALL_PLATEAU, SMOOTH, NORMS,
    LESS_ACCURATE, LESS_ACCURATE_NO_NOISE, _mnist(LESS_ACCURATE, SIGMAS), MORE_ACCURATE_SHORT, VAL_LOSS_SHORT,
    OVERFITS, _mnist(OVERFITS), NOISE_LITTLE_HELP, CAUSE,
    LESS_ROBUST, LESS_ROBUST_WEAK, LESS_ROBUST_NOISE, _mnist(LESS_ROBUST),
    OTT_SCRATCH, OTT_SHIFT, _mnist(OTT_SHIFT), SHIFT_LESS_DIVERGENCE, _mnist(SHIFT_LESS_DIVERGENCE),
    LEAK_INFLATES, LEAK_COPIES, _mnist(LEAK_COPIES),
)

# --- claims replaced after the published run's results were seen -------------------------------------------
_PUBLISHED = "the published run (CIFAR-10 and MNIST, 3 seeds, 6 epochs after the switch)"
CHANGES = (
    Change(DIVERGE.id,
           "Was graded as 'final cosine distance > 0 in every setting, CIFAR-10 and MNIST', which a distance that is "
           "exactly 0 at the switch passes by construction; now graded on its size against the study's 0.7 "
           "(against filters learnt apart), on CIFAR-10 at sigma 0.5, once the distance has plateaued after at "
           f"least {LONG_EPOCHS} epochs.",
           f"'reproduced' in {_PUBLISHED}: CIFAR-10 5.9 / 19.5 / 29.6 x1e-3 at sigma 0 / 0.3 / 0.5, MNIST 0.9 / "
           "1.6 / 2.0 x1e-3; the free nets from a random initialisation ended 169x (CIFAR-10) and 1,100x (MNIST) "
           "further apart."),
    Change(FAR.id,
           "Compared 6 epochs after the switch with the study's run, typed as '~100' epochs (it trained 500), while "
           f"the distance was still rising; now it needs at least {LONG_EPOCHS} epochs and a plateau, and MNIST is "
           "no longer part of it. (The registry asked for 100 epochs until the run that grades it was designed; "
           f"{LONG_EPOCHS} is what fits this machine, and the plateau condition still refuses a rising distance. "
           "No run was graded on 100.)",
           f"'not reproduced' in {_PUBLISHED}: CIFAR-10 0.030 ± 0.005, MNIST 0.002 ± 0.000 at sigma 0.5."),
    Change(LESS_ACCURATE.id,
           "Was one claim over six cells (CIFAR-10 and MNIST, 3 noise levels) without the study's numbers, where one "
           "MNIST cell decided it; now CIFAR-10 at sigma 0.3 and 0.5 against the study's -1.8 and -1.4 points, with "
           "sigma 0 (no study number) and MNIST as their own claims.",
           f"'not reproduced' in {_PUBLISHED}, from MNIST sigma 0 (+0.6 ± 0.4 points) alone; CIFAR-10: -1.5 ± 1.6, "
           "+0.5 ± 7.0, +1.8 ± 7.2 points at sigma 0 / 0.3 / 0.5."),
    Change(OVERFITS.id,
           "Was one claim over six cells, CIFAR-10 and MNIST, where one MNIST cell decided it; now CIFAR-10 only, "
           "with MNIST as its own claim.",
           f"'not reproduced' in {_PUBLISHED}, from MNIST sigma 0 (-0.034 ± 0.028) alone; CIFAR-10: +0.297 ± 0.187, "
           "+0.060 ± 0.256, +0.029 ± 0.163 at sigma 0 / 0.3 / 0.5."),
    Change(LESS_ROBUST.id,
           "Now needs both nets above chance under the attack (at FGSM eps 0.03 both CIFAR-10 nets were below it), "
           "and CIFAR-10 only; eps 0.01 and test noise are registered beside it.",
           f"'inconclusive' in {_PUBLISHED}: CIFAR-10 +0.6 ± 3.3, -0.8 ± 2.5, -0.5 ± 1.0 points (CNN at 3.0%, "
           "free at 3.6% at sigma 0); MNIST +1.3 ± 1.4, -0.1 ± 0.5, -0.4 ± 1.5 points."),
    Change(OTT_SHIFT.id,
           "Was 'with random shifts the free net closes its gap to the CNN', the opposite of what Ott reports (the gap "
           "grows from 2.4 to 4.3 points); now Ott's claim as Ott states it, with Ott's study number, and only at "
           "Ott's size of translation (2 px is 6% of the side, Ott's 20-30%).",
           f"'not reproduced' in {_PUBLISHED}: change of the gap -1.7 ± 2.6 (CIFAR-10) and -0.7 ± 0.3 points "
           "(MNIST), with 2-pixel shifts."),
    Change(LEAK_COPIES.id,
           "The CIFAR-10 row was set to 'inconclusive' by hand where the images without a copy cover 4 of 10 "
           "classes; now the images with a copy are compared within the classes those without cover "
           "(class-balanced), after a demonstration long enough to memorise, and MNIST is its own claim. (Between "
           "the two, the registry made 'all 10 classes covered' a condition: no run was graded on it.)",
           f"'inconclusive' in {_PUBLISHED} for both: CIFAR-10 -12.5 ± 13.4 points (not a test), MNIST +0.8 ± 1.3."),
)
