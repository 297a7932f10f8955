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
# # beta-LASSO: learning convolutions from scratch
#
# *Study 2: B. Neyshabur, "Towards learning convolutions from scratch" (NeurIPS 2020), and a
# student reproduction (EPFL)* {cite}`neyshabur2020,najafi_students`. A fully connected net can represent a convolution, but it is
# not built to find one. Can it learn local, conv-like filters if training is pushed towards
# few parameters? The paper's tool is **beta-LASSO**, a subgradient LASSO step followed by a
# hard threshold:
#
# $$\theta \leftarrow \theta - \eta\,\big(\nabla_\theta L + \lambda\,\mathrm{sign}(\theta)\big),$$
#
# $$\theta \leftarrow \theta \odot \mathbb 1\{|\theta| \ge \beta\lambda\},$$
#
# with $\beta = 0$ plain LASSO. This chapter grades the students' claims on their dataset
# (CIFAR-10) at their L1 pull, and the locality claim against baselines that can beat it.
#
# `````{admonition} What we found
# :class: tip
# **Verdicts:** {glue:md}`beta_lasso_counts` ([all verdicts](verdicts.md))
#
# ```{glue:md} beta_lasso_key
# :format: myst
# ```
#
# *Scale:* {glue:text}`beta_lasso_scale`
# `````

# %% tags=["parameters"]
datasets: list = ["mnist", "cifar10"]  # mnist, cifar10 (offline here); cifar100, svhn need internet
alpha: int = 1  # base channels (paper: 150; students: 1)
epochs: int = 100  # epochs of the students' setting, cosine schedule (paper: 400 and 4000; students: 400)
seeds: int = 3  # independent runs per model (paper and students: 1)
betas: list = [0.0, 1.0, 50.0]  # beta-LASSO betas of the students' setting (paper: 50; students: 0, 1, 50)
beyond_betas: list = [50.0]  # betas of the students' setting on datasets the students never used (MNIST)
lam_first: float = 2e-05  # students' setting: lambda of the first layer's weights (students: 2e-5)
lam_rest: float = 2e-05  # students' setting: lambda of the other layers' weights (students: 2e-5)
students_pull: float = 2.18  # students' setting: lambdas scaled to this L1 pull / initial bound, beta divided alike (students: 2.18; 0: lambdas as given)
bce_seeds: int = 3  # seeds of S-FC SGD and beta-LASSO trained with the students' BCE loss (their datasets only)
control_seeds: int = 1  # seeds of the control: the largest beta at the students' lambda for the epochs their pull takes
pulls: list = [0.5, 1.0, 2.0, 4.0]  # pull setting: L1 pull over the run in units of the initial bound ([] skips it)
threshold: float = 0.001  # pull setting: beta times lambda, held fixed (well below the initial bound)
pull_epochs: int = 30  # epochs of the pull setting and of its S-FC SGD, S-CONV and S-LOCAL references
lr: float = 0.1  # initial learning rate of the cosine schedule (paper and students: 0.1)
momentum: float = 0.0  # SGD momentum for the SGD runs (students: 0; beta-LASSO never uses one)
weight_decay: float = 0.0  # SGD weight decay (students: 0)
batch_size: int = 512  # minibatch size (paper and students: 512)
augment: bool = False  # random crop + horizontal flip (paper: yes; students: no)
train_per_class: int = 0  # balanced training subset per class on the students' datasets (0: all the training data available)
beyond_per_class: int = 500  # balanced training subset per class on datasets the students never used (MNIST; 0: all)
val_fraction: float = 0.1  # share of the training data held out for choosing beta and the pull
record_every: int = 5  # validation accuracy and first-layer window mass after every that many epochs and the last
cache_dir: str = ""  # results cache folder; empty means $NBLIB_CACHE, else ~/.cache/nblib/results
device: str = "auto"  # where to train: "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N"
cluster: str = ""  # "" (this process), "local:N" (N worker processes here), or a Dask scheduler "tcp://host:port"

# %% tags=["hide-input"]
# %matplotlib inline
import time

import torch
from IPython.display import Markdown, display
from myst_nb import glue

from nblib.cache import ResultCache
from nblib.chapters import beta_lasso as bl
from nblib.chapters.beta_lasso import report
from nblib.cluster import Runner
from nblib.machine import cpu_model
from nblib.params import check_notebook, parameters_markdown
from nblib.scorecard import counts_text, scorecard_markdown
from nblib.widgets import figure_choice, figure_slider

chapter = check_notebook(bl.Chapter, globals())  # unknown names, types, ranges, conflicts
runner = Runner(device, cluster)  # checks both before any work
cache = ResultCache(cache_dir or None)
display(Markdown(parameters_markdown(chapter, device=device, cluster=cluster, cache_dir=cache_dir)))

# %% [markdown]
# ## The nets, and where this chapter departs from the students' code
#
# The nets (alpha base channels, images $s \times s$, BatchNorm and ReLU after every layer but
# the last, no pooling) come in three connectivities: **S-CONV** (9×9 conv, stride 2, then fc
# $24\alpha$, fc $c$), **S-LOCAL** (the same connectivity without weight sharing) and **S-FC**
# ($3s^2 \to \alpha s^2/4 \to 24\alpha \to c$), and likewise a deep family D-CONV, D-LOCAL,
# D-FC. We apply beta-LASSO to the weight matrices only, as the paper's algorithm is written;
# biases and BatchNorm parameters take the same plain gradient step with no L1 term and no
# threshold. Two deviations from the students' code, on purpose: their optimiser applied the L1
# term and the threshold to every parameter (biases and BatchNorm too; not run here), and they
# trained with a binary cross-entropy on one-hot targets (`BCEWithLogitsLoss`, a bug for a
# 10-class problem); we use softmax cross-entropy, and train S-FC SGD and beta-LASSO with their
# loss too, to show what it did (the "BCE:" rows).
#
# Parameter counts on 32×32 colour images with 10 classes, at this run's alpha and at the
# paper's alpha = 150 (the paper's Table 4 gives 138M, 147M and 256M):

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
display(Markdown(report.param_table(chapter.alpha)))

# %% [markdown]
# ## How to test the locality claim
#
# **The measure.** Each first-layer unit of S-FC is a row of its first weight matrix: one
# weight per input pixel (summed in absolute value over colour channels). Its **window
# mass** is the share of its |weight| in its best 9×9 window (9 = S-CONV's kernel), over
# every position where the window fits. A unit of S-CONV or S-LOCAL has window mass 1 by
# construction; a unit spread evenly over the image has about 81 / (pixels where the images
# vary). A unit whose weights are all zero is dead: it is left out of the mean and the number
# of live units is reported. Because a unit with few weights left can fill one window by
# chance, each unit is also measured with its own weights at shuffled positions: what its
# sparsity alone would give. Two stronger baselines: the same weights at pixels drawn in
# proportion to the pixels' variance over the training images (under L1 a weight on a pixel
# that never varies gets no gradient and dies, so even a unit with no locality ends up on
# MNIST's digit area: this null keeps that support), and S-FC SGD of the same seed (the same
# initialisation) magnitude-pruned unit by unit to as many weights as the beta-LASSO unit keeps
# (does beta-LASSO give more locality than pruning a trained layer?).
#
# **Two settings.** Every step of beta-LASSO pulls a weight towards zero by lr × lambda; over
# a run the pull adds up to lambda × Σ lr_t. A first-layer weight starts in ±1/sqrt(fan-in),
# so while the pull is well below that bound a weight that the gradient leaves alone keeps
# most of its random initial value, and any measure of the first layer mostly sees the
# initialisation. The **students' setting** matches their pull and their threshold: they used
# lambda = 2e-5 for every layer over 400 epochs of all of CIFAR-10, 39,200 steps, a pull of
# 2.18 times the bound. The CIFAR-10 copy here has 14 steps per epoch, so their 39,200 steps
# are 2,800 epochs ({glue:text}`beta_lasso_control_minutes` minutes per S-FC run on this
# machine, measured on the control below: their Table II with three seeds, 12 runs, would take
# {glue:text}`beta_lasso_table2_hours` hours). So this setting runs their 400 epochs with both
# lambdas scaled so that the pull is theirs (by 7 on the copy) and beta divided by the same
# factor, so that the threshold
# beta × lambda is theirs (0, 2e-5 and 1e-3 for betas 0, 1 and 50). This choice was registered
# before the run. What it does not match: every step's L1 term is 7 times theirs against a
# gradient of the same size, so weights whose gradient lies between the two lambdas survive in
# their run and die in ours. A **control** run of the largest beta at their own lambda for the
# epochs their pull takes (their step count) shows how much that changes, beside the graded runs
# (one seed; it grades nothing). In the **pull
# setting**, lambda is chosen from the step budget so that the pull is a stated multiple of
# the initial bound, while the threshold beta × lambda stays fixed well below the bound (so
# it zeroes weights that training has brought near zero, not weights that merely started
# small); a small sweep of the multiple, with S-FC SGD, S-CONV and S-LOCAL trained for as
# many epochs as references. Its lambdas are far above the paper's (at most 2e-5); what it
# matches is the pull. On all of CIFAR-10 (98 steps of 512 per epoch, cosine from 0.1, so
# Σ lr_t ≈ 0.05 per step), lambda = 2e-5 pulls by about 2.2 times the first layer's initial
# bound 1/sqrt(3072) over 400 epochs and 22 times over 4,000: pulls of the pull setting's size
# or larger, which the students' setting does not reach on this much smaller CIFAR-10 copy
# (the settings table under "Training" gives each run's pull).
#
# **The rule.** The code grades it; no verdict is typed:

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
print(report.LOCALITY_RULE)

# %% [markdown]
# ## Training
#
# For every dataset and seed: the students' setting (S-FC with SGD and with beta-LASSO at
# each beta; on their dataset also with their BCE loss, and the control), then the pull setting. Every number below is the run's **final epoch**;
# validation accuracy is used only to choose a beta or a pull, never to choose an epoch, and
# test accuracy is averaged over classes (the offline CIFAR-10 test set is not balanced).
# Every run is cached: an interrupted chapter resumes. This execution:

# %% tags=["hide-input"]
display(Markdown(report.protocol(chapter)))

# %% tags=["remove-output", "hide-input"]
start = time.perf_counter()
runner.data(chapter.datasets)  # every dataset found where the runs read it, before the pull runs are sized
configs = [c for d in chapter.datasets for s in range(chapter.seeds) for c in chapter.runs(d, s)]
results = runner.map(bl.train, configs, cache)
wall_seconds = time.perf_counter() - start

# %% tags=["hide-input"]
for dataset in chapter.datasets:
    print(f"{dataset}: {next(r['note'] for r in results if r['config'].dataset == dataset)}")

# %% [markdown]
# Bookkeeping: every non-zero count is at most its layer's size, SGD leaves every weight
# non-zero, and S-LOCAL's units have window mass 1 (the measure finds a kernel where there is one).

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
for dataset in chapter.datasets:
    runs = [r for r in results if r["config"].dataset == dataset and r["config"].model == "s-fc"]
    sizes = runs[0]["layer_sizes"]
    local = [r for r in results if r["config"].dataset == dataset and r["config"].model == "s-local"]
    print(f"{dataset}: S-FC layer sizes {sizes}")
    print("  counts within sizes:", all((r["nonzero"] <= torch.tensor(sizes)).all().item() for r in runs))
    print("  SGD keeps every weight:", all(r["final_nonzero"] == sizes for r in runs if r["config"].optimizer == "sgd"))
    print("  S-LOCAL window mass 1:", all(abs(report.live_window(r) - 1) < 1e-9 for r in local))

# %% tags=["hide-input"]
display(Markdown(":::{dropdown} The two settings' L1 strength, threshold and pull, against the initial bound\n\n"
                 + "\n\n".join(f"**{d}**\n\n" + report.settings_table(results, chapter, d) for d in chapter.datasets)
                 + "\n:::"))

# %% [markdown]
# (beta_lasso-filters)=
# ## What the first layer learns
#
# Each image is one first-layer unit: the absolute weights it puts on every input pixel
# (summed over colour channels). The 16 units are drawn at random among the live ones
# (a fixed generator), not picked for looks. A convolution's unit would be a 9×9 blob;
# S-LOCAL's are that by construction. One menu per dataset chooses the run (seed 0).

# %% tags=["hide-input"]
for dataset in chapter.datasets:
    display(Markdown(f"**{dataset}**"))
    display(figure_choice(report.filter_items(results, chapter, dataset), "trained with"))

# %% [markdown]
# The students' setting as it trains: the same 16 units (random among those live at the
# end) at a few epochs of one run, seed 0 of the beta with the best validation accuracy on
# the first dataset. The slider chooses the epoch; the title gives the pull so far.

# %% tags=["hide-input"]
first = chapter.datasets[0]
featured = report.chosen(report.group(results, first, chapter.epochs), "S-FC beta-LASSO beta=")
featured_run = report.group(results, first, chapter.epochs)[featured][0]
figure_slider(report.epoch_items(featured_run), "after epoch")

# %% [markdown]
# (beta_lasso-accuracy)=
# ## Accuracy and sparsity
#
# Final-epoch balanced test accuracy, validation accuracy and non-zero weights, mean ± the
# half-width of the 95% interval over seeds. The students' and the paper's numbers were single
# runs on all of CIFAR-10 (the paper's at alpha = 150, 4000 epochs with augmentation); the
# CIFAR-10 copy here is partial (its size is printed above), so compare the differences between
# rows, not the levels. The "BCE:" rows are trained with the students' loss, a sigmoid per class
# against one-hot targets, as all of the students' runs were.

# %% tags=["hide-input"]
for dataset in chapter.datasets:
    for name, epochs, _ in report.settings(chapter):
        table = report.accuracy_table(results, dataset, epochs, students=name == "students' setting")
        display(Markdown(f"**{dataset}, {name} ({epochs} epochs)**\n\n" + table))

# %% [markdown]
# **The control.** The largest beta at the students' own lambda for as many epochs as their
# pull takes, beside the students'-setting runs of the same beta (scaled lambda, 400 epochs):

# %% tags=["hide-input"]
for dataset in chapter.datasets:
    table = report.control_table(results, chapter, dataset)
    if table:
        display(Markdown(f"**{dataset}**\n\n" + table))
control = [r for d in chapter.datasets for r in report.control_runs(results, chapter, d)[0]]
control_minutes = sum(r["seconds"] for r in control) / len(control) / 60 if control else float("nan")
glue("beta_lasso_control_minutes", f"{control_minutes:.0f}", display=False)
glue("beta_lasso_table2_hours", f"{12 * control_minutes / 60:.1f}", display=False)

# %% [markdown]
# (beta_lasso-locality)=
# ## Locality
#
# Window mass of the live first-layer units at the final epoch (mean ± the half-width of the
# 95% interval over seeds), with the baselines:

# %% tags=["hide-input"]
for dataset in chapter.datasets:
    display(Markdown(f"**{dataset}**\n\n" + report.locality_table(results, chapter, dataset)))

# %% [markdown]
# (beta_lasso-sparsity)=
# ### Over training
#
# The window mass and the share of layer-1 weights left of every beta-LASSO run, against the
# pull accumulated by then (1 = the initial bound), so that runs of different lengths and
# lambdas share an axis ({numref}`fig-beta-lasso-training`); then each layer on its own, as in
# the students' Fig. 2 ({numref}`fig-beta-lasso-layers`).

# %% tags=["hide-input"]
every = "every epoch" if chapter.record_every == 1 else f"every {chapter.record_every} epochs and the last"
glue("beta_lasso_every", every, display=False)
glue("beta_lasso_training_figure", report.training_figure(results, chapter), display=False)
glue("beta_lasso_layers_figure", report.layers_figure(results, chapter), display=False)

# %% [markdown]
# ```{glue:figure} beta_lasso_training_figure
# :name: fig-beta-lasso-training
# :alt: For every beta-LASSO run of each dataset, the window mass of the first layer's live units and the share of its weights left, against the L1 pull accumulated so far, with S-FC SGD's final window mass and a uniform map as reference lines.
#
# S-FC's first layer under beta-LASSO, one row per dataset, mean over seeds: left, the window
# mass of the live units (recorded after {glue:text}`beta_lasso_every`), with S-FC SGD's final
# value (grey) and a map uniform over the image area (black dashes); right, the share of layer-1
# weights left non-zero after every epoch (log scales). The x axis is the L1 pull accumulated so
# far, in units of the initial bound.
# ```
#
# ```{glue:figure} beta_lasso_layers_figure
# :name: fig-beta-lasso-layers
# :alt: The share of each of S-FC's three weight layers left non-zero against the L1 pull so far, for every beta-LASSO run of each dataset, with the students' Fig. 2 values on CIFAR-10 as stars.
#
# The share of each S-FC layer's weights left non-zero after every epoch (mean over seeds), one
# row per dataset, against the L1 pull so far. The stars are the students' Fig. 2 (beta = 50
# after 100 epochs of all of CIFAR-10, read off their plot).
# ```

# %% [markdown]
# (beta_lasso-scorecard)=
# ## Reproduction scorecard
#
# **The history of this test.** The first published version of this chapter (commit
# a97a6fb) measured locality as the spread of each unit's weight mass around its centre, with
# betas 0, 1 and 50 on a CIFAR-10 subset, and graded the claim "not reproduced" (its numbers are
# in the list of changes under the scorecard). That measure was replaced because a unit's
# untouched random weights dominate its spread whatever its surviving weights do; the next
# version (7f08592) used the window mass against SGD and shuffled positions, dropped betas 0
# and 1, added the pull setting and MNIST, and every locality row turned "reproduced". The
# rule was written after those earlier results were seen. Betas 0 and 1 are back, the two
# stronger baselines above were added, and the students' setting matched to their pull, all
# registered before this run. The claims registry (`nblib/chapters/beta_lasso/claims.py`, its
# `CHANGES`) records each change with what the earlier version found.
#
# Every claim below is registered in `nblib/chapters/beta_lasso/claims.py`, with the study's
# words, its number and setting, and the conditions our run must meet, and graded by the book's
# one engine ({ref}`grading-rule`). Claims on MNIST are marked beyond the study (the students
# never used it); a row whose run is outside the students' pull or threshold is "not tested
# here", with the measured value.

# %% tags=["hide-input"]
card = report.scorecard(results, chapter).set_trained(results)
glue("beta_lasso_counts", Markdown(counts_text(card)), display=False)
glue("beta_lasso_key", Markdown(report.key_findings(results, chapter, card)), display=False)
display(Markdown(scorecard_markdown(card)))

# %% [markdown]
# ```{include} _flags/beta_lasso.md
# ```

# %% [markdown]
# What the runs show, setting by setting (sentences generated from the numbers above):

# %% tags=["hide-input"]
display(Markdown(report.findings(results, chapter)))

# %% tags=["hide-input"]
display(Markdown(report.scale_note(results, chapter)))

# %% [markdown]
# (beta_lasso-scale)=
# ## Provenance, and how to rerun this chapter
#
# This page: `papermill notebooks/beta_lasso.ipynb out.ipynb -f book/params/beta_lasso.yaml --cwd notebooks`
# (the runs are cached, so a second execution only reloads them; add `-p cluster local:2` or
# `-p cluster tcp://host:port` to spread them over processes or a Dask cluster, with the same
# results). It took {glue:text}`training_minutes` minutes of training (the sum over its runs,
# measured when each was trained) on the machine described below.
#
# The paper ran alpha = 150 (S-FC: 256M parameters) for 400 and 4000 epochs with
# augmentation on full CIFAR-10, CIFAR-100 and SVHN. The paper's scale, on a GPU machine with
# the full datasets (lists go through papermill's `-y`), is
#
# ```bash
# papermill notebooks/beta_lasso.ipynb out.ipynb -p alpha 150 -p epochs 4000 -p augment True \
#   -p pull_epochs 400 -p device cuda -y 'datasets: [cifar10, cifar100, svhn]'
# ```
#
# The cost of a step, measured on this machine when this notebook was executed, against its
# matmul peak:

# %% tags=["hide-input"]
# Machine-dependent cell: hardware, step speed and wall times of this run.
training_seconds = sum(r["seconds"] for r in results)
print(f"parameters: {chapter}")
print(f"runs: {len(results)}; torch {torch.__version__}")
print(runner.describe(results))
print(report.step_speed(results, chapter.datasets[0], chapter.alpha, chapter.batch_size))
print(f"training time: {training_seconds / 60:.1f} min (sum over runs, measured when each was trained)")
print(f"this execution: {wall_seconds:.0f} s (cached runs are loaded, not retrained)")
glue("training_minutes", f"{training_seconds / 60:.0f}", display=False)
sizes = {d: bl.experiment.split_sizes(next(r["config"] for r in results if r["config"].dataset == d))[0]
         for d in chapter.datasets}
glue("beta_lasso_scale", f"S-FC at alpha = {chapter.alpha} on " + " and ".join(
     f"{n:,} {d} training images" for d, n in sizes.items()) + f"; {chapter.epochs} epochs in the students' setting, "
     f"{chapter.pull_epochs} in the pull setting; {chapter.seeds} random seeds, {len(results)} runs, "
     f"{training_seconds / 60:.0f} minutes of training summed over the runs on "
     + (f"{cpu_model()} (no GPU)." if torch.device(runner.device).type == "cpu" else f"{runner.device}."), display=False)
runner.close()
