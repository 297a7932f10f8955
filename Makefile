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
	$(BIN)/jupyter-book build . --all -W -n --keep-going

# Everything CI checks: nblib's tests, every notebook on reduced parameters (papermill and
# nbval against tests/refs), the book build with no warnings, and the widgets in Chromium.
test: venv html
	$(BIN)/python -m pytest tests --nbval-lax -p no:cacheprovider -q

# Regenerate every .ipynb from its .py source (the .py is what is edited).
notebooks: venv
	$(BIN)/jupytext --update --to ipynb notebooks/*.py

# Re-execute the published chapters with book/params/<chapter>.yaml (the full runs), each into a
# temporary file that replaces book/<chapter>.ipynb only when the whole chapter ran (an interrupted
# or failed run leaves the published chapter as it was); prints each chapter's wall time.
chapters: venv notebooks
	@for c in $(CHAPTERS); do \
	  tmp=$$(mktemp -d); start=$$(date +%s); \
	  $(BIN)/papermill notebooks/$$c.ipynb $$tmp/$$c.ipynb -f book/params/$$c.yaml --cwd notebooks \
	    && $(BIN)/python -m nblib.publish $$tmp/$$c.ipynb \
	    && mv $$tmp/$$c.ipynb book/$$c.ipynb || { rm -rf $$tmp; echo "$$c failed: book/$$c.ipynb unchanged"; exit 1; }; \
	  rm -rf $$tmp; echo "$$c: $$(( $$(date +%s) - start )) s wall"; \
	done

# Re-execute the CI reference notebooks (tests/params) whose marked outputs nbval compares (the same way).
refs: venv notebooks
	@mkdir -p tests/refs
	@for c in $(CHAPTERS); do \
	  tmp=$$(mktemp -d); \
	  $(BIN)/papermill notebooks/$$c.ipynb $$tmp/$$c.ipynb -f tests/params/$$c.yaml --cwd notebooks \
	    && mv $$tmp/$$c.ipynb tests/refs/$$c.ipynb || { rm -rf $$tmp; echo "$$c failed: tests/refs/$$c.ipynb unchanged"; exit 1; }; \
	  rm -rf $$tmp; \
	done

bench: venv
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf _build
