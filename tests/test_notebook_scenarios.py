"""Every notebook still runs to the end after a learner has moved every widget control.

One notebook at a time::

    .venv/bin/python -m pytest -q tests/test_notebook_scenarios.py -k 00_welcome

The runner is ``devtools/scenarios.py``: the first tests below check that it changes controls
the way a learner can; the last one runs each notebook once per strategy.
"""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from convlessons.widgets.explorer import ConvExplorer
from devtools import scenarios
from devtools.scenarios import STRATEGIES


@pytest.fixture
def strategy():
    """Kernel-side state of the runner, reset for one strategy (set by the test)."""

    def start(name: str, seed: int = 0) -> None:
        scenarios._start(name, seed)

    yield start
    scenarios._state.clear()


@pytest.mark.parametrize("name", STRATEGIES)
def test_a_slider_moves_to_another_value_on_its_step_grid(strategy, name):
    strategy(name, seed=3)
    slider = widgets.IntSlider(value=3, min=1, max=9, step=2)
    seen = set()
    for _ in range(20):
        before = slider.value
        scenarios._change(slider)
        assert slider.value != before and slider.value in {1, 3, 5, 7, 9}
        seen.add(slider.value)
    if name == "max":
        assert seen == {7, 9}
    elif name == "min":
        assert seen == {1, 3}


@pytest.mark.parametrize("name", STRATEGIES)
def test_float_sliders_choices_and_checkboxes_change(strategy, name):
    strategy(name)
    slider = widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.25)
    dropdown = widgets.Dropdown(options=[("one", 1), ("two", 2), ("three", 3)], value=2)
    checkbox = widgets.Checkbox(value=False)
    for control in (slider, dropdown, checkbox):
        before = control.value
        scenarios._change(control)
        assert control.value != before
    assert slider.value in {0.0, 0.25, 0.75, 1.0}
    assert {"max": 3, "min": 1}.get(name, dropdown.value) == dropdown.value
    assert checkbox.value is True


def test_a_pressed_button_runs_its_handler_and_its_errors_escape(strategy):
    strategy("max")
    button = widgets.Button(description="next")
    presses = []
    button.on_click(presses.append)
    scenarios._change(button)
    assert presses == [button]
    button.on_click(lambda _button: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        scenarios._change(button)


def test_the_learner_reaches_only_visible_enabled_controls():
    shown = widgets.IntSlider(description="shown")
    disabled = widgets.IntSlider(description="disabled", disabled=True)
    hidden = widgets.IntSlider(description="hidden")
    box = widgets.VBox([shown, disabled, widgets.HBox([hidden]), widgets.HTML("text"),
                        widgets.Textarea("1 0; 0 1")])
    box.children[2].layout.display = "none"
    found = scenarios._controls(box, "box")
    assert [control for control, _name in found] == [shown]
    assert found[0][1] == "box.'shown'"


def test_controls_are_named_by_the_attributes_that_hold_them():
    explorer = ConvExplorer(kernel="edge", pattern="vertical_edge")
    names = [name for _control, name in scenarios._controls(explorer, "explorer")]
    assert {"explorer.stride", "explorer.kernel.preset", "explorer.position"} <= set(names)

    class Row:  # a table kept as a list of plain row objects
        def __init__(self):
            self.kernel_size = widgets.BoundedIntText(value=3, min=1, max=9)

    table = widgets.VBox()
    table.rows = [Row(), Row()]
    table.children = [row.kernel_size for row in table.rows]
    names = [name for _control, name in scenarios._controls(table, "rf")]
    assert names == ["rf.rows[0].kernel_size", "rf.rows[1].kernel_size"]


def test_every_control_of_the_explorer_changes_without_an_escaping_exception(strategy):
    for name in STRATEGIES:
        strategy(name, seed=1)
        explorer = ConvExplorer(kernel="edge", pattern="vertical_edge")
        for _round in range(3):
            for control, _name in scenarios._controls(explorer, "explorer"):
                scenarios._change(control)
            scenarios._redraw(explorer)
        assert explorer.output is not None or explorer.problem


def test_a_cell_can_read_a_widget_only_through_a_name_it_mentions():
    names = ["explorer", "viewers[0]", "picker"]
    assert scenarios._mentions("assert explorer.output[0, 2] == 3", names)
    assert scenarios._mentions("viewers[0].set_input(x)", names)
    assert not scenarios._mentions("explorer_size = 3\nprint(pickers)", names)


def test_a_run_reports_the_cell_the_learner_broke_and_saves_nothing(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A widget, then a cell that trusts its default"),
        nbformat.v4.new_code_cell("from convlessons.widgets.explorer import ConvExplorer\n"
                                  "explorer = ConvExplorer()\nexplorer"),
        nbformat.v4.new_code_cell("# reads the widget\nassert explorer.stride.value == 1, 'moved'"),
        nbformat.v4.new_code_cell("print('the end')"),
    ])
    path = tmp_path / "99_demo.ipynb"
    nbformat.write(notebook, path)
    before = path.read_bytes()
    run = scenarios.run_notebook(path, "max")
    assert path.read_bytes() == before
    assert len(run.cells) == 4 and run.lesson_widgets == 1 and run.changes > 0
    assert [(f.cell_index, f.first_line, f.hidden) for f in run.failures] == [
        (2, "# reads the widget", False)]
    report = run.report()
    assert "99_demo [max]" in report and "AssertionError: moved" in report
    assert "explorer.stride: 1 → 4" in report
    assert run.cells[3].outputs[0]["text"] == "the end\n"


_WITHOUT_LESSON_WIDGETS: dict = {}  # path -> a run that met no lesson widget


@pytest.mark.parametrize("name", STRATEGIES)
@pytest.mark.parametrize("path", scenarios.notebook_paths(), ids=lambda path: path.stem)
def test_notebook_runs_after_the_learner_moves_every_control(path, name):
    # a notebook without lesson widgets runs the same whatever the strategy: run it once
    run = _WITHOUT_LESSON_WIDGETS.get(path) or scenarios.run_notebook(path, name, seed=0)
    if run.lesson_widgets == 0:
        _WITHOUT_LESSON_WIDGETS[path] = run
    source = path.read_text(encoding="utf-8")
    if run.failures:
        also = [f"cell {failure.cell_index} fails in a plain run too: {failure.error}"
                for failure in scenarios.plain_run(path).failures]
        pytest.fail("\n".join([run.report(), *also]), pytrace=False)
    if "convlessons.widgets" in source:
        assert run.changes > 0, f"{path.stem}: no control of a lesson widget was reached"
