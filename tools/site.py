"""Build a static HTML copy of the executed course: ``make site`` → ``build/site/index.html``.

::

    .venv/bin/python tools/site.py notebooks build/site [--only 00_welcome ...]

Each notebook runs top to bottom in a fresh kernel from its own folder (nbconvert's
``ExecutePreprocessor``, i.e. nbclient) and is written twice into the target folder:

- ``NN_name.ipynb``, the executed notebook (GitHub and nbviewer show its outputs);
- ``NN_name.html``, nbconvert's ``lab`` template: formulas typeset by MathJax (loaded by the
  reader's browser from a CDN, or from ``--mathjax-url``), links between notebooks pointing
  at the pages.

A static page has no kernel to drive a live widget, so every widget appears as the picture
of its state after *Run All*: the ``image/png`` entry of its display bundle (lesson widgets
and matplotlib canvases carry one). Widget state is not stored in the executed notebook, so
the exporter shows that picture instead of a widget that could never load. ``index.html``
lists the notebooks with their titles. The course's own notebooks are never modified; a
cell that raises stops the build with the notebook's name.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor

CELL_TIMEOUT_S = 300
LOCAL_NOTEBOOK_LINK = re.compile(r'href="(?P<name>[^":/#?]+)\.ipynb(?P<anchor>#[^"]*)?"')


def title_of(notebook: nbformat.NotebookNode, fallback: str) -> str:
    """The text of the notebook's first ``# heading``."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if match:
                return match.group(1).strip()
    return fallback


def execute(path: Path, timeout: int = CELL_TIMEOUT_S) -> nbformat.NotebookNode:
    """The notebook at ``path`` run top to bottom in a fresh ``python3`` kernel, from its folder."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("widgets", None)
    runner = ExecutePreprocessor(timeout=timeout, kernel_name="python3", store_widget_state=False)
    runner.preprocess(notebook, {"metadata": {"path": str(path.parent)}})
    return notebook


def to_html(notebook: nbformat.NotebookNode, title: str, mathjax_url: str | None = None) -> str:
    """The ``lab`` template's page, links to other ``.ipynb`` files pointing at their pages.

    ``mathjax_url`` replaces nbconvert's MathJax 2 address (a CDN) by a copy of your own.
    """
    exporter = HTMLExporter(template_name="lab")
    if mathjax_url:
        exporter.mathjax_url = mathjax_url
    page, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return LOCAL_NOTEBOOK_LINK.sub(lambda m: f'href="{m["name"]}.html{m["anchor"] or ""}"', page)


def index_page(entries: list[tuple[str, str]]) -> str:
    """``index.html``: one link per ``(stem, title)``."""
    items = "\n".join(
        f'    <li><a href="{html.escape(stem)}.html">{html.escape(title)}</a></li>'
        for stem, title in entries
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>convlessons — the convolution operation behind CNNs</title>
  <style>
    body {{ font-family: sans-serif; max-width: 48rem; margin: 2rem auto; line-height: 1.5; }}
  </style>
</head>
<body>
  <h1>convlessons — the convolution operation behind CNNs, seen and proved</h1>
  <p>Every notebook of the course, run top to bottom on {time.strftime("%Y-%m-%d")}. The
  widgets are pictures of their state after <em>Run All</em>; to move their sliders, run
  the notebooks in JupyterLab.</p>
  <ol>
{items}
  </ol>
</body>
</html>
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of the course notebooks")
    parser.add_argument("target", type=Path, help="folder for the site")
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="build only this notebook"
    )
    parser.add_argument(
        "--mathjax-url", default=None, help="MathJax 2 script to load (default: nbconvert's CDN)"
    )
    args = parser.parse_args(argv)

    paths = sorted(args.source.glob("*.ipynb"))
    if args.only:
        paths = [p for p in paths if p.stem in args.only]
        missing = set(args.only) - {p.stem for p in paths}
        if missing:
            print(f"site: no notebook named {', '.join(sorted(missing))}", file=sys.stderr)
            return 1
    if not paths:
        print(f"site: no notebooks in {args.source}", file=sys.stderr)
        return 1

    args.target.mkdir(parents=True, exist_ok=True)
    entries = []
    for path in paths:
        start = time.perf_counter()
        try:
            notebook = execute(path.resolve())
        except CellExecutionError as err:
            print(f"site: {path.name} failed:\n{err}", file=sys.stderr)
            return 1
        title = title_of(notebook, path.stem)
        nbformat.write(notebook, args.target / path.name)
        page = to_html(notebook, title, args.mathjax_url)
        (args.target / f"{path.stem}.html").write_text(page, encoding="utf-8")
        entries.append((path.stem, title))
        print(f"site: {path.stem}.html ({time.perf_counter() - start:.1f} s)")
    (args.target / "index.html").write_text(index_page(entries), encoding="utf-8")
    print(f"site: {len(entries)} pages and index.html in {args.target}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
