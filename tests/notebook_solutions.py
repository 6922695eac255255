"""Run a notebook as a learner who pastes each collapsed solution in after trying the exercise.

For notebooks whose exercises need what earlier cells built (a trained model, its data):
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

from convlessons.exercises import Verdict

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@dataclass
class SolvedRun:
    """The verdict of each check cell with the solution in (keyed by the checker's name),
    the committed skeletons' verdicts and the namespace at the end of the notebook."""

    verdicts: dict[str, Verdict] = field(default_factory=dict)
    skeletons: dict[str, Verdict] = field(default_factory=dict)
    namespace: dict = field(default_factory=dict)


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

