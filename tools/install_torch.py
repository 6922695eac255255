"""Install PyTorch's CPU build into this Python's environment, then prove no CUDA build came in.

``make setup`` runs it with the virtual environment's Python::

    .venv/bin/python tools/install_torch.py --spec torch==2.13.0 --index auto
    .venv/bin/python tools/install_torch.py --check      # only the check

Where the wheel comes from (``--index``):

``auto`` (the default)
    On Linux x86_64, PyPI's ``torch`` is a CUDA build that brings fifteen ``nvidia-*``
    packages, three ``cuda-*`` ones and ``triton`` (torch 2.13.0 on Python 3.12: 1.4 GB of
    downloads, about 5 GB installed), so the wheel comes from PyTorch's CPU index
    (:data:`CPU_INDEX`). Where that index cannot be reached, pip's configured index is used
    instead (a mirror that holds a CPU wheel, as on the course's reference machine). On
    macOS, Windows and Linux aarch64, PyPI's wheel is a CPU build: pip's configured index.
``default``
    pip's configured index only.
any URL
    that index only (``pip install --index-url URL``).

Whatever the source, the environment is then checked: any ``nvidia-*``, ``cuda-*`` or
``triton`` distribution stops the set-up with a message that says how to fix it.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CUDA_PREFIXES = ("nvidia-", "cuda-")  # nvidia-cublas, ..., cuda-bindings, cuda-toolkit
CUDA_ONLY = ("triton", "pytorch-triton")
PROBE_TIMEOUT_S = 10.0


def index_reachable(index: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """True when the index's page for torch, ``{index}/torch/``, answers without an HTTP error."""
    try:
        with urllib.request.urlopen(index.rstrip("/") + "/torch/", timeout=timeout) as response:
            return response.status < 400
    except (urllib.error.URLError, OSError, ValueError):
        return False


def choose_index(
    index: str, system: str, machine: str, reachable: Callable[[str], bool]
) -> tuple[list[str], str]:
    """pip's index arguments for ``index`` (``auto``, ``default`` or a URL), and why.

    Returns ``([], reason)`` for pip's configured index, ``(["--index-url", url], reason)``
    otherwise. ``reachable`` is only asked in ``auto`` mode on Linux x86_64.
    """
    if index == "default":
        return [], "pip's configured index (TORCH_INDEX=default)"
    if index != "auto":
        return ["--index-url", index], f"the index you chose ({index})"
    if (system, machine) != ("Linux", "x86_64"):
        return [], f"pip's configured index (PyPI's wheel is CPU-only on {system} {machine})"
    if reachable(CPU_INDEX):
        return ["--index-url", CPU_INDEX], f"PyTorch's CPU index ({CPU_INDEX})"
    return [], f"pip's configured index ({CPU_INDEX} cannot be reached)"


def cuda_packages(names: Sequence[str]) -> list[str]:
    """The names that only a CUDA build of PyTorch brings (``nvidia-*``, ``cuda-*``, ``triton``)."""
    return sorted(
        name
        for name in names
        if name.lower().startswith(CUDA_PREFIXES) or name.lower() in CUDA_ONLY
    )


def installed(pip: list[str]) -> dict[str, str]:
    """``{name: version}`` of every distribution in pip's environment."""
    listing = subprocess.run(
        [*pip, "list", "--format=json"], check=True, capture_output=True, text=True
    ).stdout
    return {entry["name"]: entry["version"] for entry in json.loads(listing)}


def fix_message(found: list[str]) -> str:
    """What to do when a CUDA build came in."""
    return (
        f"install_torch: a CUDA build of PyTorch came in with {', '.join(found)}:\n"
        "  several GB that this course never uses (it runs on the CPU).\n"
        "Fix: remove the environment and install the CPU build, e.g.\n"
        "  rm -rf .venv && make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu\n"
        "or, with a CPU wheel you downloaded (its name contains '+cpu'):\n"
        "  rm -rf .venv && make setup TORCH_SPEC=/path/to/torch-...+cpu-....whl TORCH_INDEX=default"
    )


def check(pip: list[str]) -> int:
    """0 and a one-line summary when no CUDA package is installed; 1 and the fix otherwise."""
    packages = installed(pip)
    found = cuda_packages(list(packages))
    if found:
        print(fix_message(found), file=sys.stderr)
        return 1
    torch = packages.get("torch", "not installed")
    print(f"install_torch: torch {torch}, no nvidia-*, cuda-* or triton package: CPU only")
    return 0


def main(
    argv: Sequence[str] | None = None, reachable: Callable[[str], bool] = index_reachable
) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="torch==2.13.0", help="requirement or wheel path")
    parser.add_argument("--index", default="auto", help="auto, default, or an index URL")
    parser.add_argument("--check", action="store_true", help="only check for CUDA packages")
    parser.add_argument(
        "--pip",
        default=None,
        help="pip command (default: this Python's `-m pip`; tests use a fake)",
    )
    args = parser.parse_args(argv)
    pip = shlex.split(args.pip) if args.pip else [sys.executable, "-m", "pip"]

    if not args.check:
        index_args, reason = choose_index(
            args.index, platform.system(), platform.machine(), reachable
        )
        print(f"install_torch: {args.spec} from {reason}")
        result = subprocess.run([*pip, "install", "--quiet", *index_args, args.spec])
        if result.returncode != 0:
            print(f"install_torch: pip could not install {args.spec}", file=sys.stderr)
            return result.returncode
    return check(pip)


if __name__ == "__main__":
    sys.exit(main())
