# The two commands of the README: `make book` (set up, build the book) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHAPTERS := $(basename $(notdir $(wildcard notebooks/*.py)))

.PHONY: book test venv html chapters notebooks refs bench clean

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# Build the book from the committed (already executed) chapters; no training.
book: venv html
	@echo "The book is built: open $(CURDIR)/_build/html/index.html"

# The verdict dashboard (book/verdicts.md) is generated from the published chapters first.
html:
	$(BIN)/python -m nblib.chapters.dashboard
	$(BIN)/jupyter-book build . -W -n --keep-going

# Everything CI checks: nblib's tests, every notebook on reduced parameters (papermill and
# nbval against tests/refs), the book build with no warnings, and the widgets in Chromium.
test: venv html
	$(BIN)/python -m pytest tests --nbval-lax -p no:cacheprovider -q

# Regenerate every .ipynb from its .py source (the .py is what is edited).
notebooks: venv
	$(BIN)/jupytext --update --to ipynb notebooks/*.py

# Re-execute the published chapters with book/params/<chapter>.yaml (the full runs).
chapters: venv notebooks
	for c in $(CHAPTERS); do \
	  $(BIN)/papermill notebooks/$$c.ipynb book/$$c.ipynb -f book/params/$$c.yaml --cwd notebooks || exit 1; \
	done

# Re-execute the CI reference notebooks (tests/params) whose marked outputs nbval compares.
refs: venv notebooks
	mkdir -p tests/refs
	for c in $(CHAPTERS); do \
	  $(BIN)/papermill notebooks/$$c.ipynb tests/refs/$$c.ipynb -f tests/params/$$c.yaml --cwd notebooks || exit 1; \
	done

bench: venv
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf _build
