"""The files that let people reuse, cite and carry on the course say the same things.

Licence (LICENSE, LICENSE-content.md, pyproject), version and release date (pyproject,
CITATION.cff, CHANGELOG.md), the repository's address (README's Binder link, pyproject,
CITATION.cff) and the supported Pythons (pyproject, README).
"""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
CITATION = yaml.safe_load((ROOT / "CITATION.cff").read_text())
README = (ROOT / "README.md").read_text()
GITHUB_REPO = re.compile(r"github\.com/([\w.-]+/[\w.-]+?)(?:/|\.git|$)")


def test_code_is_mit_and_content_cc_by_4():
    assert PROJECT["license"] == "MIT" == CITATION["license"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    assert "creativecommons.org/licenses/by/4.0" in (ROOT / "LICENSE-content.md").read_text()
    assert all((ROOT / name).is_file() for name in PROJECT["license-files"])


def test_version_and_release_date_agree():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert CITATION["cff-version"] == "1.2.0"
    assert CITATION["version"] == PROJECT["version"]
    assert "## [Unreleased]" in changelog
    released = re.search(rf"^## \[{re.escape(PROJECT['version'])}\] — (\S+)$", changelog, re.M)
    assert released and released.group(1) == str(CITATION["date-released"])


def test_one_repository_address_everywhere():
    binder = re.search(r"^\[binder\]: https://mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/", README, re.M)
    assert binder, "README: the Binder badge's [binder]: link"
    addresses = {binder.group(1), GITHUB_REPO.search(CITATION["repository-code"]).group(1)}
    addresses |= {GITHUB_REPO.search(url).group(1) for url in PROJECT["urls"].values()}
    assert len(addresses) == 1, addresses


def test_supported_pythons_are_stated_the_same_way():
    assert PROJECT["requires-python"] == ">=3.11,<3.14"
    minors = {c.rsplit(".", 1)[1] for c in PROJECT["classifiers"] if re.search(r"3\.\d+$", c)}
    assert minors == {"11", "12", "13"}
    assert "Supported Pythons: 3.11, 3.12 and 3.13" in README
