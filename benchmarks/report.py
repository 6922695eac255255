"""The course's performance report: the figures a user would compare.

Prints, on this machine:

1. the execution time of every notebook (clean kernel, top to bottom) and of the whole course;
2. the reference implementations against ``torch.nn.functional.conv2d`` (``bench_reference``);
3. the widget update latencies, control change → frame sent to the page (``bench_widgets``);
4. what a person feels in JupyterLab (``bench_browser``): stride key press → redrawn figure,
   explorer step → redrawn highlight, play rate, each also through a 100 ms delaying proxy.

Run: ``make report`` (or ``.venv/bin/python -m benchmarks.report`` from the repository root).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from benchmarks import bench_reference, bench_widgets

ROOT = Path(__file__).resolve().parents[1]


def notebook_times() -> list[tuple[str, float]]:
    """Seconds to run each notebook on a fresh kernel, as ``pytest --nbval-lax`` does."""
    times = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        times.append((path.name, time.perf_counter() - start))
    return times


def machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{date.today()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, "
            f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")


def main() -> None:
    print(f"convlessons performance report — {machine()}\n")

    print("1. Notebooks (fresh kernel, top to bottom)")
    times = notebook_times()
    for name, seconds in times:
        print(f"   {name:<40}{seconds:>7.1f} s")
    print(f"   {'whole course':<40}{sum(s for _, s in times):>7.1f} s\n")

    print("2. Reference implementations vs torch")
    bench_reference.main()

    print("3. Widget updates")
    print(bench_widgets.format_table(bench_widgets.widget_table()))
    print()

    print("4. In JupyterLab, in headless chromium")
    subprocess.run([sys.executable, "-m", "benchmarks.bench_browser", "--presses", "10"],
                   cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
