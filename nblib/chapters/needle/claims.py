"""The claims of study 5 (d'Ascoli, Sagun, Bruna, Biroli 2019, "Finding the needle in the haystack"),
registered for the one engine.

Every claim of the poster is here: the ones the chapter graded before this registry, the ones the
review found ungraded (train loss after the release, staying in the CNN's basin, the optimal and the
cutoff distance from the CNN subspace, the local blocks hardly changing, the silhouettes, the eLCN's
memory, the rough part of the landscape, AlexNet on CIFAR-100), and the ones this machine cannot test,
shown as "not tested here" with the reason.

The poster gives figures only, no numbers: every claim is `NotReported`.

Its release-time claims are about a VanillaCNN (64 channels) trained for 150 epochs to zero training
loss, each eFCN trained on to near-zero loss, with "late" meaning close to convergence. The
conditions below fix that regime from the poster, not from our results: a training loss below
`CONVERGED` (0.05 nats) is "converged". Under plain SGD, untying the CNN is also an implicit
learning-rate cut (STUDIES.md, study 5): a shared kernel moves by lr times the sum of its P
positions' gradients, each untied copy by lr times its own. "The released net beats its CNN" is
therefore only tested when a CNN continued at a reduced learning rate was run beside it, and graded
against the CNN continued at the original rate and at the best of the reduced rates (per layer divided
by its number of positions, lr / 10, lr / 100), both of which it must beat.
"""
from __future__ import annotations

import dataclasses

from nblib.claims import Change, Claim, Condition, NotReported

CHAPTER = "needle"
SETTING = "VanillaCNN, 64 channels, CIFAR-10, CNN 150 epochs to zero training loss, each eFCN to near-zero loss"
FIGURE = NotReported("the poster shows figures only, no numbers")
POINTS = dict(unit=100, unit_name="points", digits=1)
CIFAR = dict(study_data="cifar10", data="cifar10")

CONVERGED = 0.05  # training loss (nats) below which a net counts as trained to (near-)zero loss
CHANCE = 0.10  # CIFAR-10: ten classes; test accuracy is class-balanced, so chance is exactly 10%
USELESS_MARGIN = 0.02  # "useless": off-local-only accuracy within 2 points of chance
BARRIER = 0.10  # "stays in the basin": no rise of test loss along the path above the higher end by 0.1 nats
HARDLY = 0.10  # "the local blocks hardly change": their relative change since the release below 10% of their norm

# --- condition names (the report measures each) ------------------------------------------------------
CNN_FINAL = "cnn_final_loss"
RELEASED_FINAL = "released_final_loss"
CNN_AT_RELEASE = "cnn_loss_at_release"
CONTROLS = "lr_control_runs"
RELEASES = "release_times"
LATER = "releases_after_start"

CNN_CONVERGED = Condition(CNN_FINAL, f"the CNN's final training loss is below {CONVERGED} (the poster trains it to "
                                     "zero loss)", "<", CONVERGED)
RELEASED_CONVERGED = Condition(RELEASED_FINAL, f"the released nets' final training loss is below {CONVERGED} (the "
                                               "poster trains each to near-zero loss)", "<", CONVERGED)
RELEASED_LATE = Condition(CNN_AT_RELEASE, f"the CNN's training loss at our latest t_w is below {CONVERGED} (the "
                                          "poster's 'late' is close to convergence)", "<", CONVERGED)
LR_CONTROL = Condition(CONTROLS, "a CNN continued from t_w at a reduced learning rate was run (untying is an "
                                 "implicit lr cut under plain SGD; issue 26)", ">=", 1)
ON_STUDY_DATA = Condition("on_study_data", "our run is on CIFAR-10, the poster's dataset (the chapter can also run "
                                           "MNIST, which tests none of these claims)", ">=", 1)
WHOLE = "whole_net_accuracy"
WHOLE_ABOVE_CHANCE = Condition(WHOLE, f"the trained eFCN with both parts reaches test accuracy {CHANCE + 0.10:.2f} (chance "
                                      f"{CHANCE:.2f} plus 0.10), else 'useless by itself' says nothing", ">=",
                               CHANCE + 0.10)
THREE_TIMES = Condition(RELEASES, "the run has at least three release times", ">=", 3)
AFTER_START = Condition(LATER, "the run releases after epoch 0 at least once", ">=", 1)
DIVERGED = "diverged_runs"
NONE_DIVERGED = Condition(DIVERGED, "no run the claim compares reached a non-finite training loss (a diverged run "
                                    "has no final accuracy to compare; at batch 50 half of the eFCN-sized nets did)",
                          "<=", 0)

SLOW_SUFFIX = "-slow-release"
SLOW_RUNS = "slow_release_runs"
SLOW_RAN = Condition(SLOW_RUNS, "the eFCN was also released at a reduced learning rate from our latest t_w", ">=", 1)

PAIRED = "paired by seed (a release replays its CNN's first t_w epochs exactly)"
BY_SEED = ("by seed (the vanilla FCN shares the seed but not the initialisation or the batch order, so the pairing "
           "is by index only)")

def _on_study_data(claims: tuple[Claim, ...]) -> tuple[Claim, ...]:
    """Every testable claim also needs our run to be on the poster's dataset, and none of the runs it
    compares diverged."""
    return tuple(c if c.untestable else
                 dataclasses.replace(c, conditions=(ON_STUDY_DATA, *c.conditions, NONE_DIVERGED)) for c in claims)


CLAIMS = _on_study_data((
    Claim(
        id="needle.train-loss-keeps-falling",
        words="Train loss keeps going down after relaxing constraints",
        where="'A toy experiment', training-loss panel", setting=SETTING, study=FIGURE,
        measure="training loss at the release (the CNN's last epoch) minus the eFCN's final training loss, " + PAIRED
                + "; every t_w > 0 must pass",
        scope="eFCN, every t_w > 0 of our run", section="needle-release",
        conditions=(AFTER_START,), unit=1, unit_name="nats", digits=3, **CIFAR),
    Claim(
        id="needle.train-loss-falls-near-convergence",
        words="Even when we release close to convergence !",
        where="'A toy experiment', training-loss panel", setting=SETTING, study=FIGURE,
        measure="training loss at the release minus the eFCN's final training loss at our latest t_w, " + PAIRED,
        scope="eFCN, our latest t_w", section="needle-release",
        conditions=(RELEASED_LATE,), unit=1, unit_name="nats", digits=3, **CIFAR),
    Claim(
        id="needle.stays-in-cnn-basin",
        words="The eFCN stays in the basin reached by the CNN",
        where="'A toy experiment'", setting=SETTING, study=FIGURE,
        measure=f"the barrier along the straight line from the CNN at the end of its run (embedded) to the trained "
                f"eFCN: the highest test loss on the path minus the higher of its two ends, mean over seeds; below "
                f"{BARRIER} nats at our latest t_w (a threshold claim; the barrier is >= 0 by construction)",
        scope="eFCN, our latest t_w", section="needle-interpolation", direction=-1, threshold=BARRIER,
        conditions=(CNN_CONVERGED, RELEASED_CONVERGED), unit=1, unit_name="nats", digits=3, **CIFAR),
    Claim(
        id="needle.beats-vanilla-fcn",
        words="FCN with CNN initialization beats vanilla FCN",
        where="'A toy experiment', test-accuracy panel", setting=SETTING, study=FIGURE,
        measure="final test accuracy (class-balanced), eFCN minus vanilla FCN, " + BY_SEED + "; every t_w must pass",
        scope="eFCN, every t_w of our run", section="needle-release", **POINTS, **CIFAR),
    Claim(
        id="needle.test-acc-keeps-rising",
        words="Test accuracy keeps going up after relaxing constraints => No overfitting",
        where="'A toy experiment', test-accuracy panel", setting=SETTING, study=FIGURE,
        measure="the eFCN's final test accuracy minus its accuracy at the release, " + PAIRED + "; every t_w > 0",
        scope="eFCN, every t_w > 0 of our run", section="needle-release",
        conditions=(AFTER_START,), **POINTS, **CIFAR),
    Claim(
        id="needle.late-release-beats-cnn",
        words="When released late, the eFCNs even beat the CNN!",
        where="'A toy experiment', test-accuracy panel (t_w = 67, 115 of 150)", setting=SETTING, study=FIGURE,
        measure="final test accuracy, eFCN released at our latest t_w minus the CNN trained on at the original lr, "
                "and minus the CNN continued from the same t_w at the best (highest mean final test accuracy) of the "
                "reduced lrs, with the batch order the release sees, " + PAIRED + "; both must pass, since untying is an "
                "implicit lr cut",
        scope="eFCN, our latest t_w", section="needle-best-time",
        conditions=(RELEASED_LATE, CNN_CONVERGED, RELEASED_CONVERGED, LR_CONTROL), **POINTS, **CIFAR),
    Claim(
        id="needle.gain-largest-intermediate",
        words="The improvement is best when constraints are released at intermediate times.",
        where="'What is the best time to relax the constraints?'", setting=SETTING, study=FIGURE,
        measure="final test accuracy of the eFCN released at the intermediate t_w (the middle of our sorted list, "
                "fixed by the list) minus at our earliest and at our latest t_w, " + PAIRED + "; both must pass",
        scope="eFCN, our intermediate t_w against the earliest and the latest", section="needle-best-time",
        conditions=(THREE_TIMES, CNN_CONVERGED, RELEASED_CONVERGED), **POINTS, **CIFAR),
    Claim(
        id="needle.roughest-landscape",
        words="The improvement is highest when constraints are released in the roughest/sharpest part of the "
              "landscape; eFCN reaches wider basins",
        where="'A closer look at the landscape'", setting=SETTING, study=FIGURE,
        measure="the gain against a sharpness measure of the CNN at t_w (e.g. the top Hessian eigenvalue), and the "
                "sharpness of the trained eFCN against the CNN's",
        scope="every t_w", section="needle-best-time",
        untestable="the runs measure no sharpness or basin width (no Hessian, no weight snapshots are cached); it needs "
                   "a new measurement in experiment.py (a new cache key), cheap at this chapter's size but not "
                   "built; at the poster's scale the command in the chapter's 'Rerun' section (the cost it states) "
                   "plus the Hessian power iterations",
        **CIFAR),
    Claim(
        id="needle.earlier-escapes-further",
        words="The earlier we relax constraints, the further we escape",
        where="'How far do we escape from the CNN subspace?'", setting=SETTING, study=FIGURE,
        measure="final δ = ‖θ_off-local‖ / ‖θ‖ of each release minus that of the next later one, " + PAIRED
                + "; every consecutive pair must pass",
        scope="eFCN, every consecutive pair of our t_w", section="needle-delta",
        conditions=(Condition(RELEASES, "the run has at least two release times", ">=", 2),), digits=3, **CIFAR),
    Claim(
        id="needle.optimal-distance",
        words="There is an optimal ... distance from CNN subspace",
        where="'How far do we escape from the CNN subspace?'", setting=SETTING, study=FIGURE,
        measure="final test accuracy of the release whose final δ is the middle one of our releases minus that of "
                "the releases with the largest and the smallest final δ, " + PAIRED + "; both must pass",
        scope="eFCN, our releases ordered by their mean final δ", section="needle-delta",
        conditions=(THREE_TIMES, CNN_CONVERGED, RELEASED_CONVERGED), **POINTS, **CIFAR),
    Claim(
        id="needle.cutoff-distance",
        words="There is an ... a cutoff distance from CNN subspace",
        where="'How far do we escape from the CNN subspace?'", setting=SETTING, study=FIGURE,
        measure="final test accuracy, the release with the largest final δ minus the CNN, " + PAIRED
                + "; read as 'beyond the cutoff the eFCN no longer gains': the claim is that it is below the CNN",
        scope="eFCN, our release with the largest mean final δ", section="needle-delta", direction=-1,
        conditions=(CNN_CONVERGED, RELEASED_CONVERGED), **POINTS, **CIFAR),
    Claim(
        id="needle.off-local-useless",
        words="All by itself the off-local part is useless",
        where="'Role of off-local blocks'", setting=SETTING, study=FIGURE,
        measure=f"test accuracy of the trained eFCN with only its off-local weights (the local ones zeroed), mean "
                f"over seeds; below chance ({CHANCE:.0%}) plus {100 * USELESS_MARGIN:.0f} points at every t_w "
                "(a threshold claim)",
        scope="eFCN, every t_w of our run", section="needle-parts", direction=-1, threshold=CHANCE + USELESS_MARGIN,
        conditions=(WHOLE_ABOVE_CHANCE,), unit=100, unit_name="%", digits=1, **CIFAR),
    Claim(
        id="needle.off-local-helps",
        words="However combined with local part it provides improvement",
        where="'Role of off-local blocks'", setting=SETTING, study=FIGURE,
        measure="test accuracy of the trained eFCN with both parts minus with the local part only, " + PAIRED
                + " (the same net masked); every t_w must pass",
        scope="eFCN, every t_w of our run", section="needle-parts", **POINTS, **CIFAR),
    Claim(
        id="needle.local-blocks-hardly-change",
        words="The local blocks hardly change at all",
        where="'What representation is learnt?'", setting=SETTING, study=FIGURE,
        measure=f"‖θ_local(T) − θ_local(t_w)‖ / ‖θ_local(t_w)‖ over the local weights of the three embedded "
                f"layers, mean over seeds; below {HARDLY:.2f} at our intermediate and our latest t_w (a threshold "
                "claim: 'hardly at all' read as under a tenth of their norm at the release)",
        scope="eFCN, our intermediate and latest t_w", section="needle-parts", direction=-1, threshold=HARDLY,
        conditions=(THREE_TIMES, RELEASED_CONVERGED), unit=1, unit_name="", digits=3,
        **CIFAR),
    Claim(
        id="needle.off-local-silhouettes",
        words="The off-local part learns silhouettes: performs some kind of template-matching; [the vanilla FCN's] "
              "weights capture a loose texture but nothing recognizable",
        where="'What representation is learnt?'", setting=SETTING, study=FIGURE,
        measure="none: the chapter draws the first layer's off-local weights learned since the release and the "
                "vanilla FCN's, for the reader to compare",
        scope="seed 0, the intermediate t_w, four first-layer units", section="needle-parts",
        untestable="a judgement by eye on pictures, not a measurement; no GPU would change that",
        **CIFAR),
    Claim(
        id="needle.interpolation-improves",
        words="Interpolating in weight space between the CNN and the eFCN actually increases generalization",
        where="'Interpolating in weight space'", setting=SETTING, study=FIGURE,
        measure="test accuracy at the path's midpoint (α = 1/2) on two paths at the intermediate t_w, " + PAIRED
                + ": from the CNN at t_w to the trained eFCN, minus the trained eFCN (α = 1; α = 0 is a less-trained "
                "net, so 'midpoint beats α = 0' is close to automatic and is not graded); and from the CNN at the end "
                "of its run to the trained eFCN, minus the better of the two ends per seed. Both must pass",
        scope="eFCN, our intermediate t_w", section="needle-interpolation",
        conditions=(THREE_TIMES,), **POINTS, **CIFAR),
    Claim(
        id="needle.elcn-similar-gain",
        words="[For the eLCN] the gain in accuracy is very similar",
        where="'What happens for locally connected networks?'", setting=SETTING.replace("eFCN", "eLCN"), study=FIGURE,
        measure="final test accuracy, eLCN released at the intermediate t_w minus the CNN trained on at the original "
                "lr and minus the CNN continued from t_w at the best reduced lr, " + PAIRED + "; both must pass",
        scope="eLCN, our intermediate t_w", section="needle-elcn",
        conditions=(THREE_TIMES, CNN_CONVERGED, RELEASED_CONVERGED, LR_CONTROL), **POINTS, **CIFAR),
    Claim(
        id="needle.elcn-memory-factor-10",
        words="this time, memory increase is much more reasonable (factor 10)",
        where="'What happens for locally connected networks?'", setting="VanillaCNN, 64 channels (and AlexNet)",
        study=FIGURE,
        measure="the eLCN's training memory over the CNN's",
        scope="the cost table of the chapter", section="needle-elcn",
        untestable="the memory numbers are not in the cached results: the chapter measures them in its cost cell on "
                   "the machine that executes it, one deterministic count with no interval; they are shown in the "
                   "cost table, not graded",
        **CIFAR),
    Claim(
        id="needle.hierarchical-further-gain",
        words="We can get further increase in accuracy by relaxing the constraints hierarchically",
        where="'What happens for locally connected networks?'", setting=SETTING, study=FIGURE,
        measure="final test accuracy, CNN → eLCN(t1) → eFCN(t2) minus CNN → eFCN(t2), " + PAIRED
                + "; every (t1, t2) of our run must pass",
        scope="every (t1, t2) of our chain", section="needle-elcn",
        conditions=(Condition("chain_runs", "the run has at least one CNN → eLCN → eFCN chain", ">=", 1),),
        **POINTS, **CIFAR),
    Claim(
        id="needle.alexnet-cifar100",
        words="AlexNet, CIFAR-100, Adam",
        where="'What is the best time to relax the constraints?', second panel",
        setting="AlexNet, CIFAR-100, Adam", study=FIGURE,
        measure="the gain of the released eFCN over its CNN against t_w",
        scope="none of our settings", section="needle-scorecard",
        untestable="no AlexNet and no CIFAR-100 here; the poster's AlexNet eFCN needs about 1 GB of weights "
                   "('10MB -> 1GB'); on a GPU with CIFAR-100 installed this needs a new net in experiment.py and "
                   "a few GPU-hours for nine t_w and 3 seeds",
        study_data="cifar100", data="cifar100"),
))

SLOW_WHY = ("At the poster's protocol (the same lr after the release) the eFCN released close to convergence diverged "
            "here; the released net is also trained at a reduced rate after the release, beside the CNN continued "
            "from the same t_w at that rate (the same step size and the same batches): what is left is the freed "
            "weights.")


def _slow(claim: Claim, measure: str) -> Claim:
    """The claim graded on the releases trained at the reduced rate after the release."""
    return dataclasses.replace(claim, id=claim.id + SLOW_SUFFIX, measure=measure + " " + SLOW_WHY,
                               scope=claim.scope + ", released at the reduced rate",
                               conditions=(*claim.conditions, SLOW_RAN))


_BY_ID = {c.id: c for c in CLAIMS}
CLAIMS = CLAIMS + (
    _slow(_BY_ID["needle.train-loss-falls-near-convergence"],
          "training loss at the release minus the final training loss of the eFCN released at our latest t_w and "
          "trained at the reduced rate after it, " + PAIRED + "."),
    _slow(_BY_ID["needle.late-release-beats-cnn"],
          "final test accuracy, the eFCN released at our latest t_w and trained at the reduced rate after it minus "
          "the CNN trained on at the original lr, and minus the CNN continued from the same t_w at the same reduced "
          "rate with the same batches, " + PAIRED + "; both must pass."),
    _slow(_BY_ID["needle.hierarchical-further-gain"],
          "final test accuracy, CNN → eLCN(t1) → eFCN(t2) minus CNN → eFCN(t2), both trained at the reduced rate "
          "after the eFCN release at our latest t_w, " + PAIRED + "."),
)

CHANGES = (
    Change("needle.late-release-beats-cnn",
           "Graded also against the CNN continued from t_w at the best of three reduced learning rates (per layer "
           "divided by its positions, lr / 10, lr / 100), the control the review asked for; registered before the "
           "run that first has the control (issue 26).",
           "'not tested here' (no control, the CNN at training loss 1.56)."),
    Change("needle.elcn-similar-gain",
           "Graded also against the CNN continued at the best reduced learning rate (issue 26), before the run.",
           "'not tested here' (the CNN at training loss 1.56)."),
    Change("needle.stays-in-cnn-basin",
           "The path starts from the CNN at the end of its run (embedded), the basin the CNN reached, instead of the "
           "CNN at t_w; the condition that the CNN be near convergence at the latest t_w replaced by the CNN "
           "converged at the end (issue 26), before the run.",
           "'not tested here' (the CNN at training loss 1.56)."),
    Change("needle.interpolation-improves",
           "A second path, from the CNN at the end of its run to the trained eFCN (its midpoint against the better "
           "end), must pass too (issue 26), before the run.",
           "graded on the path from the CNN at t_w only."),
    Change("needle.local-blocks-hardly-change",
           f"Now measured (the relative change of the local weights since the release) and graded as a threshold "
           f"({HARDLY:.2f}) at the intermediate and the latest t_w (issue 26), before the run.",
           "'not tested here' (not measured)."),
    Change("needle.off-local-useless",
           f"Graded as a threshold against chance (off-local-only accuracy below {CHANCE:.0%} plus "
           f"{100 * USELESS_MARGIN:.0f} points) instead of 'local only beats off-local only', after the review read "
           "'useless' as chance accuracy.",
           "'inconclusive' (local minus off-local: t_w = 0 +9.2 ± 9.4, 2 +18.4 ± 1.5, 5 +26.2 ± 2.7, 10 +30.1 ± 5.3 "
           "points)."),
    Change("needle.interpolation-improves",
           "Graded on the midpoint against the trained eFCN only; the midpoint against α = 0 (the CNN at t_w, a "
           "less-trained net) is close to automatic and is no longer graded.",
           "'inconclusive' at t_w = 5 (midpoint minus α = 0: +11.7 ± 11.2; minus α = 1: +1.2 ± 4.3 points)."),
    Change("needle.late-release-beats-cnn",
           "Conditions added from the poster's regime (the CNN near convergence at the release, trained to zero "
           "loss, the eFCN to near-zero loss) and the lr-cut control.",
           "'reproduced' at t_w = 10 (+5.4 ± 4.6 points), with the CNN at training loss 1.56 and no control."),
    Change("needle.gain-largest-intermediate",
           "Conditions added from the poster's regime (the CNN trained to zero loss, the eFCNs to near-zero loss).",
           "'not reproduced' (t_w = 5 minus 0: -0.9 ± 5.4; minus 10: -4.4 ± 0.8 points), with the CNN at 1.56."),
    Change("needle.elcn-similar-gain",
           "Conditions added from the poster's regime (the CNN trained to zero loss, the eLCN to near-zero loss).",
           "'inconclusive' at t_w = 5 (+0.7 ± 8.9 points)."),
    *(Change(c.id,
             "Condition added: none of the runs it compares diverged (a non-finite training loss). The run "
             "registered for issue 26 at batch 50 (100 epochs, 100 training images per class, release times 0, 3, 15, "
             "45, 77) had 10 of its 21 eFCN-sized nets diverge; it is not published, and the chapter now trains at "
             "batch 100 on 70 images per class for 150 epochs, releasing at 0, 23 and 115.",
             "not graded (the diverged nets left eFCN arms without a final accuracy in one to three seeds).")
      for c in CLAIMS if not c.untestable and not c.id.endswith(SLOW_SUFFIX)),
    *(Change(c.id,
             "Added after the run registered in commit 582e978 (this regime, lr 0.1 throughout) was seen: there the "
             "eFCN released at t_w = 115 diverged in 2 of 3 seeds within three epochs of the release, and so "
             "did all 3 chains (eLCN 23 → eFCN 115); the releases at 23 did not (final training loss 0.0007), and 1 "
             "of 3 releases at 0 blew up (peak 4,483 nats) and ended at chance. That run was stopped after 38 of its "
             "54 runs (the 16 left were CNN, eLCN and control runs) and is not published.",
             "the claim did not exist; its original at the poster's protocol could not be tested in that run.")
      for c in CLAIMS if c.id.endswith(SLOW_SUFFIX)),
)
