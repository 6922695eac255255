"""The ConvExplorer as a person feels it in JupyterLab, in headless chromium.

Starts JupyterLab and Debian's chromium with the helpers the browser test uses
(``devtools/browser.py``), runs the explorer notebook, and times, in the page, from the input
event to the draw (its ``timeStamp`` to the first ``drawImage`` / ``strokeRect`` on the canvas,
recorded by an init script; nothing polls the page):

- **slider**: a stride key press → ipympl's next draw of the figure (slider → comm → kernel →
  matplotlib → PNG → canvas);
- **step**: a click on next ▶ / ◀ previous → the stepper's overlay redrawn (in the page);
- **play**: steps per second the overlay draws at the fastest play speed;

then the slider, the step and play again with ``--latency`` ms added to every round trip
between the page and the server, two ways:

- Chrome DevTools' ``Network.emulateNetworkConditions`` (``latency``, through a CDP session),
  which delays HTTP but not WebSocket frames, so it leaves the kernel's messages alone (the
  rows show it);
- :class:`devtools.browser.DelayingProxy`, a TCP proxy the page reaches the server through,
  holding every chunk ``latency / 2`` each way: this is the latency the kernel's messages see.

Each timing is also given to the animation frame that shows the draw.

Usage::

    .venv/bin/python -m benchmarks.bench_browser [--presses 20] [--latency 100]
                                                 [--notebook PATH] [--root DIR]

(from the repository root).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from devtools.browser import (
    ARTIFACTS,
    EXPLORER_NOTEBOOK,
    NOTEBOOK_DIR,
    REPO_ROOT,
    DelayingProxy,
    Explorer,
    Timing,
    chromium,
    close_notebook,
    emulated_latency,
    execute_notebook,
    kernel_round_trip_ms,
    running_lab,
    step_latency,
    stride_latency,
    summarize_ms,
)

TARGETS = {"slider": 60.0, "step": 20.0}
"""Repaint targets in ms (issue 15), for the medians; play's is 20 steps/s."""


def timing_rows(name: str, timings: list[Timing]) -> list[tuple[str, str]]:
    """Two table rows: event → draw (against the target) and event → frame."""
    draws = [t.draw_ms for t in timings]
    kind = name.split()[0]
    return [
        (f"{name} → draw", f"{summarize_ms(draws)}  (target ≤ {TARGETS[kind]:.0f} ms)"),
        (f"{name} → frame", summarize_ms([t.frame_ms for t in timings])),
    ]


def measure(explorer: Explorer, presses: int, condition: str) -> list[tuple[str, str]]:
    """The rows of one network condition: kernel round trip, slider, step, play."""
    rows = [(f"kernel round trip (execute `pass`){condition}",
             summarize_ms(kernel_round_trip_ms(explorer.page)))]
    rows += timing_rows(f"slider key press{condition}", stride_latency(explorer, presses))
    rows += timing_rows(f"step click{condition}", step_latency(explorer, presses))
    rate, steps = explorer.play_steps_per_second()
    rows.append((f"play, fastest speed{condition}",
                 f"{rate:.1f} steps/s over {steps} steps  (target ≥ 20)"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20, help="timed events of each kind (>= 10)")
    parser.add_argument("--latency", type=float, default=100.0, help="emulated latency, ms")
    parser.add_argument("--notebook", type=Path, default=NOTEBOOK_DIR / EXPLORER_NOTEBOOK)
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="JupyterLab root dir")
    args = parser.parse_args()
    if args.presses < 10:
        parser.error(f"--presses must be >= 10, got {args.presses}")

    load = os.getloadavg()[0]
    start = time.perf_counter()
    with (running_lab(root_dir=args.root.resolve()) as server, DelayingProxy(server) as proxy,
          chromium() as browser):
        server_s = time.perf_counter() - start
        start = time.perf_counter()
        notebook = execute_notebook(browser, replace(server, url=proxy.url),
                                    args.notebook.resolve())
        run_s = time.perf_counter() - start
        if notebook.problems:
            sys.exit("notebook shows errors:\n" + "\n".join(notebook.problems))
        explorer = Explorer.first_on(notebook.page)
        explorer.button("next").click()  # untimed: activates the cell (JupyterLab relays out)
        rows = [("JupyterLab start → /api/status", f"{server_s:.1f} s"),
                (f"open + Run All Cells ({args.notebook.name})", f"{run_s:.1f} s")]
        rows += measure(explorer, args.presses, "")
        with emulated_latency(notebook.page, args.latency):
            rows += measure(explorer, args.presses, f" +{args.latency:.0f} ms Chrome emulation")
        with proxy.latency(args.latency):
            rows += measure(explorer, args.presses, f" +{args.latency:.0f} ms proxy")
        close_notebook(notebook.page)

    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"load average (1 min) at the start: {load:.2f} on {os.cpu_count()} cores; "
          f"now {os.getloadavg()[0]:.2f}")
    print(f"screenshot: {notebook.screenshot}  (server log: {ARTIFACTS / 'jupyter-server.log'})")


if __name__ == "__main__":
    main()
