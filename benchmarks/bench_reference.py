"""Time the numpy ``conv2d`` methods against ``torch.nn.functional.conv2d`` (a script, not a test).

Table 1: a ResNet-style layer (N=1, C=K=64, 56x56, 3x3, padding 1, float32), every method
but ``loops`` (timed on a much smaller layer, see table 3), as ratio to torch and GFLOP/s
with FLOPs = 2*N*K*C*kH*kW*H_out*W_out. Table 2: ``fft`` vs ``im2col`` for a 15x15
kernel on a 1x1x256x256 image, where the FFT's cost no longer grows with the kernel area.

Run: ``.venv/bin/python -m benchmarks.bench_reference`` (torch and OpenBLAS then use all
cores). On a machine shared with other jobs, multi-threaded timings swing wildly (a woken
thread waits for a busy core); ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`` in front of the
command compares single-threaded torch with single-threaded numpy instead.

The script sets ``OMP_WAIT_POLICY=PASSIVE`` (unless already set) before importing torch:
otherwise torch's OpenMP workers keep spinning for a while after each call and take the
cores from OpenBLAS's threads in the numpy call timed right after it (measured here: im2col
4.1 ms interleaved with torch, 1.9 ms without the spinning; torch itself is unchanged).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch starts its OpenMP pool

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

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
    "measure",
    "reference_table",
    "main",
]


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
        """Multiply-adds x 2: ``2 * N * K * C * k * k * H_out * W_out``."""
        out = conv_output_size(self.size, self.kernel, padding=self.padding)
        return 2 * self.batch * self.filters * self.channels * self.kernel**2 * out**2

    def __str__(self) -> str:
        return (
            f"N={self.batch}, C={self.channels}, K={self.filters}, {self.size}x{self.size}, "
            f"{self.kernel}x{self.kernel}, padding {self.padding}, float32"
        )


RESNET_LAYER = Layer(batch=1, channels=64, filters=64, size=56, kernel=3, padding=1)
LARGE_KERNEL = Layer(batch=1, channels=1, filters=1, size=256, kernel=15, padding=0)
SMALL_LAYER = Layer(batch=1, channels=8, filters=8, size=14, kernel=3, padding=1)


def measure(
    functions: Mapping[str, Callable[[], object]], rounds: int = 7, min_time: float = 0.05
) -> dict[str, list[float]]:
    """Seconds per call of each function, ``rounds`` samples each, interleaved.

    Each function is first warmed up (allocations, thread pools, FFT plans) and a loop count
    chosen so one sample lasts about ``min_time``. The rounds then time every function in
    turn, so a burst of load from other processes hits all of them alike; compare them
    with the per-round ratios or the medians.
    """
    loops = {}
    for name, function in functions.items():
        function()
        start, calls = time.perf_counter(), 0
        while time.perf_counter() - start < min_time:
            function()
            calls += 1
        loops[name] = max(1, calls)
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            start = time.perf_counter()
            for _ in range(loops[name]):
                function()
            samples[name].append((time.perf_counter() - start) / loops[name])
    return samples


def reference_table(
    layer: Layer = RESNET_LAYER,
    methods: Sequence[str] = ("direct", "im2col", "winograd", "fft"),
    tile: int = 4,
    rounds: int = 7,
    seed: int = 0,
) -> list[dict]:
    """Time torch and each ``conv2d`` method on ``layer`` (float32); one row each, torch first.

    Each row: ``{"method", "seconds", "ratio_to_torch", "gflops", "max_abs_error"}``:
    median seconds per call, median over rounds of (time / torch time in the same round),
    FLOPs / median time, and the largest deviation from the torch output.
    """
    rng = np.random.default_rng(seed)
    shape = (layer.batch, layer.channels, layer.size, layer.size)
    x = rng.standard_normal(shape, dtype=np.float32)
    kernel_shape = (layer.filters, layer.channels, layer.kernel, layer.kernel)
    w = rng.standard_normal(kernel_shape, dtype=np.float32)
    x_t, w_t = torch.from_numpy(x), torch.from_numpy(w)
    with torch.no_grad():
        expected = F.conv2d(x_t, w_t, padding=layer.padding).numpy()

    def run_torch() -> torch.Tensor:
        with torch.no_grad():
            return F.conv2d(x_t, w_t, padding=layer.padding)

    functions: dict[str, Callable[[], object]] = {"torch": run_torch}
    for method in methods:
        functions[method] = partial(conv2d, x, w, padding=layer.padding, method=method, tile=tile)
    samples = measure(functions, rounds=rounds)
    flops = layer.flops
    rows = []
    for name, function in functions.items():
        seconds = statistics.median(samples[name])
        ratios = [t / t_torch for t, t_torch in zip(samples[name], samples["torch"], strict=True)]
        result = np.asarray(function())
        rows.append(
            {
                "method": name,
                "seconds": seconds,
                "ratio_to_torch": statistics.median(ratios),
                "gflops": flops / seconds / 1e9,
                "max_abs_error": float(np.max(np.abs(result - expected))),
            }
        )
    return rows


def _print_table(title: str, rows: list[dict]) -> None:
    print(title)
    print(f"{'method':<10}{'ms/call':>12}{'x torch':>10}{'GFLOP/s':>10}{'max |err|':>12}")
    for row in rows:
        print(
            f"{row['method']:<10}{row['seconds'] * 1e3:>12.3f}{row['ratio_to_torch']:>10.2f}"
            f"{row['gflops']:>10.2f}{row['max_abs_error']:>12.2e}"
        )
    print()


def main() -> None:
    """Print the three tables."""
    print(f"torch threads: {torch.get_num_threads()}; medians of interleaved rounds\n")
    _print_table(f"ResNet-style layer ({RESNET_LAYER})", reference_table())
    _print_table(
        f"Large kernel ({LARGE_KERNEL})",
        reference_table(LARGE_KERNEL, methods=("im2col", "fft")),
    )
    _print_table(
        f"Small layer for the slow loops ({SMALL_LAYER})",
        reference_table(SMALL_LAYER, methods=("loops", "direct", "im2col")),
    )


if __name__ == "__main__":
    main()
