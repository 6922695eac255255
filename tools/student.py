"""Write the student version of the course: the notebooks without their solutions.

``make student`` runs::

    .venv/bin/python tools/student.py notebooks build/student

Every cell tagged ``solution`` (an exercise's collapsed solution) or ``discussion`` (an open
question's discussion) is left out; every other cell is copied unchanged, outputs cleared.
The notebooks keep their file names, so the links between them still work. A collapsed
solution block that is *not* tagged stops the command (nothing is written), so a forgotten
tag can never hand a solution out.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat

HIDDEN_TAGS = frozenset({"solution", "discussion"})
UNTAGGED_SOLUTION = re.compile(r"<summary>\s*Solution", re.IGNORECASE)


def is_hidden(cell: nbformat.NotebookNode) -> bool:
    """True for a cell tagged ``solution`` or ``discussion``."""
    return bool(HIDDEN_TAGS.intersection(cell.get("metadata", {}).get("tags", [])))


def student_version(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` without its hidden cells, code outputs cleared.

    Raises
    ------
    ValueError
        If a kept markdown cell still holds a collapsed ``<summary>Solution`` block.
    """
    student = nbformat.from_dict(notebook)
    student.cells = [cell for cell in student.cells if not is_hidden(cell)]
    for index, cell in enumerate(student.cells):
        if cell.cell_type == "markdown" and UNTAGGED_SOLUTION.search(cell.source):
            raise ValueError(
                f"cell {cell.get('id', index)} holds a solution block without the tag "
                "'solution': put the <details> block in its own markdown cell and tag it"
            )
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return student


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of the course notebooks")
    parser.add_argument("target", type=Path, help="folder for the student notebooks")
    args = parser.parse_args(argv)

    versions = {}
    for path in sorted(args.source.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        try:
            versions[path.name] = (student_version(notebook), len(notebook.cells))
        except ValueError as err:
            print(f"student: {path}: {err}", file=sys.stderr)
            return 1
    if not versions:
        print(f"student: no notebooks in {args.source}", file=sys.stderr)
        return 1

    args.target.mkdir(parents=True, exist_ok=True)
    for stale in args.target.glob("*.ipynb"):
        stale.unlink()
    for name, (student, cells_before) in versions.items():
        nbformat.write(student, args.target / name)
        left_out = cells_before - len(student.cells)
        print(f"student: {name}: {left_out} cell{'' if left_out == 1 else 's'} left out")
    print(f"student: {len(versions)} notebooks in {args.target}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
