"""Run a notebook as a learner who plays with every widget between cells.

The notebooks invite the learner to move sliders and pick kernels, and a later cell must
still run whatever the widgets show. :func:`run_notebook` executes a notebook with nbclient
in a fresh ``python3`` kernel (working directory ``notebooks/``). Once a cell has displayed
a lesson widget (a :class:`convlessons.widgets._base.LessonWidget`, alone or inside a
displayed box), a *hidden cell* runs after every code cell and changes every control of a
widget to another valid value when the widget is new, and before each later cell that
names the widget (a variable bound to it or to one of its parts): the cells that can read
its state. ``every=True`` changes every widget before every later cell (slower). A change:

- ``IntSlider``, ``FloatSlider``, ``BoundedIntText``, ``Play``: another value on the
  control's ``min + k * step`` grid;
- ``Dropdown``, ``ToggleButtons``, ``RadioButtons``, ``SelectionSlider``: another option;
- ``Checkbox``, ``ToggleButton``: flipped;
- ``Button`` (e.g. *next ▶*): pressed;
- a :class:`~convlessons.widgets._stepper.HighlightStepper` (the explorer's step control,
  whose buttons live in the page): another position, as its buttons or a click would set;
- text boxes (custom kernels) are left alone: the preset drop-down next to them is changed.

Controls that are disabled or hidden (``layout.display == "none"``) are left alone, as a
learner cannot reach them. The *strategy* picks the new value: ``"max"`` the largest other
value, ``"min"`` the smallest, ``"random"`` one drawn from a generator seeded with ``seed``.
A hidden cell never raises: what went wrong (an exception escaping a control change or a
figure redraw) is reported back, and the hidden cells are never written to any file.

Two parts: the functions under "Kernel side" run inside the notebook's kernel (this file is
loaded there by path and imports nothing beyond the standard library, ipywidgets and the
course's widget classes it looks for); the
rest runs in the test process. Standalone use, listing every failure of one notebook::

    .venv/bin/python -m devtools.scenarios notebooks/03_parameters.ipynb --strategy max
"""

from __future__ import annotations

import functools
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
STRATEGIES = ("max", "min", "random")
_MARKER = "@@scenario@@"
_MODULE_NAME = "_convlessons_scenario"

# ---------------------------------------------------------------------------------------
# Kernel side: finds the displayed lesson widgets and changes their controls.
# ---------------------------------------------------------------------------------------

_state: dict = {}


def _start(strategy: str, seed: int) -> None:
    """Reset the kernel-side state for one scenario run."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    _state.clear()
    _state.update(strategy=strategy, rng=random.Random(seed), seen=set(), first={}, current={},
                  presses={})


def _hidden(control) -> bool:
    layout = getattr(control, "layout", None)
    return layout is not None and (layout.display == "none" or layout.visibility == "hidden")


def _walk(node, ancestors: tuple = ()):
    """Depth-first ``(widget, ancestors)`` over visible children, the node itself first."""
    if _hidden(node):
        return
    yield node, ancestors
    for child in getattr(node, "children", ()):
        yield from _walk(child, (*ancestors, node))


def _attribute(holder, target) -> str | None:
    """Name under which ``holder`` keeps ``target``: ``stride``, ``rows[2].kernel_size``, or None.

    Looks in the holder's public attributes and in the items of its lists and tuples (and
    one level into those items' attributes: a table kept as a list of row objects).
    """
    for attribute, value in vars(holder).items():
        if attribute.startswith("_"):
            continue
        if value is target:
            return attribute
        if isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if item is target:
                    return f"{attribute}[{index}]"
                for part, inner in getattr(item, "__dict__", {}).items():
                    if inner is target and not part.startswith("_"):
                        return f"{attribute}[{index}].{part}"
    return None


def _name_of(control, ancestors: tuple, owner_name: str) -> str:
    """``explorer.kernel.preset``: attribute names found on the control's ancestors.

    ``ancestors`` starts with the lesson widget (named ``owner_name``); a control kept by no
    ancestor's attribute is named by its description.
    """
    parts, target = [], control
    while ancestors and target is not ancestors[0]:
        for depth in range(len(ancestors) - 1, -1, -1):  # nearest holder first
            attribute = _attribute(ancestors[depth], target)
            if attribute is not None:
                parts.append(attribute)
                target, ancestors = ancestors[depth], ancestors[:depth + 1]
                break
        else:
            parts.append(repr(getattr(target, "description", "") or type(target).__name__))
            break
    return ".".join([owner_name, *reversed(parts)])


def _grid_values(control) -> tuple[float, float, float, int]:
    """``(min, max, step, count)`` of the values a bounded number control accepts."""
    low, high = control.min, control.max
    step = getattr(control, "step", None) or 1
    count = int((high - low) / step + 1e-9) + 1
    return low, high, step, count


def _pick(count: int, current: int | None) -> int | None:
    """Index among ``count`` candidates chosen by the strategy, never ``current``."""
    choices = [i for i in range(count) if i != current]
    if not choices:
        return None
    strategy = _state["strategy"]
    if strategy == "max":
        return choices[-1]
    if strategy == "min":
        return choices[0]
    return _state["rng"].choice(choices)


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(control) -> str | None:
    """How the scenario changes a control: ``press``, ``flip``, ``choose``, ``slide``, ``step``,
    or None."""
    import ipywidgets as widgets
    from ipywidgets.widgets import widget_bool, widget_float, widget_int, widget_selection

    from convlessons.widgets._stepper import HighlightStepper

    if isinstance(control, HighlightStepper):
        return "step"
    if isinstance(control, widgets.Button):
        return "press"
    if isinstance(control, widget_bool._Bool):
        return "flip"
    if isinstance(control, widget_selection._Selection):
        return "choose"
    if isinstance(control, (widget_int._BoundedInt, widget_float._BoundedFloat)):
        return "slide"
    return None  # text boxes, labels, unbounded numbers, multiple selections: left alone


def _value(control):
    """What the learner sees: the label of a selection, the number of a slider."""
    if _kind(control) == "choose":
        return None if control.index is None else control._options_labels[control.index]
    return getattr(control, "value", None)


def _change(control) -> None:
    """Give one control another valid value (or press it), as the learner would."""
    kind = _kind(control)
    if kind == "press":
        for callback in control._click_handlers.callbacks:  # raises, unlike Button.click()
            callback(control)
    elif kind == "flip":
        control.value = not control.value
    elif kind == "choose":
        index = _pick(len(control._options_labels), control.index)
        if index is not None:
            control.index = index
    elif kind == "step":
        position = _pick(control.max + 1, control.value)
        if position is not None:
            control.value = position
    elif kind == "slide":
        low, high, step, count = _grid_values(control)
        offset = (control.value - low) / step
        index = _pick(count, round(offset) if abs(offset - round(offset)) < 1e-9 else None)
        if index is not None:
            value = low + index * step
            control.value = min(high, round(value, 12) if isinstance(value, float) else value)


def _controls(owner, owner_name: str) -> list:
    """``(control, name)`` for every visible, enabled control of a lesson widget."""
    return [(node, _name_of(node, ancestors, owner_name))
            for node, ancestors in _walk(owner)
            if node is not owner and _kind(node) and not getattr(node, "disabled", False)]


def _owners(displayed: list) -> list:
    """``(lesson widget, label, names)`` for the lesson widgets the learner can see.

    ``displayed`` holds ``(model_id, cell_index)`` of every widget output so far; a lesson
    widget inside a displayed one counts. ``names`` are the notebook's variables bound to
    the widget or to a part of it (``explorer``, ``viewers[0]``, ``picker``).
    """
    from IPython import get_ipython
    from ipywidgets.widgets.widget import _instances

    from convlessons.widgets._base import LessonWidget

    namespace = {name: value for name, value in get_ipython().user_ns.items()
                 if not name.startswith("_") and name not in ("In", "Out")}
    bound = {}  # id(widget) -> variable names, plain variables first
    for name, value in namespace.items():
        bound.setdefault(id(value), []).append(name)
    for name, value in namespace.items():
        if isinstance(value, dict):
            items = [(f"{name}[{key!r}]", item) for key, item in value.items()]
        elif isinstance(value, (list, tuple)):
            items = [(f"{name}[{key}]", item) for key, item in enumerate(value)]
        else:
            continue
        for label, item in items:
            bound.setdefault(id(item), []).append(label)
    owners, seen = [], set()
    for model_id, cell_index in displayed:
        root = _instances.get(model_id)
        if root is None:
            continue
        for node, ancestors in _walk(root):
            if isinstance(node, LessonWidget) and id(node) not in seen:
                if any(isinstance(outer, LessonWidget) for outer in ancestors):
                    continue  # reached through the outer lesson widget's controls
                seen.add(id(node))
                parts = [part for part, _a in _walk(node)]
                names = [name for part in parts for name in bound.get(id(part), [])]
                variables = bound.get(id(node), [])
                label = variables[0] if variables else f"{type(node).__name__} (cell {cell_index})"
                owners.append((node, label, names))
    return owners


def _redraw(owner) -> None:
    """Render the owner's figures now, as a page attached to the canvas would see them."""
    from matplotlib.figure import Figure

    for node, _ancestors in _walk(owner):
        if isinstance(getattr(node, "figure", None), Figure):  # an ipympl canvas
            node.draw()


def _mentions(source: str, names: list) -> bool:
    """Whether a cell's code can read the widget: it names one of its variables."""
    roots = {re.match(r"\w+", name).group() for name in names}
    return any(re.search(rf"\b{re.escape(root)}\b", source) for root in roots)


def perturb(displayed: list, next_source: str, every: bool = False) -> None:
    """Move the controls of the displayed lesson widgets; print a report for the test process.

    A widget is changed the first time it is seen, and then before each later cell whose
    code names it (``every``: before every later cell). Each of its controls, in the order
    the learner sees them, gets another valid value; the list of controls is taken again
    after each change, since one control may show, hide or rebuild others.
    """
    import traceback

    changes, errors = [], []
    for owner, label, names in _owners(displayed):
        if id(owner) in _state["seen"] and not every and not _mentions(next_source, names):
            continue
        _state["seen"].add(id(owner))
        position = 0
        while True:
            controls = _controls(owner, label)
            for control, name in controls:
                _state["first"].setdefault((id(control), name), _value(control))
            if position >= len(controls):
                break
            control, name = controls[position]
            position += 1
            before = _value(control)
            try:
                _change(control)
            except Exception as err:  # noqa: BLE001 - the report names it
                where = traceback.extract_tb(err.__traceback__)[-1]
                errors.append(f"setting {name} (was {_show(before)}) raised "
                              f"{type(err).__name__}: {err} ({Path(where.filename).name}:"
                              f"{where.lineno})")
                continue
            if _kind(control) == "press":
                _state["presses"][name] = _state["presses"].get(name, 0) + 1
                changes.append(f"{name} pressed")
            elif _value(control) != before:
                _state["current"][(id(control), name)] = _value(control)
                changes.append(f"{name}: {_show(before)} → {_show(_value(control))}")
        try:
            _redraw(owner)
        except Exception as err:  # noqa: BLE001 - the report names it
            errors.append(f"redrawing {label} raised {type(err).__name__}: {err}")
    moved = [f"{key[1]}: {_show(_state['first'][key])} → {_show(value)}"
             for key, value in _state["current"].items() if value != _state["first"][key]]
    moved += [f"{name} pressed ×{count}" for name, count in _state["presses"].items()]
    print(_MARKER + json.dumps({"changes": changes, "errors": errors, "moved": moved,
                                "widgets": len(_state["seen"])}))


# ---------------------------------------------------------------------------------------
# Test-process side: runs the notebook and collects what failed.
# ---------------------------------------------------------------------------------------

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_LOAD = """\
def _load(path, name, strategy, seed):
    import importlib.util
    import sys
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    module._start(strategy, seed)
"""


@dataclass
class Failure:
    """One cell (or one hidden cell after it) that failed in a run."""

    cell_index: int
    first_line: str
    error: str
    hidden: bool = False
    controls: list[str] = field(default_factory=list)

    def describe(self) -> str:
        where = (f"changing the widgets after cell {self.cell_index} (`{self.first_line}`)"
                 if self.hidden else f"cell {self.cell_index} (`{self.first_line}`)")
        lines = [f"{where}: {self.error}"]
        if self.controls:
            lines.append("  controls moved by the learner so far (first value → now):")
            lines += [f"    {line}" for line in self.controls]
        return "\n".join(lines)


@dataclass
class Run:
    """What one execution of a notebook produced."""

    notebook: str
    strategy: str | None
    cells: list  # the notebook's cells with the outputs of this run
    failures: list[Failure] = field(default_factory=list)
    rounds: int = 0
    changes: int = 0
    moved: list[str] = field(default_factory=list)  # controls away from their first value
    lesson_widgets: int = 0  # how many displayed lesson widgets the learner played with

    def report(self) -> str:
        title = (f"{self.notebook} [{self.strategy or 'plain run'}] (cells numbered from 0, "
                 "markdown included)")
        if not self.failures:
            return f"{title}: ran to the end ({self.rounds} rounds, {self.changes} changes)"
        lines = [f"{title}: {len(self.failures)} failure(s); a later one may follow from an "
                 "earlier one"]
        lines += [failure.describe() for failure in self.failures]
        return "\n".join(lines)


def _first_line(cell) -> str:
    lines = [line for line in cell.source.splitlines() if line.strip()]
    return lines[0].strip() if lines else ""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ARROW = re.compile(r"^-+> *(\d+) (.*)$")


def _error_of(outputs: list) -> str | None:
    """``AssertionError: ... (line 3: `assert ...`)`` for the first error output, or None."""
    for output in outputs:
        if output.get("output_type") != "error":
            continue
        text = f"{output['ename']}: {output['evalue']}".rstrip(": ")
        for line in _ANSI.sub("", "\n".join(output.get("traceback", []))).splitlines():
            arrow = _ARROW.match(line.strip())
            if arrow:  # the first arrow points into the cell itself
                return f"{text} (line {arrow[1]}: `{arrow[2].strip()}`)"
        return text
    return None


def _widget_ids(outputs: list) -> list[str]:
    return [output["data"][_WIDGET_VIEW]["model_id"] for output in outputs
            if _WIDGET_VIEW in output.get("data", {})]


def _hidden_cell(source: str):
    import nbformat

    return nbformat.v4.new_code_cell(source)


def run_notebook(path: Path | str, strategy: str | None = None, seed: int = 0,
                 every: bool = False, timeout: int = 300, stop_at_first: bool = False) -> Run:
    """Execute a notebook, changing every widget's controls after each cell if ``strategy``.

    Parameters
    ----------
    path
        The ``.ipynb`` file; it is read, never written.
    strategy
        ``None`` for a plain run, else one of :data:`STRATEGIES`.
    seed
        Seeds the ``"random"`` strategy.
    every
        Change every displayed widget before every later cell, not only the widgets the
        next cell names (slower; see :func:`perturb`).
    timeout
        Seconds allowed per cell.
    stop_at_first
        Stop at the first failure instead of running every cell.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    cells = [cell for cell in notebook.cells]
    # nbclient stores each executed cell back into client.nb; the hidden cells go into a
    # private copy so the notebook object returned to callers holds only its own cells
    scratch = nbformat.v4.new_notebook(metadata=notebook.metadata)
    client = NotebookClient(scratch, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    run = Run(path.stem, strategy, cells)
    displayed: list[tuple[str, int]] = []

    def execute(cell, hidden: bool):
        scratch.cells.append(cell)
        return client.execute_cell(cell, len(scratch.cells) - 1, store_history=not hidden)

    with client.setup_kernel():
        if strategy is not None:
            here = str(Path(__file__).resolve())
            setup = _hidden_cell(f"{_LOAD}_load({here!r}, {_MODULE_NAME!r}, {strategy!r}, {seed!r})"
                                 "\ndel _load\n")
            execute(setup, hidden=True)
            error = _error_of(setup.outputs)
            if error:
                raise RuntimeError(f"could not load the scenario code in the kernel: {error}")
        code = [index for index, cell in enumerate(cells) if cell.cell_type == "code"]
        for position, index in enumerate(code):
            cell = cells[index]
            execute(cell, hidden=False)
            error = _error_of(cell.outputs)
            if error:
                run.failures.append(Failure(index, _first_line(cell), error,
                                            controls=list(run.moved)))
                if stop_at_first:
                    break
            displayed += [(model_id, index) for model_id in _widget_ids(cell.outputs)]
            if strategy is None or not displayed:
                continue
            following = cells[code[position + 1]].source if position + 1 < len(code) else ""
            hidden = _hidden_cell(f"__import__('sys').modules[{_MODULE_NAME!r}]"
                                  f".perturb({displayed!r}, {following!r}, every={every!r})")
            execute(hidden, hidden=True)
            report = _scenario_report(hidden.outputs)
            run.rounds += 1
            run.changes += len(report["changes"])
            run.moved = report["moved"]
            run.lesson_widgets = report.get("widgets", run.lesson_widgets)
            problems = report["errors"] + [error for error in [_error_of(hidden.outputs)]
                                           if error]
            if problems:
                run.failures.append(Failure(index, _first_line(cell), "; ".join(problems),
                                            hidden=True, controls=report["moved"]))
                if stop_at_first:
                    break
    return run


def _scenario_report(outputs: list) -> dict:
    for output in outputs:
        if output.get("output_type") == "stream":
            for line in output["text"].splitlines():
                if line.startswith(_MARKER):
                    return json.loads(line[len(_MARKER):])
    return {"changes": [], "errors": ["the hidden cell printed no report"], "moved": []}


@functools.cache
def plain_run(path: Path) -> Run:
    """One plain execution of a notebook, shared by every test that reads its outputs."""
    return run_notebook(path)


def notebook_paths() -> list[Path]:
    """Every notebook of the course, in course order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, default=None)
    parser.add_argument("--strategy", choices=STRATEGIES, action="append")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every-cell", action="store_true",
                        help="change every widget before every later cell (slower)")
    args = parser.parse_args(argv)
    failed = False
    for path in args.notebooks or notebook_paths():
        for strategy in args.strategy or STRATEGIES:
            run = run_notebook(path, strategy, args.seed, every=args.every_cell)
            failed |= bool(run.failures)
            print(run.report(), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
