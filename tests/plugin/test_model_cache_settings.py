"""The model-call cache, price and session-cost settings: defaults, precedence, bad values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_pipelines._settings import BAD_CACHE, BAD_PRICE, BAD_SESSION_COST

DUMP = """
import json

def test_dump(pipelines_settings):
    s = pipelines_settings
    print("SETTINGS=" + json.dumps({
        "cache": s.cache, "cache_dir": s.cache_dir, "prices": s.prices,
        "max_session_cost": s.max_session_cost, "sources": s.sources,
    }))
"""


def settings_of(pytester: pytest.Pytester, *args: str) -> dict[str, object]:
    pytester.makepyfile(test_dump=DUMP)
    result = pytester.runpytest("-s", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
    line = next(x for x in result.outlines if "SETTINGS=" in x)
    data: dict[str, object] = json.loads(line.split("SETTINGS=", 1)[1].rstrip("."))
    return data


def test_defaults_off_without_a_recording_replay_with_one(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    s = settings_of(pytester)
    assert s["cache"] == "off"
    assert s["cache_dir"] == str(pytester.path / ".pipelines-cache")
    assert (s["prices"], s["max_session_cost"]) == ({}, None)
    (pytester.path / ".pipelines-cache").mkdir()
    (pytester.path / ".pipelines-cache" / "models.json").write_text("{}")
    assert settings_of(pytester)["cache"] == "replay"
    assert settings_of(pytester, "--pipelines-cache=use")["cache"] == "use"


def test_ini_values_and_cli_precedence(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\npipelines_cache = record\npipelines_cache_dir = recordings\n"
        "pipelines_prices =\n    openai:gpt-4.1-mini 0.40 1.60\n    local 0 0\n"
        "pipelines_max_session_cost = 2.5\n"
    )
    s = settings_of(pytester)
    assert (s["cache"], s["cache_dir"]) == ("record", str(pytester.path / "recordings"))
    assert s["prices"] == {"openai:gpt-4.1-mini": [0.4, 1.6], "local": [0.0, 0.0]}
    assert s["max_session_cost"] == 2.5
    s = settings_of(pytester, "--pipelines-cache=replay", "--pipelines-cache-dir=elsewhere")
    assert (s["cache"], s["cache_dir"]) == ("replay", str(pytester.path / "elsewhere"))
    assert s["sources"]["cache"] == "cli"  # type: ignore[index]


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        (
            "pipelines_cache = sometimes",
            BAD_CACHE.format(source="ini key pipelines_cache", value="sometimes"),
        ),
        (
            "pipelines_prices = gpt 0.4",
            BAD_PRICE.format(line="gpt 0.4"),
        ),
        (
            "pipelines_prices = gpt cheap 1",
            BAD_PRICE.format(line="gpt cheap 1"),
        ),
        (
            "pipelines_max_session_cost = -1",
            BAD_SESSION_COST.format(source="ini key pipelines_max_session_cost", value="-1"),
        ),
    ],
)
def test_bad_values_are_usage_errors(pytester: pytest.Pytester, ini: str, message: str) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_dump=DUMP)
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_bad_cli_cache_mode_lists_the_choices(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_dump=DUMP)
    result = pytester.runpytest("--pipelines-cache=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'sometimes'*off*use*record*replay*"])


def test_report_header_shows_the_cache(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_dump=DUMP)
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--pipelines-env=local",
        f"--pipelines-cache-dir={tmp_path}",
        "--pipelines-cache=use",
    )
    result.stdout.fnmatch_lines([f"pipelines: mode=local * model_cache=use:{tmp_path}"])
