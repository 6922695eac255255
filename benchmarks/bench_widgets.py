"""Widget update latency: one control change → model → artists updated → frame sent.

For every widget of the course, apply a realistic sequence of control changes (the
sequence is cycled until at least ``--changes`` updates were timed) and report the
median and 95th percentile of one update, measured from setting the control's value to
the moment the canvas hands the new frame (Agg rendering + PNG encoding) to the comm, as
in JupyterLab: the canvas is told a page is attached (the page's ``initialized``
message), and each frame is acknowledged (its ``draw`` answer) before the next change,
so every change is timed from an idle canvas. What the page then does (decode, paint)
and the network are not included: ``benchmarks/bench_browser.py`` measures those.
Run: ``python -m benchmarks.bench_widgets``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from convlessons import widgets


@dataclass(frozen=True)
class Case:
    """A widget, the control changes to time, and the p95 target in milliseconds."""

    name: str
    build: Callable[[], object]
    changes: list[tuple[str, object]]
    target_ms: float


def _set(widget: object, path: str, value: object) -> None:
    """``_set(explorer, "kernel.preset", "sobel_x")`` sets ``explorer.kernel.preset.value``;
    a number in the path indexes a list (``"rows.1.kernel_size"``)."""
    control = widget
    for name in path.split("."):
        control = control[int(name)] if name.isdigit() else getattr(control, name)
    control.value = value


def _feature_map_viewer():
    import torch

    from convlessons.data import make_shapes_dataset
    from convlessons.models import SmallCNN

    torch.manual_seed(0)
    images, _ = make_shapes_dataset(1, seed=0)
    return widgets.FeatureMapViewer(SmallCNN().eval(), images[0])


def _largest_receptive_field():
    explorer = widgets.ReceptiveFieldExplorer(input_size=64)
    explorer.weights.value = "random"
    for _ in range(widgets.receptive_field.MAX_LAYERS - explorer.n_layers):
        explorer.add_layer.click()
    return explorer


CASES = [
    Case("ConvExplorer", widgets.ConvExplorer, [
        ("stride", 2), ("padding", 1), ("position", 3), ("dilation", 2), ("stride", 1),
        ("position", 5), ("padding", 0), ("dilation", 1), ("padding_mode", "reflect"),
        ("padding", 2), ("padding_mode", "zeros"), ("padding", 0), ("kernel.preset", "sobel_x"),
        ("mode", "convolution"), ("mode", "cross-correlation"), ("kernel.preset", "edge"),
        ("size", 10), ("position", 20), ("size", 7), ("pattern", "checkerboard"),
        ("pattern", "vertical_edge"),
    ], 50),
    Case("ChannelExplorer", widgets.ChannelExplorer, [
        *[("position", i) for i in range(6)], ("stride", 1), ("position", 30), ("padding", 0),
        ("padding", 2), ("stride", 3), ("position", 3), ("padding", 1), ("stride", 2),
    ], 100),
    Case("KernelPlayground (512×512)", widgets.KernelPlayground, [
        ("kernel.preset", "box_blur"), ("kernel.preset", "sobel_x"), ("kernel.preset", "sharpen"),
        ("kernel.preset", "gaussian_blur_5x5"), ("color", True), ("kernel.preset", "edge"),
        ("color", False), ("view", "sobel magnitude"), ("view", "sobel direction"),
        ("view", "gabor bank"), ("orientation", 45.0), ("orientation", 90.0),
        ("wavelength", 12.0), ("sigma", 4.0), ("view", "kernel"),
    ], 150),
    Case("ReceptiveFieldExplorer", widgets.ReceptiveFieldExplorer, [
        ("layer", 1), ("layer", 3), ("layer", 6), ("input_size", 48), ("input_size", 32),
        ("weights", "random"), ("weights", "uniform"), ("preset", "dilated stack"),
        ("preset", "3 × conv3×3"), ("rows.1.kernel_size", 5), ("preset", "VGG block"),
        ("input_size", 64), ("input_size", 32),
    ], 100),
    Case("TransposedConvExplorer", widgets.TransposedConvExplorer, [
        *[("position", i) for i in range(9)], ("stride", 1), ("stride", 3), ("stride", 2),
        ("padding", 1), ("output_padding", 1), ("output_padding", 0), ("padding", 0),
        ("kernel_size", 4), ("kernel_size", 3), ("input_size", 4), ("input_size", 3),
        ("values", "ones"), ("values", "random"), ("view", "zero insertion"), ("position", 2),
        ("view", "scatter"),
    ], 100),
    Case("Im2colViewer", widgets.Im2colViewer, [
        *[("position", i) for i in range(9)], ("stride", 2), ("padding", 1), ("position", 3),
        ("stride", 1), ("size", 6), ("kernel_size", 2), ("channels", 1), ("padding", 2),
        ("channels", 2), ("size", 4), ("padding", 0), ("kernel_size", 3), ("size", 5),
    ], 100),
    Case("ConvCostExplorer", widgets.ConvCostExplorer, [
        ("kernel_size", 5), ("kernel_size", 3), ("groups", 4), ("groups", 64),
        ("separable", True), ("separable", False), ("groups", 1), ("in_channels", 32),
        ("out_channels", 32), ("groups", 32), ("groups", 1), ("size", 112), ("size", 56),
        ("bias", True), ("bias", False), ("in_channels", 64), ("out_channels", 128),
        ("kernel_size", 7), ("kernel_size", 3),
    ], 100),
    Case("PoolingExplorer", widgets.PoolingExplorer, [
        *[("position", i) for i in range(6)], ("kernel_size", 3), ("stride", 1),
        ("mode", "average"), ("position", 20), ("kernel_size", 4), ("stride", 3),
        ("mode", "max"), ("kernel_size", 2), ("stride", 2),
    ], 100),
    Case("KernelPlayground (largest: 512 RGB, 5×5)",
         lambda: widgets.KernelPlayground(size=widgets.playground.MAX_PHOTO_SIZE), [
             ("color", True), ("kernel.preset", "gaussian_blur_5x5"), ("kernel.preset", "edge"),
             ("kernel.preset", "gaussian_blur_5x5"), ("view", "gabor bank"),
             ("orientation", 45.0), ("view", "kernel"),
         ], 400),
    Case("ReceptiveFieldExplorer (largest: 8 layers, random, 64)", _largest_receptive_field, [
        ("layer", 7), ("layer", 8), ("rows.7.kernel_size", 5), ("rows.7.kernel_size", 3),
        ("input_size", 63), ("input_size", 64), ("weights", "uniform"), ("weights", "random"),
    ], 300),
    Case("FeatureMapViewer", _feature_map_viewer, [
        ("layer", "features.conv1"), ("channel", 3), ("layer", "features.relu1"),
        ("layer", "features.pool1"), ("channel", 7), ("layer", "features.conv2"),
        ("channel", 2), ("layer", "features.conv3"), ("channel", 0), ("layer", "features.relu3"),
    ], 100),
]


def time_updates(case: Case, changes: int) -> np.ndarray:
    """Seconds from a change to its frame sent, for ``changes`` updates (after one untimed
    warm-up pass); a change that sends no frame (the value was already set) is not timed."""
    widget = case.build()
    canvas = widget.figure_panel.canvas
    frames_sent = []  # perf_counter() when each frame was handed to the comm
    canvas.send = lambda content, buffers=None: buffers and frames_sent.append(
        time.perf_counter())
    canvas._handle_message(canvas, {"type": "initialized"}, [])  # as a page does

    def timed_change(path: str, value: object) -> float | None:
        sent, start = len(frames_sent), time.perf_counter()
        _set(widget, path, value)
        canvas._handle_message(canvas, {"type": "draw"}, [])  # the page's acknowledgement
        return frames_sent[-1] - start if len(frames_sent) > sent else None

    for path, value in case.changes:  # warm-up: caches, first-use imports
        timed_change(path, value)
    seconds = []
    while len(seconds) < changes:
        for path, value in case.changes:
            elapsed = timed_change(path, value)
            if elapsed is not None:
                seconds.append(elapsed)
    return np.array(seconds)


def widget_table(changes: int = 40, only: str = "") -> list[dict]:
    """One row per widget (those whose name contains ``only``): name, number of updates,
    median and p95 in ms, target."""
    rows = []
    for case in (case for case in CASES if only in case.name):
        seconds = time_updates(case, changes) * 1e3
        rows.append({"widget": case.name, "updates": len(seconds),
                     "median_ms": float(np.median(seconds)),
                     "p95_ms": float(np.percentile(seconds, 95)), "target_ms": case.target_ms})
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [f"{'widget':<28}{'updates':>8}{'median ms':>11}{'p95 ms':>9}{'target p95':>12}"]
    for row in rows:
        verdict = "ok" if row["p95_ms"] <= row["target_ms"] else "SLOW"
        lines.append(f"{row['widget']:<28}{row['updates']:>8}{row['median_ms']:>11.1f}"
                     f"{row['p95_ms']:>9.1f}{row['target_ms']:>9.0f} ms  {verdict}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=40, help="updates timed per widget (≥ 30)")
    parser.add_argument("--only", default="", help="time only widgets whose name contains this")
    args = parser.parse_args()
    print("Widget update latency (control change → frame sent to the page)")
    print(format_table(widget_table(args.changes, args.only)))


if __name__ == "__main__":
    main()
