"""tools/install_torch.py: the CPU index where it is reachable, a fallback, and the CUDA check.

No network: pip is a fake that records its arguments and "installs" a CPU or a CUDA build,
and the index probe is asked of a server on the loopback address.
"""

import functools
import http.server
import importlib.util
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("install_torch", ROOT / "tools" / "install_torch.py")
install_torch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(install_torch)

# Installs the CPU build when given --index-url, else what FAKE_DEFAULT_INDEX says ("cpu"/"cuda").
FAKE_PIP = """
import json, os, sys
state, args = os.environ["FAKE_PIP_STATE"], sys.argv[1:]
with open(state + ".log", "a") as log:
    log.write(json.dumps(args) + "\\n")
if os.environ.get("FAKE_PIP_FAILS"):
    sys.exit(1)
if args[0] == "install":
    cuda = "--index-url" not in args and os.environ["FAKE_DEFAULT_INDEX"] == "cuda"
    packages = {"numpy": "2.4.6", "torch": "2.13.0" if cuda else "2.13.0+cpu"}
    if cuda:
        packages.update({"nvidia-cublas": "13.1", "cuda-bindings": "13.5", "triton": "3.7.1"})
    with open(state, "w") as f:
        json.dump(packages, f)
elif args[0] == "list":
    packages = json.load(open(state)) if os.path.exists(state) else {}
    print(json.dumps([{"name": n, "version": v} for n, v in packages.items()]))
"""


@pytest.fixture
def fake_pip(tmp_path, monkeypatch):
    """The --pip command of a fake pip, and a function returning the argument lists it got."""
    script = tmp_path / "fake_pip.py"
    script.write_text(FAKE_PIP)
    state = tmp_path / "installed.json"
    monkeypatch.setenv("FAKE_PIP_STATE", str(state))
    monkeypatch.setenv("FAKE_DEFAULT_INDEX", "cpu")

    def calls() -> list[list[str]]:
        log = Path(f"{state}.log")
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return f"{sys.executable} {script}", calls


def _install_call(calls) -> list[str]:
    return next(call for call in calls() if call[0] == "install")


@pytest.mark.parametrize(
    ("system", "machine"), [("Darwin", "arm64"), ("Windows", "AMD64"), ("Linux", "aarch64")]
)
def test_auto_uses_pips_index_where_pypi_has_only_cpu_wheels(system, machine):
    def never(_index):
        raise AssertionError("the CPU index is only probed on Linux x86_64")

    assert install_torch.choose_index("auto", system, machine, never)[0] == []


def test_auto_on_linux_x86_64_takes_the_cpu_index_when_it_answers():
    args, reason = install_torch.choose_index("auto", "Linux", "x86_64", lambda _index: True)
    assert args == ["--index-url", install_torch.CPU_INDEX]
    assert "CPU index" in reason


def test_auto_on_linux_x86_64_falls_back_when_the_cpu_index_cannot_be_reached():
    args, reason = install_torch.choose_index("auto", "Linux", "x86_64", lambda _index: False)
    assert args == []
    assert "cannot be reached" in reason


def test_an_explicit_index_is_used_alone_and_default_means_pips_own():
    url = "https://example.org/simple"
    assert install_torch.choose_index(url, "Linux", "x86_64", bool)[0] == ["--index-url", url]
    assert install_torch.choose_index("default", "Linux", "x86_64", bool)[0] == []


def test_cuda_packages_are_nvidia_and_triton_only():
    # what PyPI's torch 2.13.0 brings on Linux x86_64 (pip's report, Python 3.12), among others
    names = [
        "numpy",
        "nvidia-cublas",
        "NVIDIA-nccl-cu13",
        "cuda-bindings",
        "cuda-toolkit",
        "triton",
        "torch",
        "tritonclient",
        "sympy",
    ]
    assert install_torch.cuda_packages(names) == [
        "NVIDIA-nccl-cu13",
        "cuda-bindings",
        "cuda-toolkit",
        "nvidia-cublas",
        "triton",
    ]


def test_reachable_cpu_index_is_passed_to_pip(fake_pip, monkeypatch, capsys):
    pip, calls = fake_pip
    monkeypatch.setattr(install_torch.platform, "system", lambda: "Linux")
    monkeypatch.setattr(install_torch.platform, "machine", lambda: "x86_64")
    assert install_torch.main(["--pip", pip], reachable=lambda _index: True) == 0
    assert _install_call(calls) == [
        "install",
        "--quiet",
        "--index-url",
        install_torch.CPU_INDEX,
        "torch==2.13.0",
    ]
    assert "torch 2.13.0+cpu, no nvidia-*, cuda-* or triton package" in capsys.readouterr().out


def test_unreachable_cpu_index_falls_back_to_the_default_index(fake_pip, monkeypatch):
    pip, calls = fake_pip
    monkeypatch.setattr(install_torch.platform, "system", lambda: "Linux")
    monkeypatch.setattr(install_torch.platform, "machine", lambda: "x86_64")
    assert install_torch.main(["--pip", pip], reachable=lambda _index: False) == 0
    assert _install_call(calls) == ["install", "--quiet", "torch==2.13.0"]


def test_a_cuda_build_stops_the_set_up_with_the_fix(fake_pip, monkeypatch, capsys):
    pip, _calls = fake_pip
    monkeypatch.setenv("FAKE_DEFAULT_INDEX", "cuda")
    assert install_torch.main(["--pip", pip, "--index", "default"]) == 1
    message = capsys.readouterr().err
    assert "cuda-bindings, nvidia-cublas, triton" in message
    assert "rm -rf .venv && make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu" in message


def test_check_alone_installs_nothing(fake_pip, monkeypatch):
    pip, calls = fake_pip
    monkeypatch.setenv("FAKE_DEFAULT_INDEX", "cuda")
    install_torch.main(["--pip", pip, "--index", "default"])
    assert install_torch.main(["--pip", pip, "--check"]) == 1
    assert [call[0] for call in calls()] == ["install", "list", "list"]


def test_a_failing_pip_stops_before_the_check(fake_pip, monkeypatch, capsys):
    pip, calls = fake_pip
    monkeypatch.setenv("FAKE_PIP_FAILS", "1")
    assert install_torch.main(["--pip", pip, "--spec", "torch==0.0", "--index", "default"]) == 1
    assert "could not install torch==0.0" in capsys.readouterr().err
    assert [call[0] for call in calls()] == ["install"]


def test_index_reachable_asks_the_torch_page(tmp_path):
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "index.html").write_text("<a href='torch-2.13.0+cpu.whl'>wheel</a>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        index = f"http://127.0.0.1:{server.server_address[1]}"
        assert install_torch.index_reachable(index + "/", timeout=5)
        assert not install_torch.index_reachable(index + "/missing", timeout=5)
    finally:
        server.shutdown()
        server.server_close()


def test_index_reachable_is_false_for_a_closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert not install_torch.index_reachable(f"http://127.0.0.1:{port}", timeout=5)


def test_the_makefile_passes_torch_spec_and_index_as_single_arguments():
    dry_run = subprocess.run(
        [
            "make",
            "-n",
            "-B",
            "setup",
            "TORCH_SPEC=torch==2.13.0",
            "TORCH_INDEX=https://download.pytorch.org/whl/cpu",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (
        'tools/install_torch.py --spec "torch==2.13.0" '
        '--index "https://download.pytorch.org/whl/cpu"' in dry_run
    )
    assert "tools/install_torch.py --check" in dry_run
