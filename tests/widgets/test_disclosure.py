"""Progressive disclosure: every widget shows only the controls and readouts it is given."""

import numpy as np
import pytest
import torch

from convlessons.models import SmallCNN
from convlessons.widgets import (
    ChannelExplorer,
    ConvCostExplorer,
    ConvExplorer,
    FeatureMapViewer,
    Im2colViewer,
    KernelPlayground,
    PoolingExplorer,
    ReceptiveFieldExplorer,
    TransposedConvExplorer,
)


def _feature_maps(**kwargs):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = SmallCNN(channels=(4, 4, 4))
    return FeatureMapViewer(model, np.zeros((28, 28), dtype=np.float32), **kwargs)


BUILDERS = {
    ConvExplorer: ConvExplorer,
    KernelPlayground: lambda **kwargs: KernelPlayground(size=32, **kwargs),
    ReceptiveFieldExplorer: lambda **kwargs: ReceptiveFieldExplorer(input_size=16, **kwargs),
    TransposedConvExplorer: TransposedConvExplorer,
    Im2colViewer: Im2colViewer,
    ConvCostExplorer: ConvCostExplorer,
    FeatureMapViewer: _feature_maps,
    PoolingExplorer: PoolingExplorer,
    ChannelExplorer: ChannelExplorer,
}


def displayed(widget, parts, name):
    """Whether every attribute of part ``name`` is displayed."""
    states = {getattr(widget, attribute).layout.display != "none" for attribute in parts[name]}
    assert len(states) == 1, f"{name} is half shown"
    return states.pop()


@pytest.mark.parametrize("cls", list(BUILDERS), ids=lambda cls: cls.__name__)
def test_every_widget_names_its_controls_and_shows_all_by_default(cls):
    assert cls.CONTROLS, "every widget declares its controls"
    widget = BUILDERS[cls]()
    assert widget.shown_controls == tuple(cls.CONTROLS)
    assert widget.shown_readouts == tuple(cls.READOUTS)
    for parts in (cls.CONTROLS, cls.READOUTS):
        assert all(displayed(widget, parts, name) for name in parts)
    for name in cls.CONTROLS:  # the docstring documents every name
        assert f'"{name}"' in cls.__doc__
    for name in cls.READOUTS:
        assert f'"{name}"' in cls.__doc__


@pytest.mark.parametrize("cls", list(BUILDERS), ids=lambda cls: cls.__name__)
def test_each_level_shows_exactly_its_parts(cls):
    for level, chosen in cls.LEVELS.items():
        widget = BUILDERS[cls](**chosen)
        assert widget.problem == "", level
        for kind, parts in (("controls", cls.CONTROLS), ("readouts", cls.READOUTS)):
            for name in parts:
                assert displayed(widget, parts, name) == (name in chosen[kind]), (level, name)


@pytest.mark.parametrize("cls", list(BUILDERS), ids=lambda cls: cls.__name__)
def test_nothing_shown_still_computes(cls):
    widget = BUILDERS[cls](controls=(), readouts=())
    assert widget.shown_controls == widget.shown_readouts == ()
    assert widget.output is not None and widget.problem == ""


@pytest.mark.parametrize("kind", ["controls", "readouts"])
def test_unknown_names_are_refused_naming_the_argument(kind):
    with pytest.raises(ValueError, match=rf"{kind} must be names from .*'nope'"):
        ConvExplorer(**{kind: ("kernel", "nope")})
    with pytest.raises(TypeError, match=kind):
        ConvExplorer(**{kind: 3})


def test_hidden_controls_keep_their_values_and_code_can_set_them():
    explorer = ConvExplorer(**ConvExplorer.LEVELS["window"], stride=2)
    assert explorer.stride.layout.display == "none"
    assert explorer.output.shape == (3, 3)  # the hidden stride keeps the given value
    explorer.stride.value = 1
    assert explorer.output.shape == (5, 5)
    assert "padding" not in explorer.input_axes.title.get_text()  # not introduced yet


def test_window_level_hides_the_size_and_span_panel():
    explorer = ConvExplorer(**ConvExplorer.LEVELS["window"])
    assert explorer.formula_html.layout.display == "none"
    assert explorer.sum_html.layout.display is None
    parameters = ConvExplorer(**ConvExplorer.LEVELS["parameters"])
    assert parameters.formula_html.layout.display is None


def test_a_single_name_may_be_given_as_a_string():
    explorer = ConvExplorer(controls="kernel")
    assert explorer.shown_controls == ("kernel",)
