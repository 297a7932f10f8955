"""Every papermill command the README, the book's pages or a chapter prints is a command that
works: its parameters pass the chapter's own check (`check_notebook`, run here without any
training), as papermill would pass them. Documentation cannot drift from the code."""
import re
import shlex

import jupytext
import pytest
import yaml
from papermill import cli as pm_cli

from nblib.chapters import beta_lasso, binary_tree, digit_pairs, image_nets, needle, weight_divergence
from nblib.params import ParameterError, check_notebook

from conftest import ROOT

CONFIGS = {"binary_tree": binary_tree.TreeSweep, "beta_lasso": beta_lasso.Chapter, "digit_pairs": digit_pairs.Chapter,
           "needle": needle.Chapter, "weight_divergence": weight_divergence.Chapter, "image_nets": image_nets.Chapter}
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.py"))


def documents() -> dict[str, str]:
    """Text a reader sees: the README, the book's pages and every chapter's Markdown cells."""
    docs = {"README.md": (ROOT / "README.md").read_text()}
    docs.update({f"book/{p.name}": p.read_text() for p in sorted((ROOT / "book").glob("*.md"))})
    for chapter in CHAPTERS:
        nb = jupytext.read(ROOT / "notebooks" / f"{chapter}.py")
        docs[f"notebooks/{chapter}.py"] = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return docs


def commands(text: str) -> list[list[str]]:
    """papermill command lines in `text` (continuation lines joined), as argument lists."""
    text = re.sub(r"\\\n\s*", " ", text)
    found = re.findall(r"papermill\s+(\S+\.ipynb[^`\n]*)", text)
    return [shlex.split(line, comments=True) for line in found]


def papermill_parameters(args: list[str]) -> tuple[str, dict]:
    """(chapter, parameters) exactly as papermill's command line would merge them."""
    ctx = pm_cli.papermill.make_context("papermill", list(args))
    p = ctx.params
    final = {}
    for path in p["parameters_file"] or []:
        final.update(yaml.safe_load((ROOT / path).read_text()) or {})
    for text in p["parameters_yaml"] or []:
        final.update(yaml.load(text, Loader=pm_cli.NoDatesSafeLoader) or {})
    for name, value in p["parameters"] or []:
        final[name] = pm_cli._resolve_type(value)
    for name, value in p["parameters_raw"] or []:
        final[name] = value
    return re.fullmatch(r"notebooks/(\w+)\.ipynb", p["notebook_path"]).group(1), final


def check(chapter: str, parameters: dict):
    """The chapter's first-cell check on its parameter cell's defaults updated with `parameters`."""
    nb = jupytext.read(ROOT / "notebooks" / f"{chapter}.py")
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    namespace = {}
    exec(cell.source, namespace)
    namespace.update(parameters)
    return check_notebook(CONFIGS[chapter], namespace)


DOCUMENTED = [(where, args) for where, text in documents().items() for args in commands(text)
              if "--help-notebook" not in args]


def test_every_chapter_has_a_config_here_and_the_commands_are_found():
    assert set(CONFIGS) == set(CHAPTERS)
    where = [w for w, _ in DOCUMENTED]
    assert where.count("README.md") >= 3 and "notebooks/beta_lasso.py" in where and "notebooks/binary_tree.py" in where


@pytest.mark.parametrize("where, args", DOCUMENTED, ids=[f"{w}:{' '.join(a)[:60]}" for w, a in DOCUMENTED])
def test_documented_command_passes_the_chapters_check(where, args):
    chapter, parameters = papermill_parameters(args)
    check(chapter, parameters)


@pytest.mark.parametrize("chapter", CHAPTERS)
@pytest.mark.parametrize("params_dir", ["tests/params", "book/params"])
def test_parameter_files_pass_the_chapters_check(chapter, params_dir):
    check(chapter, *papermill_parameters(["notebooks/%s.ipynb" % chapter, "out.ipynb", "-f",
                                          f"{params_dir}/{chapter}.yaml"])[1:])


@pytest.mark.parametrize("line, words", [
    ("notebooks/beta_lasso.ipynb out.ipynb -p datasets '[cifar10, svhn]'", ["'datasets'", "list of str"]),
    ("notebooks/beta_lasso.ipynb out.ipynb -p epoch 400", ["unknown parameter 'epoch'", "did you mean 'epochs'"]),
    ("notebooks/binary_tree.ipynb out.ipynb -p trial 3", ["unknown parameter 'trial'", "'trials'"]),
    ("notebooks/binary_tree.ipynb out.ipynb -y 'eps: [0.0]'", ["'constant_noise_eps'", "0.3", "one of eps"]),
    ("notebooks/beta_lasso.ipynb out.ipynb -y 'betas: [50.0, 50.0]'", ["'betas'", "distinct"]),
    ("notebooks/digit_pairs.ipynb out.ipynb -p lr inf", ["'lr'", "finite"]),
    ("notebooks/digit_pairs.ipynb out.ipynb -p seed 100000000000000000", ["'seed'", "<="]),
    ("notebooks/digit_pairs.ipynb out.ipynb -p cache_dir 5", ["'cache_dir'", "str"]),
    ("notebooks/weight_divergence.ipynb out.ipynb -y 'sigmas: [0.3, -0.5]'", ["'sigmas'", ">= 0"]),
    ("notebooks/weight_divergence.ipynb out.ipynb -y 'rings: [1, 14]'", ["'rings'", "14x14 positions"]),
    ("notebooks/weight_divergence.ipynb out.ipynb -p shift 2", ["unknown parameter 'shift'", "'shifts'"]),
    ("notebooks/image_nets.ipynb out.ipynb -y 'cifar10_n_train: [10, 1000]'", ["'cifar10_n_train'", "at most"]),
    ("notebooks/image_nets.ipynb out.ipynb -p n_train 100", ["unknown parameter 'n_train'"]),
])
def test_a_wrong_command_is_refused_by_the_same_check(line, words):
    chapter, parameters = papermill_parameters(shlex.split(line))
    with pytest.raises(ParameterError) as err:
        check(chapter, parameters)
    for word in words:
        assert word in str(err.value)


def test_the_generated_paper_scale_command_passes_the_chapters_check():
    """The needle chapter prints its paper-scale command from code (report.paper_command): it parses
    as papermill would and passes the chapter's check, lists included."""
    from nblib.chapters.needle import report
    (args,) = commands(report.paper_command(report.paper_chapter()))
    chapter, parameters = papermill_parameters(args)
    config = check(chapter, parameters)
    assert config.channels == 64 and config.epochs == 150 and len(config.t_w) == 9 and config.t_chain == (23,)
