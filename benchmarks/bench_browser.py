"""Latency of the ConvExplorer as a person feels it: stride key press → redrawn figure.

Starts JupyterLab and Debian's chromium with the helpers the browser test uses
(``devtools/browser.py``), runs the explorer notebook, then presses ArrowRight/ArrowLeft on
the stride slider's handle and times, in the page, from the ``keydown`` event to the first frame
in which the figure's canvas pixels differ (slider → comm → kernel → matplotlib → PNG → canvas).

Usage::

    .venv/bin/python -m benchmarks.bench_browser [--presses 20] [--notebook PATH] [--root DIR]

(from the repository root).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from devtools.browser import (
    ARTIFACTS,
    EXPLORER_NOTEBOOK,
    NOTEBOOK_DIR,
    REPO_ROOT,
    Explorer,
    chromium,
    close_notebook,
    execute_notebook,
    running_lab,
    stride_latency_ms,
    summarize_ms,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20, help="key presses to time (>= 10)")
    parser.add_argument("--notebook", type=Path, default=NOTEBOOK_DIR / EXPLORER_NOTEBOOK)
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="JupyterLab root dir")
    args = parser.parse_args()
    if args.presses < 10:
        parser.error(f"--presses must be >= 10, got {args.presses}")

    start = time.perf_counter()
    with running_lab(root_dir=args.root.resolve()) as server, chromium() as browser:
        server_s = time.perf_counter() - start
        start = time.perf_counter()
        notebook = execute_notebook(browser, server, args.notebook.resolve())
        run_s = time.perf_counter() - start
        if notebook.problems:
            sys.exit("notebook shows errors:\n" + "\n".join(notebook.problems))
        samples = stride_latency_ms(Explorer.first_on(notebook.page), presses=args.presses)
        close_notebook(notebook.page)

    rows = [
        ("JupyterLab start → /api/status", f"{server_s:.1f} s"),
        (f"open + Run All Cells ({args.notebook.name})", f"{run_s:.1f} s"),
        ("stride key press → redrawn figure", summarize_ms(samples)),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"{'samples (ms)':<{width}}  " + " ".join(f"{s:.0f}" for s in samples))
    print(f"screenshot: {notebook.screenshot}  (server log: {ARTIFACTS / 'jupyter-server.log'})")


if __name__ == "__main__":
    main()
