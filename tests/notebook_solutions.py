"""Run a notebook's collapsed solutions through their check cells, as a learner would.

Two ways. :func:`solution_cells` + :func:`assert_solution_passes` run each solution alone
(the notebook's first code cell, the answer cells before its check cell, the solution, the
check cell), for exercises that need nothing else the notebook built. For notebooks whose
exercises need what earlier cells built (a trained model, its data):
:func:`run_with_solutions` executes every code cell in order in one namespace, and at each
solution cell (a markdown cell tagged ``solution``, right after its check cell) first checks
that the committed skeleton gives :data:`~convlessons.exercises.NOT_ANSWERED`, then runs the
solution's code and the check cell again. Figures go to the Agg backend and are closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pytest

from convlessons.exercises import NOT_ANSWERED, Verdict

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@dataclass(frozen=True)
class SolutionCell:
    """One exercise as the learner runs it: first code cell, ``setup`` cells the exercise
    reads, the answer cells before the check cell, the solution's code, the check cell."""

    notebook: str
    imports: str
    setup: tuple[str, ...]
    answer_cells: tuple[str, ...]
    solution: str
    check: str


def solution_cells(name: str, setup_prefixes: tuple[str, ...] = ()) -> list:
    """A ``pytest.param`` per solution cell of ``notebooks/<name>.ipynb``, id'd by its checker.

    ``setup_prefixes``: code cells starting with one of these are run before the answer
    cells (for an exercise that reads something an earlier cell built).
    """
    cells = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells
    imports = next(cell.source for cell in cells if cell.cell_type == "code")
    setup = tuple(cell.source for cell in cells if cell.cell_type == "code"
                  and setup_prefixes and cell.source.startswith(setup_prefixes))
    runs = []
    for index, cell in enumerate(cells):
        if "solution" not in cell.metadata.get("tags", []):
            continue
        check = cells[index - 1]
        assert check.cell_type == "code" and "check_" in check.source
        start = index - 1
        while cells[start - 1].cell_type == "code":
            start -= 1
        answers = tuple(c.source for c in cells[start : index - 1])
        solution = re.search(r"```python\n(.*?)```", cell.source, re.DOTALL)[1]
        runs.append(pytest.param(
            SolutionCell(name, imports, setup, answers, solution, check.source),
            id=f"{name[:2]}-{check.source.split('(')[0].strip()}"))
    return runs


def assert_solution_passes(cell: SolutionCell) -> None:
    """The committed skeleton gives "no answer yet"; with the solution in, the check passes."""
    namespace: dict = {}
    exec(cell.imports.replace("%matplotlib widget", ""), namespace)
    for source in (*cell.setup, *cell.answer_cells):
        exec(source, namespace)
    assert eval(cell.check, namespace) is NOT_ANSWERED  # the skeleton, as committed
    exec(cell.solution, namespace)
    verdict = eval(cell.check, namespace)
    assert verdict, verdict.message


@dataclass
class SolvedRun:
    """The verdict of each check cell with the solution in (keyed by the checker's name),
    the committed skeletons' verdicts and the namespace at the end of the notebook."""

    verdicts: dict[str, Verdict] = field(default_factory=dict)
    skeletons: dict[str, Verdict] = field(default_factory=dict)
    namespace: dict = field(default_factory=dict)

    def assert_solved(self, checkers: set[str]) -> None:
        """Exactly these check cells ran; as committed each said "no answer yet", and each
        passes with its solution in."""
        assert set(self.verdicts) == checkers
        assert all(verdict is NOT_ANSWERED for verdict in self.skeletons.values())
        for name, verdict in self.verdicts.items():
            assert verdict, f"{name}: {verdict.message}"


def run_with_solutions(name: str) -> SolvedRun:
    """Execute ``notebooks/<name>.ipynb`` cell by cell, solving each exercise on the way."""
    path = NOTEBOOKS / f"{name}.ipynb"
    cells = nbformat.read(path, as_version=4).cells
    run = SolvedRun()
    try:
        for index, cell in enumerate(cells):
            if cell.cell_type == "code":
                source = cell.source.replace("%matplotlib widget", "")
                exec(compile(source, f"{path.name} cell {index}", "exec"), run.namespace)
            elif "solution" in cell.metadata.get("tags", []):
                check = cells[index - 1]
                assert check.cell_type == "code" and check.source.startswith("check_"), (
                    f"{path.name} cell {index}: a solution must follow its check cell")
                checker = check.source.split("(")[0].strip()
                run.skeletons[checker] = eval(check.source, run.namespace)
                solution = re.search(r"```python\n(.*?)```", cell.source, re.DOTALL)[1]
                exec(compile(solution, f"{path.name} solution {index}", "exec"), run.namespace)
                run.verdicts[checker] = eval(check.source, run.namespace)
    finally:
        plt.close("all")
    return run

