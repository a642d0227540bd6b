"""pyproject.toml declares its licence the current way (PEP 639), so builds warn about nothing."""

from __future__ import annotations

import re
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
