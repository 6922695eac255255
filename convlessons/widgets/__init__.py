"""Interactive instruments of the course: one module per widget, views only.

Each view draws what a pure model beside the maths returns (``convlessons.exploration``,
``convlessons.costs``, ``convlessons.receptive_fields``, ...); checkers and notebooks import
those models, and this package only to show a widget.

Each widget is an ipywidgets container (display it to show it) whose controls are public
attributes named after what they set, whose current result is ``.output`` and whose
figure is built once and redrawn in place (``.figure_panel``).
"""

from convlessons.widgets.channels import ChannelExplorer
from convlessons.widgets.cost import ConvCostExplorer
from convlessons.widgets.explorer import ConvExplorer
from convlessons.widgets.feature_maps import FeatureMapViewer
from convlessons.widgets.im2col import Im2colViewer
from convlessons.widgets.playground import KernelPlayground
from convlessons.widgets.pooling import PoolingExplorer
from convlessons.widgets.receptive_field import ReceptiveFieldExplorer
from convlessons.widgets.transposed import TransposedConvExplorer

__all__ = [
    "ChannelExplorer",
    "ConvCostExplorer",
    "ConvExplorer",
    "FeatureMapViewer",
    "Im2colViewer",
    "KernelPlayground",
    "PoolingExplorer",
    "ReceptiveFieldExplorer",
    "TransposedConvExplorer",
]
