"""Binder and conda: environment files, postBuild, start and the server settings they ship.

- ``environment.yml`` is the RUNTIME environment (Binder must fit in 2 GB): exactly
  pyproject's dependencies under conda-forge's names, no test package, no pip section.
- ``environment-dev.yml`` is the runtime lines plus the ``test``/``dev`` extras.
- ``postBuild`` and ``start`` run here in a temporary prefix: a fake ``python`` answers
  ``sys.prefix`` and records pip's arguments; a made-up cgroup tree sets the CPU quota.
"""

import json
import os
import re
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# pip name -> conda-forge name, each checked on conda-forge (feedstock recipe, conda-forge
# package page, or repo2docker's conda-forge lock file) on 2026-11-27.
CONDA_FORGE_NAMES = {
    "numpy": "numpy",
    # matplotlib-feedstock: `matplotlib` = matplotlib-base + pyside6 (Qt) + tornado
    "matplotlib": "matplotlib-base",
    "ipywidgets": "ipywidgets",
    "ipympl": "ipympl",
    # pytorch-cpu-feedstock (2.13.0): output `pytorch-cpu` pins the CPU-only build
    "torch": "pytorch-cpu",
    "jupyterlab": "jupyterlab",
    # anywidget-feedstock: same name
    "anywidget": "anywidget",
    "pytest": "pytest",
    "nbval": "nbval",
    "hypothesis": "hypothesis",
    # conda-forge's `playwright` is the Node.js Playwright; the Python module is this one
    "playwright": "playwright-python",
    "jsonschema": "jsonschema",
    # `nbconvert` adds pandoc (~100 MB); repo2docker's own lock file takes nbconvert-core
    "nbconvert": "nbconvert-core",
    # the scenario runner and the report execute notebooks with them directly
    "nbclient": "nbclient",
    "nbformat": "nbformat",
    "ruff": "ruff",
}
BASE = {"python", "pip"}  # not Python packages of pyproject's, in both environments


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement).groups()
    return name.lower(), spec.replace(" ", "")


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def conda_names(requirements: list[str]) -> dict[str, str]:
    """``{conda-forge name: version spec}`` for pip requirements (self-references dropped)."""
    specs = dict(_split(r) for r in requirements if not r.startswith("convlessons"))
    return {CONDA_FORGE_NAMES[name]: spec for name, spec in specs.items()}


def environment(filename: str) -> tuple[dict[str, str], list[str]]:
    """The conda dependencies ``{name: spec}`` (in file order) and the pip section's lines."""
    conda, pip, section = {}, [], None
    for line in (ROOT / filename).read_text().splitlines():
        if line.startswith("dependencies:"):
            section = "conda"
        elif section and re.match(r"^  - pip:\s*$", line):
            section = "pip"
        elif section == "conda" and re.match(r"^  - [A-Za-z]", line):
            name, spec = _split(line[4:].split("#")[0])
            conda[name] = spec
        elif section == "pip" and re.match(r"^      - ", line):
            pip.append(line.strip()[2:])
    return conda, pip


def test_every_name_is_one_checked_on_conda_forge():
    runtime, _ = environment("environment.yml")
    dev, _ = environment("environment-dev.yml")
    assert set(runtime) | set(dev) <= set(CONDA_FORGE_NAMES.values()) | BASE


def test_runtime_environment_is_exactly_pyprojects_dependencies():
    runtime, pip = environment("environment.yml")
    expected = conda_names(pyproject()["dependencies"])
    assert {name: spec for name, spec in runtime.items() if name not in BASE} == expected
    assert pip == [], "the package comes from postBuild, so the environment layer caches"


def test_runtime_environment_holds_no_test_or_dev_package():
    runtime, _ = environment("environment.yml")
    extras = pyproject()["optional-dependencies"]
    test_only = set(conda_names(extras["test"] + extras["dev"]))
    assert test_only and not test_only & set(runtime)


def test_dev_environment_is_the_runtime_plus_the_extras():
    runtime, _ = environment("environment.yml")
    dev, pip = environment("environment-dev.yml")
    extras = pyproject()["optional-dependencies"]
    assert list(dev)[: len(runtime)] == list(runtime)
    assert {name: dev[name] for name in runtime} == runtime
    assert {n: s for n, s in dev.items() if n not in runtime} == conda_names(
        extras["test"] + extras["dev"]
    )
    assert pip == ["-e ."]


def test_the_pinned_python_is_a_supported_one():
    runtime, _ = environment("environment.yml")
    minor = int(runtime["python"].lstrip("=").split(".")[1])
    assert pyproject()["requires-python"] == ">=3.11,<3.14"
    assert 11 <= minor <= 13


def test_parser_sees_every_line():
    # Guards the parser: a silently empty parse would make the tests above vacuous.
    runtime, _ = environment("environment.yml")
    assert {"python", "numpy", "pytorch-cpu", "matplotlib-base", "jupyterlab"} <= set(runtime)
    assert runtime["python"] == "=3.11"


# ------------------------------------------------------------------------ postBuild

FAKE_PYTHON = f"""#!/bin/bash
# answers sys.prefix, records pip's and the import check's arguments, runs the rest for real
echo "$*" >> "$FAKE_LOG"
case "$*" in
  *"print(sys.prefix)"*) echo "$FAKE_PREFIX" ;;
  "-m pip install"*) [[ -z "$FAKE_PIP_FAILS" ]] ;;
  "-I -c import convlessons.widgets") ;;
  *) exec {sys.executable} "$@" ;;
esac
"""


@pytest.fixture
def fake_python(tmp_path):
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.write_text(FAKE_PYTHON)
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    env = {
        **os.environ,
        "FAKE_LOG": str(tmp_path / "log"),
        "FAKE_PREFIX": str(prefix),
        "PATH": f"{python.parent}:{os.environ['PATH']}",
    }
    env.pop("PYTHON", None)
    return env, prefix, tmp_path / "log"


def test_postbuild_installs_the_package_non_editable_into_the_running_pythons_prefix(
    fake_python, tmp_path
):
    env, prefix, log = fake_python
    for name in ("CONDA_PREFIX", "NB_PYTHON_PREFIX"):
        env.pop(name, None)  # the prefix comes from sys.prefix, not from conda's variables
    result = subprocess.run(
        [ROOT / "postBuild"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert f"-m pip install --no-deps --no-cache-dir {ROOT}" in calls
    assert not any(" -e " in call or "--editable" in call for call in calls)
    assert "-I -c import convlessons.widgets" in calls
    lab = prefix / "share/jupyter/lab/settings/overrides.json"
    assert lab.read_text() == (ROOT / "jupyter/overrides.json").read_text()
    server = json.loads((prefix / "etc/jupyter/jupyter_server_config.json").read_text())
    assert server == json.loads((ROOT / "jupyter/jupyter_server_config.json").read_text())


def test_postbuild_merges_into_an_existing_server_config(fake_python, tmp_path):
    env, prefix, _log = fake_python
    existing = prefix / "etc/jupyter/jupyter_server_config.json"
    existing.parent.mkdir(parents=True)
    existing.write_text(
        json.dumps({"ServerApp": {"ip": "0.0.0.0"}, "MappingKernelManager": {"cull_interval": 60}})
    )
    subprocess.run([ROOT / "postBuild"], cwd=tmp_path, env=env, check=True, capture_output=True)
    ours = json.loads((ROOT / "jupyter/jupyter_server_config.json").read_text())
    merged = json.loads(existing.read_text())
    assert merged == {**ours, "ServerApp": {"ip": "0.0.0.0", **ours["ServerApp"]}}


def test_postbuild_uses_the_python_named_by_PYTHON_and_stops_when_pip_fails(fake_python, tmp_path):
    env, prefix, log = fake_python
    env["PATH"] = "/usr/bin:/bin"  # the fake is reachable only through $PYTHON
    env["PYTHON"] = str(tmp_path / "bin" / "python")
    env["FAKE_PIP_FAILS"] = "1"
    result = subprocess.run(
        [ROOT / "postBuild"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert log.read_text().splitlines()[-1].startswith("-m pip install")
    assert not (prefix / "share").exists()


def test_shipped_server_settings_cull_idle_kernels():
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

    settings = json.loads((ROOT / "jupyter/jupyter_server_config.json").read_text())
    culling = settings["MappingKernelManager"]
    assert set(culling) <= set(MappingKernelManager.class_traits(config=True))
    assert culling["cull_idle_timeout"] > 0 and culling["cull_interval"] > 0
    assert culling["cull_connected"] is True  # a forgotten open tab is culled too
    assert culling["cull_busy"] is False  # a long training run is never cut off
    json.loads((ROOT / "jupyter/overrides.json").read_text())


# ------------------------------------------------------------------------ start


def run_start(tmp_path, files: dict[str, str], **env_vars: str) -> dict[str, str]:
    """Run ``start env`` with a made-up cgroup tree; the thread variables it exported."""
    root = tmp_path / "cgroup"
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env.update(CGROUP_ROOT=str(root), **env_vars)
    out = subprocess.run(
        [ROOT / "start", "env"], env=env, capture_output=True, text=True, check=True
    ).stdout
    return {
        k: v
        for k, v in (line.split("=", 1) for line in out.splitlines() if "=" in line)
        if k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0))


def both(n: int) -> dict[str, str]:
    return {"OMP_NUM_THREADS": str(n), "MKL_NUM_THREADS": str(n)}


def test_start_takes_the_cgroup_v2_quota_rounded_up(tmp_path):
    assert run_start(tmp_path, {"cpu.max": "50000 100000\n"}) == both(1)
    assert run_start(tmp_path, {"cpu.max": "150000 100000\n"}) == both(min(2, usable_cpus()))


def test_start_takes_the_cgroup_v1_quota(tmp_path):
    files = {
        "cpu,cpuacct/cpu.cfs_quota_us": "100000\n",
        "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
    }
    assert run_start(tmp_path, files) == both(1)


@pytest.mark.parametrize(
    "files",
    [
        {"cpu.max": "max 100000\n"},
        {"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"},
        {},
    ],
    ids=["v2-unlimited", "v1-unlimited", "no-cgroup"],
)
def test_start_falls_back_to_the_usable_cpus(tmp_path, files):
    assert run_start(tmp_path, files) == both(usable_cpus())


def test_start_never_exceeds_the_usable_cpus(tmp_path):
    assert run_start(tmp_path, {"cpu.max": "6400000 100000\n"}) == both(usable_cpus())


def test_start_keeps_values_already_set(tmp_path):
    threads = run_start(tmp_path, {"cpu.max": "50000 100000\n"}, OMP_NUM_THREADS="7")
    assert threads == {"OMP_NUM_THREADS": "7", "MKL_NUM_THREADS": "1"}


def test_start_execs_its_arguments_unchanged():
    out = subprocess.run(
        [ROOT / "start", "printf", "%s|", "a b", "c"], capture_output=True, text=True, check=True
    ).stdout
    assert out == "a b|c|"
    assert (ROOT / "start").read_text().rstrip().endswith('exec "$@"')


@pytest.mark.parametrize("script", ["postBuild", "start"])
def test_scripts_are_executable_bash(script):
    path = ROOT / script
    assert path.read_text().startswith("#!/bin/bash\n")
    assert os.access(path, os.X_OK)
