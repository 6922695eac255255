"""ipympl's canvas classes, imported without switching the learner's matplotlib backend.

Importing the ``ipympl`` package runs ``matplotlib.use("module://ipympl.backend_nbagg")``
whenever matplotlib is already imported (``ipympl/__init__.py``, ipympl 0.9-0.10, kept
there for its notebook-extension installer). For a learner that would mean: after
``%matplotlib inline`` every later pyplot figure becomes a widget, in a plain script
``plt.show()`` prints ``Canvas(...)``, and the switch (``pyplot.switch_backend``) closes
every open pyplot figure.

The widgets need none of that: each :class:`~convlessons.widgets._base.FigurePanel` gives
its own :class:`~matplotlib.figure.Figure` its own ipympl ``Canvas`` and ``FigureManager``,
which work whatever the backend is. So the two classes are imported here with
``matplotlib.use`` made a no-op for the duration of the import (only the first import of
``ipympl`` calls it), and the rest of the package imports them from this module.
``tests/test_package.py`` checks the backend is unchanged and a widget still draws on its
ipympl canvas.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib

__all__ = ["Canvas", "FigureManager"]


@contextlib.contextmanager
def _backend_unchanged() -> Iterator[None]:
    """Ignore calls to ``matplotlib.use`` inside the block; restore it afterwards."""
    use = matplotlib.use
    matplotlib.use = lambda *_args, **_kwargs: None
    try:
        yield
    finally:
        matplotlib.use = use


with _backend_unchanged():
    from ipympl.backend_nbagg import Canvas, FigureManager
