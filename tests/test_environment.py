"""environment.yml (conda, Binder) and pyproject.toml (pip) must not drift apart."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# pip name -> conda-forge name, where they differ
CONDA_NAMES = {"torch": "pytorch-cpu"}
NOT_IN_PYPROJECT = {"python", "pip"}


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement).groups()
    return name.lower(), spec.replace(" ", "")


def pyproject_dependencies() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]
    return dict(_split(r) for r in requirements)


def environment_dependencies() -> dict[str, str]:
    conda = {}
    in_dependencies = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_dependencies = True
        elif in_dependencies and re.match(r"^  - [A-Za-z]", line):
            name, spec = _split(line[4:])
            if name not in NOT_IN_PYPROJECT:
                conda[name] = spec
    return conda


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    pip = pyproject_dependencies()
    expected = {CONDA_NAMES.get(name, name): spec for name, spec in pip.items()}
    assert environment_dependencies() == expected


def test_environment_yml_installs_the_package_itself_through_pip():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"- pip:\n\s+- -e \.\s*$", text, re.MULTILINE)


def test_parsers_see_every_dependency():
    # Guards the two parsers above: a silently empty parse would make the first test vacuous.
    assert {"numpy", "torch", "jupyterlab", "pytest", "playwright"} <= set(pyproject_dependencies())
    assert {"numpy", "pytorch-cpu", "jupyterlab", "pytest"} <= set(environment_dependencies())
