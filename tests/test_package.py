"""What importing convlessons does to a learner's session: which libraries, which backend.

Each check runs in a fresh interpreter (``subprocess``), so modules other tests loaded do
not count.
"""

import os
import subprocess
import sys
import textwrap

import pytest


def run(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter of this environment (``MPLBACKEND`` from ``env``
    only); return what it printed."""
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, timeout=120, env=environment | env, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_checkers_load_no_widget_library():
    loaded = run("""
        import importlib, pkgutil, sys
        import convlessons.exercises as exercises
        names = [m.name for m in pkgutil.iter_modules(exercises.__path__, "convlessons.exercises.")]
        for name in names:
            importlib.import_module(name)
        print(len(names), sorted({m.split(".")[0] for m in sys.modules} & {"ipywidgets", "ipympl"}))
    """)
    count, widget_libraries = loaded.split(" ", 1)
    assert int(count) >= 7
    assert widget_libraries == "[]"


def test_importing_the_widgets_keeps_the_chosen_backend_and_open_figures():
    printed = run("""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        figure = plt.figure()
        import convlessons.widgets
        from ipympl.backend_nbagg import Canvas
        from convlessons.widgets import ConvExplorer
        panel = ConvExplorer().figure_panel
        panel.render()
        print(matplotlib.get_backend().lower(), plt.fignum_exists(figure.number),
              isinstance(panel.canvas, Canvas), panel.figure.canvas is panel.canvas)
    """)
    assert printed == "agg True True True"


@pytest.mark.parametrize("backend", ["module://matplotlib_inline.backend_inline", None])
def test_importing_the_widgets_leaves_inline_or_unchosen_backend_alone(backend):
    env = {"MPLBACKEND": backend} if backend else {}
    printed = run("""
        import matplotlib
        before = matplotlib.get_backend(auto_select=False)
        import convlessons.widgets
        print(before == matplotlib.get_backend(auto_select=False))
    """, **env)
    assert printed == "True"
