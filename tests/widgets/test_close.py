"""close() releases a widget; re-running a notebook cell does not keep every instance alive."""

import gc
import types
import weakref

import IPython
import pytest
from ipywidgets.widgets.widget import _instances

from convlessons.widgets import ConvExplorer, KernelPlayground, ReceptiveFieldExplorer, _base
from tests.widgets.test_disclosure import BUILDERS


def alive(refs):
    gc.collect()
    return sum(ref() is not None for ref in refs)


@pytest.mark.parametrize("cls", list(BUILDERS), ids=lambda cls: cls.__name__)
def test_close_releases_the_widget_its_figure_and_every_control(cls):
    BUILDERS[cls]().close()  # first instance: caches, imports
    gc.collect()
    registered = len(_instances)
    widget = BUILDERS[cls]()
    figure = widget.figure_panels[0].figure
    ref = weakref.ref(widget)
    widget.close()
    assert widget.output is None and not figure.axes
    del widget, figure
    assert alive([ref]) == 0
    assert len(_instances) == registered  # no control, layout or canvas left registered


def test_close_twice_is_harmless():
    explorer = ConvExplorer()
    explorer.close()
    explorer.close()


class FakeKernel:
    """What _current_cell reads from ipykernel: the execute request's metadata."""

    def __init__(self):
        self.cell_id = "cell-a"

    def get_parent(self, channel):
        assert channel == "shell"
        return {"metadata": {"cellId": self.cell_id}}


@pytest.fixture
def notebook(monkeypatch):
    kernel = FakeKernel()
    shell = types.SimpleNamespace(kernel=kernel, execution_count=1)
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(_base, "_CREATED_BY_CELL", {})
    return shell


def test_current_cell_reads_the_cell_id_and_run(notebook):
    notebook.execution_count = 7
    assert _base._current_cell() == ("cell-a", 7)


def test_no_cell_outside_a_notebook():
    assert _base._current_cell() is None  # plain Python: widgets are never closed for you


@pytest.mark.parametrize("build", [ConvExplorer, lambda: KernelPlayground(size=64),
                                   lambda: ReceptiveFieldExplorer(input_size=16)],
                         ids=["ConvExplorer", "KernelPlayground", "ReceptiveFieldExplorer"])
def test_rerunning_a_cell_keeps_one_instance_alive(notebook, build):
    refs = []
    for run in range(1, 13):  # the learner runs the same cell again and again
        notebook.execution_count = run
        widget = build()
        refs.append(weakref.ref(widget))
    assert alive(refs) == 1  # memory does not grow with the number of runs
    assert refs[-1]() is widget and widget.output is not None


def test_widgets_of_one_run_and_of_other_cells_are_kept(notebook):
    first, second = ConvExplorer(), ConvExplorer()  # two explorers in one cell
    notebook.kernel.cell_id = "cell-b"
    other = ConvExplorer()
    assert first.figure_panel.figure.axes and second.figure_panel.figure.axes
    notebook.execution_count = 2  # cell-b again: only its own explorer is replaced
    ConvExplorer()
    assert first.figure_panel.figure.axes and not other.figure_panel.figure.axes
