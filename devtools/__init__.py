"""Tools for developing the course, not part of it: imported by ``tests/`` and ``benchmarks/``.

- :mod:`devtools.browser`: a hermetic JupyterLab server, Debian's chromium and notebook pages,
  driven by Playwright (the browser test and the browser benchmark).
- :mod:`devtools.scenarios`: runs a notebook as a learner who moves every widget control
  between cells (``tests/test_notebook_scenarios.py``).

Run from the repository root (``python -m benchmarks.bench_browser``); pytest finds it through
``pythonpath`` in ``pyproject.toml``.
"""
