# convlessons — the two commands:
#   make course   set everything up, then open the course in JupyterLab
#   make test     set everything up, then run every test (what .ci/run calls)
# Both are idempotent: the virtual environment in .venv is (re)built only when
# pyproject.toml, the shipped JupyterLab settings, the PyTorch installer or the
# TORCH_SPEC/TORCH_INDEX choice change.
# For instructors: make student (notebooks without solutions), make site (static HTML).

VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The Python that creates .venv: 3.11, 3.12 or 3.13 (e.g. PYTHON3=python3.13).
PYTHON3 ?= python3
# PyTorch's CPU build, installed before the package so that pip never resolves `torch`
# to a multi-GB CUDA build: TORCH_SPEC is the requirement (or a wheel file), TORCH_INDEX
# is `auto` (PyTorch's CPU index on Linux x86_64, pip's own index where that cannot be
# reached or elsewhere), `default` (pip's own index) or an index URL. tools/install_torch.py
# then stops the set-up if any nvidia-*, cuda-* or triton package came in.
TORCH_SPEC  ?= torch==2.13.0
TORCH_INDEX ?= auto
TORCH_CHOICE := $(VENV)/.torch-choice
SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: course test setup browser bench report student site FORCE

# Kernel WebSockets without Nagle's delay (convlessons/server.py): widgets answer faster.
LAB_OPTIONS := --ServerApp.kernel_websocket_connection_class=convlessons.server.NoDelayConnection

course: setup
	$(VENV)/bin/jupyter lab $(LAB_OPTIONS) notebooks/00_welcome.ipynb

test: setup browser
	$(PYTHON) -m pytest --nbval-lax tests notebooks

bench: setup
	$(PYTHON) -m benchmarks.bench_reference
	$(PYTHON) -m benchmarks.bench_widgets

report: setup browser
	$(PYTHON) -m benchmarks.report

setup: $(STAMP)

$(STAMP): pyproject.toml jupyter/overrides.json tools/install_torch.py $(TORCH_CHOICE)
	test -x $(PYTHON) || $(PYTHON3) -m venv $(VENV)
	$(PYTHON) tools/install_torch.py --spec "$(TORCH_SPEC)" --index "$(TORCH_INDEX)"
	$(PYTHON) -m pip install --quiet -e ".[dev]"
	$(PYTHON) tools/install_torch.py --check
	mkdir -p $(dir $(SETTINGS))
	cp jupyter/overrides.json $(SETTINGS)
	touch $(STAMP)

# Rewritten only when TORCH_SPEC or TORCH_INDEX differ from the last set-up's.
$(TORCH_CHOICE): FORCE
	@mkdir -p $(VENV)
	@echo '$(TORCH_SPEC) $(TORCH_INDEX)' | cmp -s - $@ || echo '$(TORCH_SPEC) $(TORCH_INDEX)' > $@

FORCE:

# The notebooks without the cells tagged "solution" or "discussion", for handing out.
student: setup
	$(PYTHON) tools/student.py notebooks build/student

# A static HTML copy of the executed course (pictures of every widget, formulas, an index).
site: setup
	$(PYTHON) tools/site.py notebooks build/site

# Debian's chromium for the browser tests (never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
