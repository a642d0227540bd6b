"""pyproject.toml declares its licence the current way (PEP 639), so builds warn about nothing,
and lists every distribution the package imports."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data


def test_licence_is_an_spdx_expression_with_its_file(pyproject: dict[str, Any]) -> None:
    project = pyproject["project"]
    # a TOML table ({text = ...}) is deprecated by setuptools and stops building in 2027
    assert project["license"] == "MIT"
    assert project["license-files"]
    for pattern in project["license-files"]:
        assert list(ROOT.glob(pattern)), f"license-files entry {pattern!r} matches no file"
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_no_licence_classifier_beside_the_expression(pyproject: dict[str, Any]) -> None:
    # setuptools >= 77 warns that licence classifiers are deprecated (and rejects them with an
    # SPDX expression in later versions)
    assert [c for c in pyproject["project"]["classifiers"] if c.startswith("License ::")] == []


def test_build_needs_a_setuptools_that_reads_spdx_licences(pyproject: dict[str, Any]) -> None:
    requires = pyproject["build-system"]["requires"]
    found = [re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", r) for r in requires]
    versions = [int(m.group(1)) for m in found if m]
    assert versions, requires
    assert versions[0] >= 77


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> the package files importing it, for every import in the package that
    is neither the standard library nor pytest_pipelines itself (lazy imports included)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "pytest_pipelines").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "pytest_pipelines" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _requirement_name(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert name is not None, requirement
    return re.sub(r"[-_.]+", "-", name.group(0)).lower()


def test_every_imported_distribution_is_declared(pyproject: dict[str, Any]) -> None:
    """A module we import is a dependency we list (core or an extra), not one that happens to
    arrive with another (pydantic_core came with pydantic, pinned by it, unlisted)."""
    project = pyproject["project"]
    declared = {_requirement_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {_requirement_name(r) for r in extra}
    distributions = importlib.metadata.packages_distributions()
    missing = {}
    for module, files in _third_party_imports().items():
        names = {_requirement_name(d) for d in distributions.get(module, [module])}
        if not names & declared:
            missing[module] = sorted(files)
    assert missing == {}
