import dataclasses

import pytest

from nblib.params import ParameterError, check_params, param


@dataclasses.dataclass(frozen=True)
class Config:
    name: str = param("a", choices=("a", "b"))
    epochs: int = param(10, gt=0)
    eps: tuple[float, ...] = param((0.0, 0.1), ge=0.0, nonempty=True)
    rate: float = param(0.5, gt=0.0, le=1.0)
    flag: bool = False

    def validate(self):
        if self.epochs > 100 and self.name == "b":
            raise ParameterError("parameter 'epochs': at most 100 for name 'b'")


def test_valid_values_are_converted():
    config = check_params(Config, eps=[0, 0.3], rate=1, epochs=5)
    assert config.eps == (0.0, 0.3) and isinstance(config.eps[0], float)
    assert config.rate == 1.0 and isinstance(config.rate, float)
    assert config.epochs == 5


@pytest.mark.parametrize("values, words", [
    (dict(name="c"), ["'name'", "'c'", "'a', 'b'"]),
    (dict(epochs=0), ["'epochs'", "0", "> 0"]),
    (dict(epochs=-3), ["'epochs'", "-3"]),
    (dict(epochs="10"), ["'epochs'", "'10'", "str", "int"]),
    (dict(epochs=2.5), ["'epochs'", "2.5", "int"]),
    (dict(epochs=True), ["'epochs'", "bool", "int"]),
    (dict(eps=[0.1, -0.1]), ["'eps'", "-0.1", ">= 0.0"]),
    (dict(eps="0.1"), ["'eps'", "list of float"]),
    (dict(eps=[]), ["'eps'", "empty"]),
    (dict(rate=2.0), ["'rate'", "2.0", "<= 1.0"]),
    (dict(flag=1), ["'flag'", "bool"]),
    (dict(epoch=3), ["unknown", "epoch", "did you mean 'epochs'"]),
    (dict(eps=[0.1, 0.1]), ["'eps'", "distinct", "0.1 repeated"]),
    (dict(eps=[float("inf")]), ["'eps[0]'", "inf", "finite"]),
    (dict(rate=float("nan")), ["'rate'", "nan", "finite"]),
    (dict(rate=float("inf")), ["'rate'", "finite"]),
    (dict(name="b", epochs=200), ["'epochs'", "100"]),
])
def test_bad_values_name_parameter_value_and_rule(values, words):
    with pytest.raises(ParameterError) as err:
        check_params(Config, **values)
    for word in words:
        assert word in str(err.value)


def _namespace(**values):
    """A notebook's globals after its parameter cells and imports ran."""
    import math
    return {"In": [""], "Out": {}, "_": "", "_i1": "x", "get_ipython": print, "math": math,
            "Config": Config, "check_params": check_params, **values}


def test_notebook_check_reads_the_parameters_from_the_globals():
    from nblib.params import check_notebook
    config = check_notebook(Config, _namespace(epochs=7, eps=[0.2], device="cpu", cluster="", cache_dir="",
                                               PAPERMILL_INPUT_PATH="in.ipynb"))
    assert config == Config(epochs=7, eps=(0.2,))


@pytest.mark.parametrize("values, words", [
    (dict(epoch=400), ["unknown parameter 'epoch'", "did you mean 'epochs'", "cache_dir", "device"]),
    (dict(trial=3), ["unknown parameter 'trial'", "this chapter's parameters are"]),
    (dict(cache_dir=5), ["'cache_dir'", "5", "str"]),
    (dict(device="gpu"), ["'device'", "'gpu'", "'cuda:N'"]),
    (dict(cluster="local:0"), ["'cluster'", "N >= 1"]),
    (dict(eps=[50.0, 50.0]), ["'eps'", "distinct"]),
])
def test_notebook_check_refuses_unknown_names_and_bad_runtime_values(values, words):
    from nblib.params import check_notebook
    with pytest.raises(ParameterError) as err:
        check_notebook(Config, _namespace(**values))
    for word in words:
        assert word in str(err.value)


def test_a_parameter_that_an_import_rebinds_is_still_refused():
    """`-p time 5`: papermill's injected cell sets time = 5, then the chapter's `import time` rebinds it to
    the module, so the globals alone no longer show it; the input history still does."""
    import time
    from nblib.params import assigned_names, check_notebook
    cells = ["", 'epochs: int = 3  # epochs\neps: list = [0.1]  # noise', "# Parameters\ntime = 5\nepochs = 4\n",
             "get_ipython().run_line_magic('matplotlib', 'inline')\nimport time\nx = check_notebook(Config, globals())"]
    assert assigned_names(cells[:-1]) == ["epochs", "eps", "time"]
    assert assigned_names(["import time\ny = 2", "def f():\n    z = 1", "%%bash"]) == []  # not parameter cells
    namespace = {**_namespace(epochs=4, eps=[0.1]), "In": cells, "time": time}
    with pytest.raises(ParameterError, match="unknown parameter 'time'"):
        check_notebook(Config, namespace)
    assert check_notebook(Config, {**namespace, "In": cells[:2] + cells[3:]}) == Config(epochs=4, eps=(0.1,))



def test_the_values_a_page_ran_with_are_one_collapsed_table():
    from nblib.params import parameters_markdown

    @dataclasses.dataclass(frozen=True)
    class Small:
        epochs: int = param(3, ge=1)
        sizes: tuple[int, ...] = param((1, 2), ge=1)
        name: str = param("", choices=("", "a"))

    text = parameters_markdown(Small(epochs=5), device="cpu", cluster="")
    lines = text.splitlines()
    assert lines[0] == ":::{dropdown} The 5 parameters this page ran with" and lines[-1] == ":::"
    assert "| `epochs` | `5` |" in lines and "| `sizes` | `[1, 2]` |" in lines
    assert "| `name` | (empty) |" in lines and "| `device` | `'cpu'` |" in lines and "| `cluster` | (empty) |" in lines
