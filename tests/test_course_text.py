"""The course speaks for itself, gives the same outputs on every run, and keeps its shape.

- No text refers to an earlier lesson the course was written from: a learner has never
  seen it, and reads "seed" as ``torch.manual_seed``.
- A plain run of each notebook prints no object address (``<... at 0x7f...>``), so two runs
  give the same outputs apart from timings; the run is shared with
  ``test_notebook_scenarios.py`` (``devtools.scenarios.plain_run``).
- Each notebook has a Python 3 kernelspec, no stored outputs, objectives, a time estimate,
  a summary, a link to the next notebook, and its solutions and discussions in tagged
  cells of their own (``make student`` strips them by tag).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from devtools import scenarios

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = scenarios.notebook_paths()
NOTEBOOK_IDS = [path.stem for path in NOTEBOOKS]

# the word "seed" followed by lesson, formula, version, ..., its possessive, or an "original"
# lesson (the patterns are spelled so that this file does not match itself)
EARLIER_LESSON = re.compile(
    r"seed[\s-]+(lesson|code|formula|version|article|text|example|notebook|page|padding|style"
    r"|stack|sketch|definition|function)s?\b"
    r"|the\s+seed['’]s|(source|original|web)\s+lesson",
    re.IGNORECASE,
)
# seed_same_padding, p_seed, ...: names for the earlier lesson's formulas in code
EARLIER_NAME = re.compile(
    r"(?<![\w.])(?!(manual|initial|random|rng|base)_seed\b)(\w+_seed|seed_\w+)\b")
ADDRESS = re.compile(r"<[^<>\n]* at 0x[0-9a-fA-F]+>|\bat 0x[0-9a-fA-F]{6,}|<torch\._C\.Generator")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _cells_text(path: Path) -> list[tuple[str, str, str]]:
    """``(where, kind, text)`` for each cell of a notebook."""
    return [(f"{path.name} cell {index}", cell.cell_type, cell.source)
            for index, cell in enumerate(_read(path).cells)]


def _python_files(*folders: str) -> list[Path]:
    return sorted(file for folder in folders for file in (ROOT / folder).rglob("*.py"))


AREAS = {
    "notebooks": lambda: [text for path in NOTEBOOKS for text in _cells_text(path)],
    "package": lambda: [(str(file.relative_to(ROOT)), "code", file.read_text(encoding="utf-8"))
                        for file in _python_files("convlessons")],
    "docs": lambda: [(name, "markdown", (ROOT / name).read_text(encoding="utf-8"))
                     for name in ("README.md", "CONTRIBUTING.md") if (ROOT / name).exists()],
    "tests and tools": lambda: [
        (str(file.relative_to(ROOT)), "code", file.read_text(encoding="utf-8"))
        for file in _python_files("tests", "benchmarks", "devtools")],
}


def _hits(pattern: re.Pattern, texts) -> list[str]:
    """``where, line N: text`` for each line that matches."""
    hits = []
    for where, _kind, text in texts:
        lines = sorted({text.count("\n", 0, match.start()) + 1
                        for match in pattern.finditer(text)})
        hits += [f"{where}, line {line}: {text.splitlines()[line - 1].strip()[:110]}"
                 for line in lines]
    return hits


@pytest.mark.parametrize("area", AREAS)
def test_no_mention_of_an_earlier_lesson(area):
    hits = _hits(EARLIER_LESSON, AREAS[area]())
    assert not hits, (f"{len(hits)} mention(s) of a lesson the learner has never seen; say "
                      "'a formula you will often find' instead:\n" + "\n".join(hits))


@pytest.mark.parametrize("area", ["notebooks", "package"])
def test_no_code_names_an_earlier_lesson(area):
    code = [text for text in AREAS[area]() if text[1] == "code"]
    hits = _hits(EARLIER_NAME, code)
    assert not hits, (f"{len(hits)} name(s) built on 'seed' that are not random seeds; name "
                      "the formula for what it does (e.g. padding_often_found):\n"
                      + "\n".join(hits))


def _shown_text(output) -> list[str]:
    """Texts a learner sees in one output (a widget's text/plain is not shown)."""
    if output.get("output_type") == "stream":
        return [output["text"]]
    if output.get("output_type") == "error":
        return [f"{output['ename']}: {output['evalue']}"]
    data = output.get("data", {})
    return [data[kind] for kind in ("text/plain", "text/html", "text/markdown")
            if kind in data and not (kind == "text/plain" and WIDGET_VIEW in data)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_outputs_hold_no_object_address(path):
    hits = []
    for index, cell in enumerate(scenarios.plain_run(path).cells):
        for output in cell.get("outputs", []):
            for text in _shown_text(output):
                hits += [f"cell {index} (`{scenarios._first_line(cell)}`): {match.group()}"
                         for match in ADDRESS.finditer(text)]
    assert not hits, (f"{path.stem}: outputs that change from run to run (assign the value, "
                      "e.g. `_ = torch.manual_seed(0)`, or print something stable):\n"
                      + "\n".join(hits))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_kernelspec_is_python3(path):
    kernelspec = _read(path).metadata.get("kernelspec", {})
    assert kernelspec.get("name") == "python3" and kernelspec.get("language") == "python", (
        f"{path.stem}: kernelspec {kernelspec}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_committed_without_outputs(path):
    stored = [index for index, cell in enumerate(_read(path).cells)
              if cell.cell_type == "code" and (cell.outputs or cell.execution_count)]
    assert not stored, f"{path.stem}: cells {stored} hold outputs or execution counts"


def _markdown(path: Path) -> list[str]:
    return [cell.source if cell.cell_type == "markdown" else "" for cell in _read(path).cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_has_objectives_time_needed_and_summary(path):
    text = "\n".join(_markdown(path))
    parts = {
        "objectives": r"\*\*Objectives\b|^#+\s*Objectives\b",
        "time needed (e.g. '**Time needed:** about 40 minutes')":
            r"\*\*Time needed:?\*\*:?[^\n]*\d+[^\n]*(min|hour)",
        "a '## Summary' section": r"^#+\s*Summary\b",
    }
    missing = [name for name, pattern in parts.items()
               if not re.search(pattern, text, re.IGNORECASE | re.MULTILINE)]
    assert not missing, f"{path.stem} has no {', no '.join(missing)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_links_to_the_next_notebook_after_its_summary(path):
    following = NOTEBOOKS[(NOTEBOOKS.index(path) + 1) % len(NOTEBOOKS)].name
    cells = _markdown(path)
    summary = [index for index, text in enumerate(cells)
               if re.search(r"^#+\s*Summary\b", text, re.IGNORECASE | re.MULTILINE)]
    start = summary[-1] if summary else 0
    link = re.compile(rf"\]\(\s*(\./)?{re.escape(following)}\s*\)")
    linked = any(link.search(text) for text in cells[start:])
    assert linked, f"{path.stem}: no link to {following} at or after the summary"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_solutions_and_discussions_sit_in_tagged_cells_of_their_own(path):
    problems = []
    for index, cell in enumerate(_read(path).cells):
        if cell.cell_type != "markdown" or "<details" not in cell.source:
            continue
        tags = cell.metadata.get("tags", [])
        expected = "solution" if "Solution" in cell.source else "discussion"
        if expected not in tags:
            problems.append(f"cell {index}: a {expected} block without the tag '{expected}' "
                            f"(tags: {tags})")
        text = cell.source.strip()
        if not (text.startswith("<details") and text.endswith("</details>")):
            problems.append(f"cell {index}: the {expected} block shares its cell with other "
                            "text (`make student` removes the whole cell)")
    assert not problems, f"{path.stem}:\n" + "\n".join(problems)
