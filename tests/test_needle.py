import pytest
import torch

from nblib.chapters import needle
from nblib.embed import off_local_ratio


def test_vanilla_cnn_has_the_papers_size():
    counts = needle.param_counts(64)
    assert counts["CNN"] == sum(p.numel() for p in needle.vanilla_cnn(64).parameters()) == 143_178  # "0.14M"
    assert round(counts["eFCN (authors: padding layers)"] / 1e6, 1) == 110.6  # the authors' count
    assert counts["eFCN (padding inside)"] == 73_952_522  # 73.93M weights + 23,818 biases


def test_our_efcn_count_is_what_the_embedding_builds():
    cnn = needle.vanilla_cnn(4)
    built = sum(p.numel() for p in needle.release(cnn, "efcn").parameters())
    assert built == needle.param_counts(4)["eFCN (padding inside)"]


@pytest.mark.parametrize("to", ["efcn", "elcn"])
def test_the_release_is_exact(to):
    torch.manual_seed(0)
    cnn = needle.vanilla_cnn(8)
    x = torch.randn(5, 3, 32, 32)
    released = needle.release(cnn, to)
    with torch.no_grad():
        assert (released(x) - cnn(x)).abs().max() < 1e-5
    if to == "efcn":
        assert off_local_ratio(released) == 0.0  # every off-local weight starts at exactly zero
    with pytest.raises(ValueError, match="'efcn' or 'elcn'"):
        needle.release(cnn, "fcn")
