"""--pipelines-max-retries / ini pipelines_max_retries reach the plugin's clients."""

from __future__ import annotations

import pytest

from pytest_pipelines._retry import DEFAULT_MAX_RETRIES
from pytest_pipelines._settings import BAD_MAX_RETRIES

CHECK = """
def test_budget(pipelines_settings, pipelines_client):
    assert pipelines_settings.max_retries == {expected}
    assert pipelines_client.max_retries == {expected}
"""


def test_default_budget(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    assert DEFAULT_MAX_RETRIES == 5
    pytester.makepyfile(CHECK.format(expected=DEFAULT_MAX_RETRIES))
    pytester.runpytest(*remote_args).assert_outcomes(passed=1)


def test_ini_then_command_line(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    pytester.makeini("[pytest]\npipelines_max_retries = 9\n")
    pytester.makepyfile(CHECK.format(expected=9))
    pytester.runpytest(*remote_args).assert_outcomes(passed=1)
    pytester.makepyfile(CHECK.format(expected=0))
    pytester.runpytest(*remote_args, "--pipelines-max-retries=0").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("args", "source", "value"),
    [
        (["--pipelines-max-retries=-1"], "--pipelines-max-retries", "-1"),
        (["-o", "pipelines_max_retries=lots"], "ini key pipelines_max_retries", "lots"),
        # str.isdigit() holds for a superscript two, which int() then refuses with a traceback
        (["-o", "pipelines_max_retries=\u00b2"], "ini key pipelines_max_retries", "\u00b2"),
    ],
)
def test_bad_budget_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], source: str, value: str
) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert BAD_MAX_RETRIES.format(source=source, value=value) in result.stderr.str()


def test_bad_exit_codes_ini_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-o", "pipelines_exit_codes=maybe")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*ini key pipelines_exit_codes is 'maybe'; valid values are true or false*"]
    )
