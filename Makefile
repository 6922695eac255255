# convlessons — the two commands:
#   make course   set everything up, then open the course in JupyterLab
#   make test     set everything up, then run every test (what .ci/run calls)
# Both are idempotent: the virtual environment in .venv is (re)built only when
# pyproject.toml or the shipped JupyterLab settings change.

VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The CPU build of PyTorch, installed before the package so that pip never
# resolves `torch` to a multi-GB CUDA build.
TORCH  ?= torch==2.13.0
SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: course test setup browser bench report

course: setup
	$(VENV)/bin/jupyter lab notebooks/00_welcome.ipynb

test: setup browser
	$(PYTHON) -m pytest --nbval-lax tests notebooks

bench: setup
	$(PYTHON) benchmarks/bench_reference.py
	$(PYTHON) benchmarks/bench_widgets.py

report: setup browser
	$(PYTHON) benchmarks/report.py

setup: $(STAMP)

$(STAMP): pyproject.toml jupyter/overrides.json
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet "$(TORCH)"
	$(PYTHON) -m pip install --quiet -e ".[test]"
	mkdir -p $(dir $(SETTINGS))
	cp jupyter/overrides.json $(SETTINGS)
	touch $(STAMP)

# Debian's chromium for the browser tests (never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
