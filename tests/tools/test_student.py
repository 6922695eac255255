"""tools/student.py (`make student`): the notebooks without solutions, and they still run.

That every solution sits in a tagged cell of its own is checked by test_course_text.py.
"""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TOOL = ROOT / "tools" / "student.py"


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("student")
    result = subprocess.run(
        [sys.executable, TOOL, ROOT / "notebooks", target], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return target


def test_student_notebooks_lose_exactly_the_tagged_cells(student_dir):
    assert sorted(p.name for p in student_dir.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    removed = 0
    for path in NOTEBOOKS:
        course = nbformat.read(path, as_version=4)
        student = nbformat.read(student_dir / path.name, as_version=4)
        hidden = [c for c in course.cells if tags(c) & {"solution", "discussion"}]
        kept = [c for c in course.cells if not tags(c) & {"solution", "discussion"}]
        assert [c.source for c in student.cells] == [c.source for c in kept]
        text = nbformat.writes(student)
        for cell in hidden:
            assert cell.source not in text
        assert "<summary>Solution" not in text
        assert student.metadata.kernelspec.name == "python3"
        removed += len(hidden)
    assert removed >= 19  # the course's solution blocks at the time of writing


def test_an_untagged_solution_stops_the_command(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("<details><summary>Solution</summary>\n\n42\n\n</details>")
    ]
    (tmp_path / "in").mkdir()
    nbformat.write(notebook, tmp_path / "in" / "x.ipynb")
    result = subprocess.run(
        [sys.executable, TOOL, tmp_path / "in", tmp_path / "out"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "without the tag 'solution'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_student_notebooks_run_under_nbval_lax(student_dir):
    # The answer cells keep their `...`: every check cell says "No answer yet", nothing raises.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--rootdir",
            student_dir,
            *sorted(student_dir.glob("*.ipynb")),
        ],
        cwd=student_dir,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
