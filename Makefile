# Two commands on a fresh machine: `make book` builds the HTML book, `make test` runs every test.
# Each sets up what it needs first: a virtual environment with the pinned stack, and the data.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test test-cpus test-colab data execute homework exercises grade bench clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

data: $(STAMP)
	$(BIN)/python -m d2l_utils.fetch

book: data
	$(BIN)/jupyter-book build . -W -n --keep-going
	@if command -v chromium >/dev/null; then $(BIN)/python tools/build_pdf.py; \
	else echo "No Chromium: the HTML's .pdf link stays empty (make pdf after tools/install_chromium.sh)."; fi
	@echo "Book built: open $(CURDIR)/_build/html/index.html in a browser."

# The whole book as one PDF, _build/pdf/book.pdf (also copied to _build/html/book.pdf, which the
# HTML links): the single-page HTML build printed by headless Chromium, offline. About 2 minutes.
.PHONY: pdf
pdf: data
	./tools/install_chromium.sh
	$(BIN)/python tools/build_pdf.py

# SEED_SHIFT: how far tests/test_seed_guard.py moves every seed when it re-runs the chapters.
SEED_SHIFT ?= 1000
test: data
	./tools/install_chromium.sh
	D2L_GUARD_SEED_SHIFT=$(SEED_SHIFT) $(BIN)/python -m pytest

# The chapters under nbval as if on other CPUs (OpenBLAS kernels, oneDNN instruction set, threads):
# prints a table of configuration x failures, also in _build/cpu_matrix.txt. About 20 minutes;
# not part of `make test`. `make test-cpus ROWS=3,4` runs some rows only.
test-cpus: data
	$(BIN)/python tools/cpu_matrix.py $(if $(ROWS),--rows $(ROWS)) $(NB)

# A simulated Colab (tools/colab_sim.py): a fresh Python 3.12 venv with numpy 2 and PyTorch 2, the
# chapters' first cell, its runtime restart, then chapters 1 and 8 to the end, offline. Downloads
# about 3 GB of wheels once (kept in _build/colab/wheels); then about 10 minutes. Not in `make test`.
test-colab: data
	D2L_COLAB_SIM=1 $(BIN)/python -m pytest tests/test_colab.py -k simulated_colab
	@echo "Log: $(CURDIR)/_build/colab/colab_sim.log"

# Re-execute chapters and store their outputs: `make execute` (all) or `make execute NB=chapters/01_motivation.ipynb`.
NB ?= chapters/*.ipynb
execute: data
	$(BIN)/python tools/execute.py $(NB)

# Student copies of the chapters (solutions removed) in _build/homework/.
homework: $(STAMP)
	$(BIN)/python tools/homework.py students

# Grade a class: `make grade SUBMISSIONS=dir` (one folder of notebooks per student); writes
# _build/grades/gradebook.csv and _build/grades/feedback/. ARGS=--timeout 900 etc.
grade: $(STAMP)
	$(BIN)/python tools/grade.py $(SUBMISSIONS) $(ARGS)

# Regenerate exercises.md, the book's list of exercises (a test checks it is up to date).
exercises: $(STAMP)
	$(BIN)/python tools/homework.py index

# Speed benchmarks against a hand-written loop and PyTorch (CPU build); not part of `make test`.
# `make bench ARGS=--levers` also times each speed setting on its own (in fresh processes).
bench: data
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/bench.py $(ARGS)
	$(BIN)/python bench/cpu_bench.py

clean:
	rm -rf _build
