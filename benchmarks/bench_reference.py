"""Time the numpy ``conv2d`` methods against ``torch.nn.functional.conv2d`` (a script, not a test).

Run: ``.venv/bin/python -m benchmarks.bench_reference`` (``--no-scaling`` skips the scaling
table, which takes about two minutes; ``--json FILE`` also writes every row to ``FILE``).
Torch and OpenBLAS use all cores with their default thread settings: the figures are what a
learner gets in a notebook.

How it measures, so that neither library slows the other:

- each method runs alone for a block of calls (about ``block`` seconds) after an idle gap of
  ``gap`` seconds: after a call, torch's OpenMP workers and OpenBLAS's threads keep spinning
  for a while, and would take the cores from the next method if it started at once;
- the blocks of all methods alternate, round after round, so a burst of load from other
  processes hits all of them alike; each round gives every method's time per call and its
  ratio to torch in that round;
- the tables print the minimum and the median over rounds, and two ratios to torch: of the
  fastest times (the best estimate of the undisturbed ratio: other processes can only slow
  a call down) and the median of the per-round ratios (close to it on a quiet machine; far
  from it means the machine was busy).

Tables:

1. a ResNet-style layer (N=1, C_in=C_out=64, 56x56, 3x3, padding 1, float32): ms per call,
   ratios to torch, GFLOP/s with FLOPs = 2·N·C_out·C_in·kH·kW·H_out·W_out (against the float32
   GEMM rate, measured first), peak memory of one call (``tracemalloc``, which sees numpy's
   allocations but not torch's) and the largest deviation from torch's output;
2. the same layer at 224x224 (memory) and with a batch of 8;
3. a 15x15 kernel on a 1x1x256x256 image, where the FFT's cost no longer grows with the
   kernel area;
4. a small layer (C_in=C_out=8, 14x14) for the slow ``loops`` method;
5. scaling: ratio to torch as the image (28→224), the channels (16→256), the kernel (3→15,
   padding k // 2) and the batch (1→8) grow from the ResNet layer, one at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from convlessons.arithmetic import conv_output_size
from convlessons.reference import conv2d

__all__ = [
    "Layer",
    "RESNET_LAYER",
    "LARGE_KERNEL",
    "SMALL_LAYER",
    "gemm_rate",
    "measure",
    "peak_memory",
    "reference_table",
    "scaling_table",
    "main",
]

METHODS = ("direct", "im2col", "winograd", "fft")


@dataclass(frozen=True)
class Layer:
    """A square convolution layer: ``batch`` x ``channels`` x ``size`` x ``size`` input,
    ``filters`` filters of ``kernel`` x ``kernel``, symmetric zero ``padding``, stride 1."""

    batch: int
    channels: int
    filters: int
    size: int
    kernel: int
    padding: int

    @property
    def flops(self) -> int:
        """Multiply-adds x 2: ``2 * N * C_out * C_in * k * k * H_out * W_out``."""
        out = conv_output_size(self.size, self.kernel, padding=self.padding)
        return 2 * self.batch * self.filters * self.channels * self.kernel**2 * out**2

    def __str__(self) -> str:
        return (
            f"N={self.batch}, C_in={self.channels}, C_out={self.filters}, {self.size}x{self.size}, "
            f"{self.kernel}x{self.kernel}, padding {self.padding}, float32"
        )


RESNET_LAYER = Layer(batch=1, channels=64, filters=64, size=56, kernel=3, padding=1)
LARGE_KERNEL = Layer(batch=1, channels=1, filters=1, size=256, kernel=15, padding=0)
SMALL_LAYER = Layer(batch=1, channels=8, filters=8, size=14, kernel=3, padding=1)


def gemm_rate(size: int = 2048, repeats: int = 5) -> float:
    """The machine's float32 matrix-product rate in GFLOP/s: best of ``repeats`` numpy
    ``size x size`` products (``2 size³`` FLOPs each), the ceiling every method is held to."""
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    a @ a
    best = min(_seconds(lambda: a @ a) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _seconds(function: Callable[[], object], calls: int = 1) -> float:
    """Seconds per call of ``calls`` back-to-back calls."""
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def measure(
    functions: Mapping[str, Callable[[], object]],
    rounds: int = 7,
    block: float = 0.1,
    gap: float = 0.1,
) -> dict[str, list[float]]:
    """Seconds per call of each function, one sample per round, each timed alone.

    Each function is warmed up once and given a call count so that one block of calls
    lasts about ``block`` seconds. Every round then times, for each function in turn, an
    idle ``gap`` (the previous library's spinning threads go to sleep), one untimed call
    and the timed block.
    """
    calls = {}
    for name, function in functions.items():
        function()
        calls[name] = max(1, round(block / max(_seconds(function), 1e-6)))
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            time.sleep(gap)
            function()
            samples[name].append(_seconds(function, calls[name]))
    return samples


def peak_memory(function: Callable[[], object]) -> float:
    """Peak MiB allocated during one call, as ``tracemalloc`` sees it (numpy's allocations,
    including the result; torch's own allocator is invisible to it)."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _layer_functions(
    layer: Layer, methods: Sequence[str], seed: int = 0
) -> tuple[dict[str, Callable[[], object]], np.ndarray]:
    """Zero-argument calls of torch and each method on random float32 data for ``layer``,
    and torch's output."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((layer.batch, layer.channels, layer.size, layer.size), np.float32)
    shape = (layer.filters, layer.channels, layer.kernel, layer.kernel)
    w = rng.standard_normal(shape, dtype=np.float32)
    x_t, w_t = torch.from_numpy(x), torch.from_numpy(w)

    def run_torch() -> torch.Tensor:
        with torch.no_grad():
            return F.conv2d(x_t, w_t, padding=layer.padding)

    functions: dict[str, Callable[[], object]] = {"torch": run_torch}
    for method in methods:
        functions[method] = partial(conv2d, x, w, padding=layer.padding, method=method)
    return functions, run_torch().numpy()


def _ratios(samples: dict[str, list[float]], name: str) -> list[float]:
    return [t / t_torch for t, t_torch in zip(samples[name], samples["torch"], strict=True)]


def reference_table(
    layer: Layer = RESNET_LAYER,
    methods: Sequence[str] = METHODS,
    rounds: int = 9,
    memory: bool = True,
) -> list[dict]:
    """Time torch and each ``conv2d`` method on ``layer`` (float32); one row each, torch first.

    Each row: ``method``, ``seconds`` (min, median over rounds), ``ratio`` to torch (of the
    minimum times, median of the per-round ratios), ``gflops`` (FLOPs / minimum time), ``peak_mib``
    (``None`` for torch or when ``memory`` is false) and ``max_abs_error`` against torch.
    """
    functions, expected = _layer_functions(layer, methods)
    samples = measure(functions, rounds=rounds)
    rows = []
    for name, function in functions.items():
        ratios = _ratios(samples, name)
        result = np.asarray(function())
        rows.append(
            {
                "method": name,
                "seconds": (min(samples[name]), statistics.median(samples[name])),
                "ratio": (min(samples[name]) / min(samples["torch"]), statistics.median(ratios)),
                "gflops": layer.flops / min(samples[name]) / 1e9,
                "peak_mib": peak_memory(function) if memory and name != "torch" else None,
                "max_abs_error": float(np.max(np.abs(result - expected))),
            }
        )
    return rows


def _scaling_layers() -> list[tuple[str, Layer]]:
    """The ResNet layer with one quantity changed at a time."""
    base = RESNET_LAYER
    layers = [("baseline", base)]
    layers += [(f"image {s}²", replace(base, size=s)) for s in (28, 112, 224)]
    layers += [(f"C_in=C_out={c}", replace(base, channels=c, filters=c)) for c in (16, 128, 256)]
    layers += [(f"kernel {k}x{k}", replace(base, kernel=k, padding=k // 2)) for k in (5, 9, 15)]
    layers += [(f"batch {n}", replace(base, batch=n)) for n in (2, 8)]
    return layers


def scaling_table(rounds: int = 5) -> list[dict]:
    """Ratio to torch of each method on each :func:`_scaling_layers` layer.

    Each row: ``label``, ``layer``, ``torch_ms`` (minimum), ``torch_gflops`` and ``ratios``
    (method → ratio of the fastest times, ``None`` where Winograd does not apply).
    """
    rows = []
    for label, layer in _scaling_layers():
        methods = [m for m in METHODS if m != "winograd" or layer.kernel == 3]
        functions, _ = _layer_functions(layer, methods)
        samples = measure(functions, rounds=rounds)
        best = min(samples["torch"])
        ratios = {m: min(samples[m]) / best if m in methods else None for m in METHODS}
        rows.append(
            {
                "label": label,
                "layer": layer,
                "torch_ms": best * 1e3,
                "torch_gflops": layer.flops / best / 1e9,
                "ratios": ratios,
            }
        )
    return rows


def _print_table(title: str, rows: list[dict]) -> None:
    print(title)
    print(
        f"{'method':<10}{'ms min':>9}{'ms med':>9}{'x torch':>9}{'(median)':>10}"
        f"{'GFLOP/s':>9}{'peak MiB':>10}{'max |err|':>11}"
    )
    for row in rows:
        peak = "—" if row["peak_mib"] is None else f"{row['peak_mib']:.1f}"
        print(
            f"{row['method']:<10}{row['seconds'][0] * 1e3:>9.3f}{row['seconds'][1] * 1e3:>9.3f}"
            f"{row['ratio'][0]:>9.2f}{row['ratio'][1]:>10.2f}{row['gflops']:>9.1f}"
            f"{peak:>10}{row['max_abs_error']:>11.1e}"
        )
    print()


def _print_scaling(rows: list[dict]) -> None:
    print("Scaling from the ResNet layer, one quantity at a time (x torch, fastest times)")
    print(f"{'layer':<16}{'torch ms':>10}{'GFLOP/s':>9}" + "".join(f"{m:>10}" for m in METHODS))
    for row in rows:
        cells = "".join(
            f"{'—':>10}" if r is None else f"{r:>10.2f}" for r in row["ratios"].values()
        )
        print(f"{row['label']:<16}{row['torch_ms']:>10.3f}{row['torch_gflops']:>9.1f}{cells}")
    print()


def main(scaling: bool = True, json_path: str | None = None) -> None:
    """Print the tables (the scaling table unless ``scaling`` is false); with ``json_path``,
    also write every row there (for the README and notebook 08's figures)."""
    load = os.getloadavg()[0]
    rate = max(gemm_rate(), gemm_rate())  # the first products may run before the cores wake up
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), numpy {np.__version__}; "
        f"float32 GEMM rate {rate:.0f} GFLOP/s; load average {load:.2f}"
    )
    print("min / median over rounds; each method timed alone after an idle gap\n")
    big, batch = replace(RESNET_LAYER, size=224), replace(RESNET_LAYER, batch=8)
    tables = {
        f"ResNet-style layer ({RESNET_LAYER})": reference_table(),
        f"Large image ({big})": reference_table(big, rounds=5),
        f"Batch of 8 ({batch})": reference_table(batch, rounds=5),
        f"Large kernel ({LARGE_KERNEL})": reference_table(
            LARGE_KERNEL, methods=("direct", "im2col", "fft")
        ),
        f"Small layer for the slow loops ({SMALL_LAYER})": reference_table(
            SMALL_LAYER, methods=("loops", "direct", "im2col"), rounds=5
        ),
    }
    for title, rows in tables.items():
        _print_table(title, rows)
    scaled = scaling_table() if scaling else []
    if scaled:
        _print_scaling(scaled)
    end_load = os.getloadavg()[0]
    print(f"load average at the end: {end_load:.2f} (at the start: {load:.2f})")
    if json_path:
        for row in scaled:
            row["layer"] = str(row["layer"])
        record = {
            "gemm_gflops": rate,
            "load": [load, end_load],
            "torch": torch.__version__,
            "tables": tables,
            "scaling": scaled,
        }
        Path(json_path).write_text(json.dumps(record, indent=1), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-scaling", dest="scaling", action="store_false", help="skip the scaling table"
    )
    parser.add_argument("--json", dest="json_path", help="also write every row to this file")
    main(**vars(parser.parse_args()))
