"""The README's tour runs as written on the embedded backend's demo data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _tour() -> str:
    text = README.read_text()
    section = text[text.index("## A short tour") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's tour has no python block"
    return match.group(1)


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text()
    commands = re.findall(r"```bash\n(.*?)```", text, re.S)
    assert commands[0].strip() == 'python -m pip install -e ".[local]" && python -m pytest examples'
    assert commands[1].strip() == 'python -m pip install -e ".[dev]" && python -m pytest -n auto'
    ci = (README.parent / ".ci" / "run").read_text()
    assert commands[1].strip() in ci


def test_readme_tour_passes_on_the_demo(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_tour=_tour())
    result = pytester.runpytest(
        "--pipelines-env=local", "--pipelines-demo", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*Mentions Rome Highlights*", "*tools research.notes*"])


def test_readme_tour_gate_can_fail(pytester: pytest.Pytester) -> None:
    # The same test with an unreachable bar fails (not errors): the gates really gate.
    strict = _tour().replace("min_mean=3)", "min_mean=5.5)")
    assert strict != _tour()
    pytester.makepyfile(test_tour=strict)
    result = pytester.runpytest(
        "--pipelines-env=local", "--pipelines-demo", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Itinerary Quality Judge*>= 5.5*"])
