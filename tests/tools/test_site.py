"""tools/site.py (`make site`): one notebook's page, built as the command builds every page.

00_welcome is the smallest notebook with a lesson widget (the explorer): its page must show
every widget as a picture, keep the formulas for MathJax, and link the other pages.
"""

import base64
import io
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from matplotlib.image import imread

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "site.py"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
NOTEBOOK = "00_welcome"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, TOOL, ROOT / "notebooks", target, "--only", NOTEBOOK],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return target


def outputs(notebook) -> list:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


def test_the_page_the_executed_notebook_and_the_index_are_written(site):
    assert {p.name for p in site.iterdir()} == {
        f"{NOTEBOOK}.html",
        f"{NOTEBOOK}.ipynb",
        "index.html",
    }
    index = (site / "index.html").read_text()
    assert f'<a href="{NOTEBOOK}.html">00 · Welcome to the convolution course</a>' in index


def test_every_widget_output_carries_a_picture(site):
    executed = nbformat.read(site / f"{NOTEBOOK}.ipynb", as_version=4)
    assert not [o for o in outputs(executed) if o.output_type == "error"]
    widgets = [o for o in outputs(executed) if WIDGET_VIEW in o.get("data", {})]
    assert widgets, "00_welcome shows the explorer"
    for output in widgets:
        picture = imread(io.BytesIO(base64.b64decode(output.data["image/png"])), format="png")
        height, width = picture.shape[:2]
        assert height > 100 and width > 100
    assert "widgets" not in executed.metadata  # no state: the page shows the picture


def test_the_page_shows_each_widget_as_its_picture(site):
    executed = nbformat.read(site / f"{NOTEBOOK}.ipynb", as_version=4)
    page = (site / f"{NOTEBOOK}.html").read_text()
    for output in outputs(executed):
        if WIDGET_VIEW in output.get("data", {}):
            assert output.data["image/png"][:200] in page
    assert "children=(" not in page  # no widget reduced to its text repr


def test_formulas_are_left_for_mathjax_and_links_point_at_pages(site):
    page = (site / f"{NOTEBOOK}.html").read_text()
    assert re.search(r'<script src="[^"]*mathjax[^"]*">', page, re.IGNORECASE)
    assert r"\begin{pmatrix}" in page
    assert 'href="01_convolution_operation.html"' in page
    assert not re.search(r'href="[^":/]+\.ipynb', page)


def test_an_unknown_notebook_name_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, TOOL, ROOT / "notebooks", tmp_path, "--only", "99_nothing"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "no notebook named 99_nothing" in result.stderr
