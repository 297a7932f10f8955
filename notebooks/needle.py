# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Finding the needle in the haystack: releasing a CNN into its fully connected twin
#
# *Study 5: S. d'Ascoli, L. Sagun, J. Bruna, G. Biroli, "Finding the Needle in the Haystack
# with Convolutions: on the benefits of architectural bias", NeurIPS 2019 (poster)*
# {cite}`dascoli2019`.
# A CNN is exactly a fully connected net whose matrices are sparse and repeat a few numbers:
# its **eFCN**. Train a CNN for t_w epochs, switch to its eFCN (the same function) and train on
# with every weight free. The poster: the freed net keeps improving, beats a fully connected net
# trained from scratch and, released at the right time, even beats the CNN; likewise the
# locally connected **eLCN** and the chain CNN → eLCN → eFCN. Its claims about *when* to
# release are about a CNN trained to zero loss, so this chapter shrinks the data and the width,
# not the training, and pairs every release with the CNN continued at reduced learning rates:
# untying is also a slower step in the CNN's own directions.
#
# `````{admonition} What we found
# :class: tip
# **Verdicts:** {glue:md}`needle_counts` ([all verdicts](verdicts.md))
#
# ```{glue:md} needle_key
# :format: myst
# ```
#
# *Scale:* {glue:text}`needle_scale`
# `````

# %% tags=["parameters"]
channels: int = 8  # channels of every conv layer (paper: 64)
epochs: int = 8  # total epochs of every run, before and after the release (paper: 150)
t_w: list = [0, 2, 4]  # release times in epochs (paper: 0, 2, 4, 8, 13, 23, 40, 67, 115)
t_lcn: list = [1]  # eLCN release times of the CNN -> eLCN -> eFCN chain
t_chain: list = []  # eFCN release times of the chain, each one of t_w; empty means every t_w after t_lcn
lr_controls: list = ["positions", "0.1", "0.01"]  # the CNN continued from each t_w at lr / positions per layer, lr / 10, lr / 100
seeds: int = 3  # runs per arm; every arm of one seed shares the CNN's initialisation and data
batch_size: int = 100  # SGD minibatch (paper: 250)
lr: float = 0.1  # constant SGD learning rate, no momentum (paper: 0.1)
train_per_class: int = 70  # training images per class, class-balanced; 0 means every image of the copy here
test_per_class: int = 100  # test images per class at most; 0 means every test image
dataset: str = "cifar10"  # "cifar10" (the paper's) or "mnist"
eval_every: int = 5  # the test set is evaluated every that many epochs and at each release
slow_release: float = 0.1  # the eFCN (t_w > 0) and the chains also trained at lr times this after the release; 0: not run
cache_dir: str = ""  # results cache folder; empty means $NBLIB_CACHE, else ~/.cache/nblib/results
device: str = "auto"  # where to train: "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N"
cluster: str = ""  # "" (this process), "local:N" (N worker processes here), or a Dask scheduler "tcp://host:port"

# %% tags=["hide-input"]
# %matplotlib inline
import time

import torch
from IPython.display import Markdown, display
from myst_nb import glue

from nblib import data as datasets
from nblib.cache import ResultCache
from nblib.chapters import needle
from nblib.chapters.needle import report
from nblib.cluster import Runner
from nblib.device import resolve_device
from nblib.machine import cpu_model, describe, matmul_peak_gflops, training_step
from nblib.params import check_notebook, parameters_markdown
from nblib.scorecard import counts_text, scorecard_markdown
from nblib.widgets import figure_slider

chapter = check_notebook(needle.Chapter, globals())  # unknown names, types, ranges, conflicts
runner = Runner(device, cluster)  # checks both before any work
cache = ResultCache(cache_dir or None)
display(Markdown(parameters_markdown(chapter, device=device, cluster=cluster, cache_dir=cache_dir)))

# %% [markdown]
# ## The nets and their embeddings
#
# The authors' VanillaCNN, `channels` wide: conv 4×4 stride 2, conv 5×5, conv 3×3, each
# followed by ReLU and 3×3 max-pooling with stride 2, then one linear layer. The authors pad
# with separate padding layers, so their dense matrices have columns for the padded zeros;
# here the padding is inside each convolution and the matrices have none. Both are exact
# embeddings; ours is smaller. Counts at the paper's width (64) and at this chapter's:

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
image_channels, side = {"cifar10": (3, 32), "mnist": (1, 28)}[chapter.dataset]
for width in sorted({64, chapter.channels}):
    counts = needle.param_counts(width, image_channels, side)
    print(f"{width} channels: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()))

# %% [markdown]
# ## Training every arm
#
# Per seed: the CNN for all `epochs`; the **vanilla FCN**, the eFCN's architecture from a
# random initialisation (PyTorch's default for linear layers), for all `epochs`; the CNN
# released into its eFCN and into its eLCN at every t_w, trained on for the remaining epochs;
# the **learning-rate controls**, the CNN continued from every t_w at each reduced rate of
# `lr_controls`; and the chain CNN → eLCN (t1 in `t_lcn`) → eFCN (t2 in `t_chain`). A release
# replays the CNN run's own first t_w epochs (same seed, same batch order), so the released
# net starts exactly where the CNN was, and a control sees the same batches after t_w as the
# releases it is compared with.
#
# Why the control: a convolution's kernel is shared by its P output positions, so one SGD step
# moves it by the learning rate times the sum of the P positions' gradients. After the release
# each position's copy moves by the learning rate times its own gradient only, so along the
# directions the CNN could move in, the step shrinks by up to P: 289, 64 and 9 positions in
# the three layers at 32×32 input. "lr / positions" divides each conv layer's rate by its P;
# lr / 10 and lr / 100 slow the whole net.
#
# The **slow release**: at the poster's protocol the learning rate stays the same after the
# release, and here the eFCN released close to convergence diverged at that rate (an earlier
# run; the scorecard says what it found). So the eFCN released at every t_w > 0, and the chain,
# are also trained at lr × `slow_release` after the release, beside the CNN continued from
# the same t_w at the same rate with the same batches: the same step in the CNN's directions,
# so what differs is the freed weights.
#
# SGD at a constant learning rate, no momentum, no augmentation, inputs standardised per
# channel: the authors' protocol, except that we reshuffle the batches every epoch (the
# authors' loaders use `shuffle=False`, the same batches in the same order every epoch); we
# keep the usual reshuffling so that no result depends on one fixed batch order, and every arm
# of a seed sees the same orders. Test loss and accuracy are **class-balanced** (each class
# weighs 1/10): the test copy here holds some classes ten times more often than others (the
# counts are in the setting below), and the balanced number is the one the full, balanced
# test set estimates.

# %% tags=["remove-output", "hide-input"]
start = time.perf_counter()
results = runner.map(needle.train, chapter.runs(), cache, desc="runs")
wall_seconds = time.perf_counter() - start
arms = report.arms(results)
train_labels = datasets.load(chapter.dataset, True).labels
test_labels = datasets.load(chapter.dataset, False).labels
train_counts = datasets.class_counts(train_labels[datasets.balanced_subset(train_labels, chapter.train_per_class, 0)]
                                     if chapter.train_per_class else train_labels)
test_counts = [min(n, chapter.test_per_class or n) for n in datasets.class_counts(test_labels)]
glue("setting", report.setting(chapter, train_counts, test_counts), display=False)

# %% [markdown]
# {glue:text}`setting`
#
# ## The switch is exact
#
# At every release the released net's outputs are compared with the net it came from on 500
# test images; δ, the share of the weights' norm outside the receptive fields, is 0 right
# after a release into the eFCN (every off-local weight starts at exactly zero).

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
exact = report.exactness(arms)
print(f"every switch exact to {report.EXACT:g} in outputs and losses: "
      f"{exact['output'] < report.EXACT and exact['loss'] < report.EXACT}")
print(f"delta right after every eFCN release: {exact['delta']:g}")

# %% tags=["hide-input"]
print(f"largest output difference {exact['output']:.2e}, largest loss difference {exact['loss']:.2e}")

# %% [markdown]
# (needle-release)=
# ## After the release
#
# Training loss and test accuracy of the CNN trained on, the vanilla FCN, the eFCN and eLCN
# released at t_w, the CNN continued from t_w at the best of the reduced learning rates (the
# control), and from t_w > 0 the eFCN trained at the reduced rate after its release with the
# CNN continued at that rate. The grey line marks a training loss of 0.05, below which the registry counts
# a net as trained to zero loss. **The slider chooses the release time**; the axes stay the
# same for every release time.

# %% tags=["hide-input"]
figure_slider([(t, report.release_figure(arms, chapter, t)) for t in sorted(chapter.t_w)], "release time t_w")

# %% [markdown]
# The final numbers of every arm (mean ± 95% interval over seeds; differences paired by seed):

# %% tags=["hide-input"]
display(Markdown(":::{dropdown} Final training loss and test accuracy of every arm\n\n"
                 + report.results_table(arms, chapter) + "\n\n:::"))
display(Markdown(report.blowup_text(arms) or f"No run blew up (a training loss above {report.BLOWUP:g} nats after "
                                                "the release)."))

# %% [markdown]
# (needle-best-time)=
# ## When is the best time to release?
#
# The gain is the final test accuracy of the released net minus that of the CNN trained for
# the same number of epochs, paired by seed, in {numref}`fig-needle-gain`, beside the same gain
# for the CNN continued from t_w at each reduced learning rate. Where a control gains as much
# as the released net, a slower step in the CNN's own directions explains the gain as well as
# the freed weights do.

# %% tags=["hide-input"]
glue("needle_gain_figure", report.gain_figure(arms, chapter), display=False)
glue("needle_separation", report.separation(arms, chapter, "efcn", max(chapter.t_w)), display=False)

# %% [markdown]
# ```{glue:figure} needle_gain_figure
# :name: fig-needle-gain
# :alt: Final test accuracy minus the CNN's against the release time, for the eFCN, the eLCN and the CNN continued at three reduced learning rates, with 95% intervals.
#
# Final test accuracy minus the CNN's (percentage points, mean and 95% interval over seeds, paired by seed)
# against the release time: the eFCN, the eLCN, and the CNN continued from t_w at lr / positions, lr / 10 and
# lr / 100 (the controls). The points of one release time are spread sideways so that their intervals do not
# overlap.
# ```
#
# {glue:text}`needle_separation`

# %% [markdown]
# (needle-delta)=
# ## How far from the CNN does the eFCN go?
#
# δ = ‖θ_off-local‖₂ / ‖θ‖₂ over the weights of the three embedded layers: 0 in the CNN's
# subspace; the vanilla FCN, with no receptive fields of its own, is measured with the same
# masks ({numref}`fig-needle-delta`).

# %% tags=["hide-input"]
glue("needle_delta_figure", report.delta_figure(arms, chapter), display=False)

# %% [markdown]
# ```{glue:figure} needle_delta_figure
# :name: fig-needle-delta
# :alt: The share delta of the weights' norm outside the receptive fields over training for the eFCN released at each time and for the vanilla FCN (left), and the final delta against the release time (right), log scales.
#
# Left: δ over training for the eFCN released at each t_w and for the vanilla FCN (log scale), mean and 95%
# band over seeds. Right: the final δ against the release time, mean and 95% interval.
# ```

# %% [markdown]
# The poster reads an optimal distance from the CNN's subspace, and a cutoff beyond which the
# gain is lost, off the gain against δ ({numref}`fig-needle-delta-gain`).

# %% tags=["hide-input"]
glue("needle_delta_gain_figure", report.delta_gain_figure(arms, chapter), display=False)

# %% [markdown]
# ```{glue:figure} needle_delta_gain_figure
# :name: fig-needle-delta-gain
# :alt: The eFCN's final test accuracy minus the CNN's against its final distance delta from the CNN's subspace, one point per release time, with 95% intervals on both axes.
#
# The eFCN's final test accuracy minus the CNN's (points) against its final δ (log scale), one point per release
# time; mean and 95% interval over seeds on both axes.
# ```

# %% [markdown]
# (needle-parts)=
# ## Local and off-local blocks
#
# The trained eFCN evaluated with only its local weights (the off-local ones set to zero),
# with only its off-local weights, and with both (biases and the last layer unchanged). The
# vanilla FCN's weights are split by the same masks. Chance is 10%.

# %% tags=["hide-input"]
display(Markdown(report.parts_table(arms, chapter)))

# %% [markdown]
# What do the off-local weights learn? The first layer's off-local weights learned since the
# release, for the units at the centre of the output map of the first channels (seed 0), as
# colour images scaled to each unit's largest weight (grey is zero; the zeroed square is the
# unit's own receptive field), at the intermediate release time and for the vanilla FCN.
# The poster saw silhouettes in the eFCN (template matching) and only a loose texture in the
# vanilla FCN; compare with the drawing below.

# %% [markdown]
# How far the local weights moved after the release: ‖θ_local(T) − θ_local(t_w)‖ /
# ‖θ_local(t_w)‖ over the three embedded layers, per release time (mean ± 95% interval):

# %% tags=["hide-input"]
print("; ".join(f"t_w = {t}: {report.local_change_text(arms, t)}" for t in sorted(chapter.t_w)))

# %% tags=["hide-input"]
middle = report.intermediate(chapter)
glue("needle_silhouettes_figure", report.silhouettes_figure(arms, max(chapter.t_w) if middle is None else middle),
     display=False)

# %% [markdown]
# ```{glue:figure} needle_silhouettes_figure
# :name: fig-needle-silhouettes
# :alt: The first layer's off-local weights learned since the release for four units, drawn as colour images, for the eFCN released at the intermediate time and for the vanilla FCN.
#
# The first layer's off-local weights learned since the release (seed 0), four units, each scaled to its largest
# weight: the eFCN released at the intermediate t_w (top) and the vanilla FCN (bottom).
# ```

# %% [markdown]
# (needle-interpolation)=
# ## Interpolating in weight space
#
# Test accuracy along two straight lines in weight space, for every release time: from the
# CNN at t_w (α = 0, the eFCN at its release) to the trained eFCN (α = 1), and from the CNN at
# the end of its run (embedded as an eFCN) to the same trained eFCN. The second path joins
# two trained nets: a barrier on it would mean the eFCN left the CNN's basin
# ({numref}`fig-needle-interpolation`).

# %% tags=["hide-input"]
glue("needle_interpolation_figure", report.interpolation_figure(arms, chapter), display=False)

# %% [markdown]
# ```{glue:figure} needle_interpolation_figure
# :name: fig-needle-interpolation
# :alt: Test accuracy along the straight line in weight space to the trained eFCN, from the CNN at the release time (left) and from the CNN at the end of its run (right), one curve per release time.
#
# Test accuracy (class-balanced) along the straight line in weight space to the trained eFCN (α = 1), from the CNN
# at t_w (left) and from the CNN at the end of its run (right); one curve per release time, mean and 95% band over
# seeds.
# ```

# %% [markdown]
# (needle-elcn)=
# ## Locally connected, and the chain CNN → eLCN → eFCN
#
# Final test accuracy over the plane of the two release times, as a gain over the CNN
# ({numref}`fig-needle-grid`; the authors left this plane as work in progress). The diagonal t1 = t2 is the straight release
# into the eFCN; the last column is the eLCN trained to the end; off the diagonal are only the
# eLCN release times in `t_lcn`. The colours show means over seeds only; the intervals, which
# decide, are in the table below it.

# %% tags=["hide-input"]
glue("needle_grid_figure", report.grid_figure(arms, chapter), display=False)

# %% [markdown]
# ```{glue:figure} needle_grid_figure
# :name: fig-needle-grid
# :alt: A grid of final test accuracy minus the CNN's over the eLCN release time (rows) and the eFCN release time (columns), numbers in each cell.
#
# Final test accuracy minus the CNN's (points, mean over seeds) over the plane of the eLCN release time t1 (rows)
# and the eFCN release time t2 (columns); the diagonal is the straight release into the eFCN, the last column the
# eLCN trained to the end.
# ```

# %% tags=["hide-input"]
display(Markdown(report.grid_table(arms, chapter)))

# %% [markdown]
# What each net costs: one SGD step at this chapter's batch size, measured now on this
# machine (median of five steps after two warm-up steps), and its training memory counted
# the same way on any device: weights, their gradients and the activations autograd keeps for the backward pass
# (SGD without momentum keeps no optimiser state). The eLCN's layers are vectorised: they
# unfold their input into one patch per position and keep those patches for the backward
# pass, memory that grows with the batch times the number of positions.

# %% tags=["hide-input"]
torch.manual_seed(0)
run_device = resolve_device(device)
probe_cnn = needle.vanilla_cnn(chapter.channels, image_channels).to(run_device)
probe_x = torch.randn(chapter.batch_size, image_channels, side, side, device=run_device)
probe_y = torch.randint(0, 10, (chapter.batch_size,), device=run_device)
nets = {"CNN": probe_cnn, "eLCN": needle.release(probe_cnn, "elcn", probe_x.shape[1:]),
        "eFCN": needle.release(probe_cnn, "efcn", probe_x.shape[1:])}
peak = matmul_peak_gflops()
costs = {name: training_step(net, probe_x, probe_y, steps=5) for name, net in nets.items()}
display(Markdown(report.cost_table(costs, report.step_flops(nets["eFCN"], chapter.batch_size), peak)))
del nets, probe_cnn

# %% [markdown]
# (needle-scorecard)=
# ## Reproduction scorecard
#
# Every claim of the poster is registered in `nblib/chapters/needle/claims.py` and graded by the
# book's one engine ({ref}`grading-rule`), on differences paired by seed. "Intermediate" is the
# middle of the sorted t_w list and "late" the last. The poster shows figures without numbers,
# so the study column says how each claim was read. A claim about the poster's regime (a CNN
# trained to near-zero loss, the eFCN to near-zero loss) is "not tested here" when this run's
# losses are far from it; the row gives the measured loss.

# %% tags=["hide-input"]
card = report.scorecard(arms, chapter).set_trained(results)
glue("needle_counts", Markdown(counts_text(card)), display=False)
glue("needle_key", Markdown(report.key_findings(arms, chapter)), display=False)
display(Markdown(scorecard_markdown(card)))

# %% [markdown]
# ```{include} _flags/needle.md
# ```

# %% tags=["hide-input"]
display(Markdown(report.findings(arms, chapter)))

# %% [markdown]
# ## Provenance
#
# {glue:text}`setting` Training took {glue:text}`training_minutes` minutes, summed over the runs, on the machine
# described below (with its measured CPU matmul speed, to compare machines) and the device
# named there; the published chapter's parameters are in `book/params/needle.yaml`.
#
# ## Rerun this chapter
#
# This page: `papermill notebooks/needle.ipynb out.ipynb -f book/params/needle.yaml --cwd notebooks`
# (the runs are cached, so a second execution only reloads them; add `-p cluster local:2` or
# `-p cluster tcp://host:port` to spread them over processes or a Dask cluster, with the same
# results). The poster's scale, on a GPU: {glue:text}`needle_paper`

# %% tags=["hide-input"]
# Machine-dependent cell: hardware and wall times of this run.
per_arm = {}
for r in results:
    per_arm[report.label(r["run"])] = per_arm.get(report.label(r["run"]), 0) + r["seconds"]
seconds = sum(per_arm.values())
print(f"parameters: {chapter}")
print(f"hardware: {describe()}")
print(runner.describe(results))
print(f"training time: {seconds / 60:.1f} min over {len(results)} runs (measured when each run was trained)")
print("  per arm, all seeds (s):", {k: round(v) for k, v in per_arm.items()})
print(f"this execution: {wall_seconds:.0f} s for the runs (cached runs are loaded, not retrained)")
glue("training_minutes", f"{seconds / 60:.0f}", display=False)
glue("n_runs", f"{len(results)}", display=False)
glue("needle_scale", f"{chapter.channels} channels, {sum(train_counts):,} CIFAR-10 training images, {chapter.epochs} "
     f"epochs at batch {chapter.batch_size}, {len(chapter.t_w)} release times, {chapter.seeds} random seeds, "
     f"{len(results)} runs, {seconds / 60:.0f} minutes of training summed over the runs on {cpu_model()}.", display=False)
glue("needle_paper", report.paper_cost_text(len(train_labels), len(test_labels)), display=False)
runner.close()
