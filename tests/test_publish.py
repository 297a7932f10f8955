"""Publishing a chapter removes its parameters and papermill's injected cell from the built page."""
import nbformat

from nblib.publish import hide_parameter_cells, main


def test_parameter_cells_are_removed_from_the_page_and_nothing_else(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A chapter"),
        nbformat.v4.new_code_cell("epochs = 3", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("epochs = 30", metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("print(epochs)", metadata={"tags": ["hide-input"]}),
    ])
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    main([str(path)])
    main([str(path)])  # twice: tagged once
    tags = [c.metadata.get("tags", []) for c in nbformat.read(path, as_version=4).cells]
    assert tags == [[], ["parameters", "remove-cell"], ["injected-parameters", "remove-cell"], ["hide-input"]]
    assert hide_parameter_cells(nbformat.read(path, as_version=4)) == 0
