"""Every chapter: sources in sync, parameter files valid, CI references and published
chapters current, and bad parameters rejected before any work starts. (The reference
notebooks in tests/refs/ are re-executed and their marked outputs compared by nbval.)"""
import re
import jupytext
import nbformat
import papermill as pm
import pytest
import torch
import yaml

from conftest import ROOT

CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.py"))


def sources(nb, skip_injected=True):
    """(cell type, source) of every cell, without papermill's injected-parameters cell."""
    return [(c.cell_type, c.source.strip()) for c in nb.cells
            if not (skip_injected and "injected-parameters" in c.metadata.get("tags", []))]


def prepared(chapter, params_dir, tmp_path):
    """The chapter as papermill prepares it with its parameter file (nothing executed)."""
    params = yaml.safe_load((ROOT / params_dir / f"{chapter}.yaml").read_text())
    out = tmp_path / f"{chapter}.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / f"{chapter}.ipynb"), str(out),
                        parameters=params, prepare_only=True, progress_bar=False)
    return nbformat.read(out, as_version=4)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_ipynb_is_generated_from_py(chapter):
    py = jupytext.read(ROOT / "notebooks" / f"{chapter}.py")
    ipynb = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)
    assert sources(py) == sources(ipynb), "run `make notebooks` to regenerate the .ipynb"
    assert ipynb.metadata["kernelspec"]["name"] == "python3"
    assert sum("parameters" in c.metadata.get("tags", []) for c in ipynb.cells) == 1


@pytest.mark.parametrize("chapter", CHAPTERS)
@pytest.mark.parametrize("params_dir", ["tests/params", "book/params"])
def test_parameter_files_name_real_parameters(chapter, params_dir):
    known = pm.inspect_notebook(str(ROOT / "notebooks" / f"{chapter}.ipynb"))
    params = yaml.safe_load((ROOT / params_dir / f"{chapter}.yaml").read_text())
    assert set(params) <= set(known), f"unknown: {set(params) - set(known)}"
    assert all(known[name]["help"] for name in known), "every parameter needs a comment"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_ci_reference_is_current(chapter, tmp_path):
    ref = nbformat.read(ROOT / "tests" / "refs" / f"{chapter}.ipynb", as_version=4)
    assert sources(ref, False) == sources(prepared(chapter, "tests/params", tmp_path), False), \
        "tests/refs is stale: run `make refs`"
    checked = [c for c in ref.cells if "NBVAL_CHECK_OUTPUT" in c.source]
    assert checked and all(c.outputs for c in checked), "marked cells need reference outputs"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_published_chapter_is_current_and_executed(chapter, tmp_path):
    book = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    assert sources(book, False) == sources(prepared(chapter, "book/params", tmp_path), False), \
        "book/ chapter is stale: run `make chapters`"
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every cell of a published chapter ran"
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    assert book.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]


@pytest.mark.parametrize("chapter, values, words", [
    ("binary_tree", {"trials": 0}, ["'trials'", "0", ">= 1"]),
    ("binary_tree", {"n_train": "many"}, ["'n_train'", "'many'", "list of int"]),
    ("binary_tree", {"n_test": "1024"}, ["'n_test'", "'1024'", "str", "int"]),
    ("beta_lasso", {"datasets": ["imagenet"]}, ["'datasets'", "'imagenet'", "'cifar10'"]),
    ("beta_lasso", {"epochs": -1}, ["'epochs'", "-1", ">= 1"]),
    ("digit_pairs", {"runs": 1}, ["'runs'", "1", ">= 2"]),
    ("digit_pairs", {"n_pairs": 6000}, ["'n_pairs'", "6000", "<= 5000"]),
    ("binary_tree", {"device": "tpu"}, ["'device'", "'tpu'", "'auto'", "'cuda:N'"]),
    ("digit_pairs", {"cluster": "local:0"}, ["'cluster'", "'local:0'", "N >= 1"]),
    ("digit_pairs", {"cluster": "local:100000"}, ["'cluster'", "'local:100000'", "N <="]),
    ("beta_lasso", {"cluster": "slurm"}, ["'cluster'", "'slurm'", "'local:N'", "tcp://host:port"]),
    ("beta_lasso", {"epoch": 400}, ["unknown parameter 'epoch'", "did you mean 'epochs'"]),
    ("binary_tree", {"trial": 3}, ["unknown parameter 'trial'", "'trials'"]),
    ("binary_tree", {"time": 5}, ["unknown parameter 'time'"]),  # rebound by the chapter's `import time`
    ("needle", {"torch": 1}, ["unknown parameter 'torch'"]),
    ("beta_lasso", {"betas": [50.0, 50.0]}, ["'betas'", "distinct", "50.0 repeated"]),
    ("digit_pairs", {"lr": float("inf")}, ["'lr'", "inf", "finite"]),
    ("binary_tree", {"eps": [0.0]}, ["'constant_noise_eps'", "one of eps"]),
    ("digit_pairs", {"cache_dir": 5}, ["'cache_dir'", "5", "str"]),
    ("needle", {"t_w": [0, 3]}, ["'t_w'", "[0, 3]", "< epochs (3)"]),
    ("needle", {"channels": 0}, ["'channels'", "0", ">= 1"]),
    ("needle", {"train_per_class": 10000}, ["'train_per_class'", "10000", "at most"]),
    ("weight_divergence", {"sigmas": [0.3, -0.5]}, ["'sigmas'", "-0.5", ">= 0"]),
    ("weight_divergence", {"datasets": ["svhn"]}, ["'datasets'", "'svhn'", "'mnist'"]),
    ("weight_divergence", {"rings": [1, 14]}, ["'rings'", "14x14 positions", "< 14"]),
    ("weight_divergence", {"train_per_class": 6000}, ["'train_per_class'", "6000", "at most"]),
    ("image_nets", {"cifar10_n_train": [10, 1000]}, ["'cifar10_n_train'", "1000", "at most"]),
    ("image_nets", {"datasets": ["svhn"]}, ["'datasets'", "'svhn'", "'mnist'"]),
    ("image_nets", {"eps_scale": [0.0, -0.1, 1.0]}, ["'eps_scale'", "-0.1", ">= 0"]),
    pytest.param("beta_lasso", {"device": "cuda"}, ["'device'", "'cuda'", "CUDA is not available"],
                 marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")),
])
def test_bad_parameter_fails_before_any_work(chapter, values, words, tmp_path):
    out = tmp_path / "out.ipynb"
    params = {**yaml.safe_load((ROOT / f"tests/params/{chapter}.yaml").read_text()), **values}
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(ROOT / f"notebooks/{chapter}.ipynb"), str(out), parameters=params,
                            progress_bar=False, kernel_name="python3")
    assert err.value.ename == "ParameterError"
    for word in words:
        assert word in err.value.evalue
    nb = nbformat.read(out, as_version=4)
    ran = [c for c in nb.cells if c.cell_type == "code" and c.execution_count]
    assert "check_notebook" in ran[-1].source, "the error must come from the parameter check"
    assert not any("runner.map" in c.source for c in ran)


def test_a_missing_dataset_stops_before_any_training_with_one_message(tmp_path):
    """svhn is not here (no internet): the chapter stops before training the datasets that are."""
    out, cache = tmp_path / "out.ipynb", tmp_path / "cache"
    params = {**yaml.safe_load((ROOT / "tests/params/beta_lasso.yaml").read_text()),
              "datasets": ["mnist", "svhn"], "train_per_class": 0, "cache_dir": str(cache)}
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(ROOT / "notebooks/beta_lasso.ipynb"), str(out), parameters=params,
                            progress_bar=False, kernel_name="python3")
    assert err.value.ename == "DatasetNotFoundError" and "svhn is needed" in err.value.evalue
    assert "During handling of the above exception" not in "".join(err.value.traceback)
    assert not list(cache.glob("*.pt")), "nothing was trained"


RUN_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")


def text_outputs(nb) -> list:
    """Every stdout, text, Markdown and PNG output the book shows, cell by cell (not the progress
    bars of the training cells, which the book removes, nor the machine-dependent cell, nor the
    table of parameters, which names the cluster and cache the page ran with), with the clock
    times of the runs (the scorecard's registration line) blanked: the two executions train at
    different minutes."""
    kept = []
    for cell in nb.cells:
        if (cell.cell_type != "code" or "Machine-dependent" in cell.source or "parameters_markdown(" in cell.source
                or "remove-output" in cell.metadata.get("tags", [])):
            continue
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stdout":
                kept.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                kept.append({k: RUN_TIME.sub("<time>", v) if k != "image/png" else v
                             for k, v in out.data.items() if k in ("text/plain", "text/markdown", "image/png")})
    return kept


def test_a_chapter_on_a_local_dask_cluster_equals_the_chapter_in_process(tmp_path):
    params = yaml.safe_load((ROOT / "tests/params/binary_tree.yaml").read_text())
    runs = {}
    for where, cluster in (("here", ""), ("cluster", "local:2")):
        out = tmp_path / f"{where}.ipynb"
        pm.execute_notebook(str(ROOT / "notebooks/binary_tree.ipynb"), str(out), progress_bar=False,
                            parameters={**params, "cluster": cluster, "cache_dir": str(tmp_path / where)},
                            cwd=str(ROOT / "notebooks"), kernel_name="python3")
        runs[where] = nbformat.read(out, as_version=4)
    here, there = text_outputs(runs["here"]), text_outputs(runs["cluster"])
    assert len(here) >= 8 and here == there  # tables, figures, scorecard: all equal
    provenance = "".join(o.get("text", "") for c in runs["cluster"].cells if "Machine-dependent" in c.source
                         for o in c.outputs)
    assert "cluster: Dask at 'local:2', 2 worker(s)" in provenance
