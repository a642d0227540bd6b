"""--pipelines-exit-codes: a session whose only failures are broken runs exits 7, not 1.

CI can then retry an infrastructure failure and block on a quality failure. Without the option
(the default) pytest's own exit codes are unchanged.
"""

from __future__ import annotations

import pytest

from pytest_pipelines import EXIT_BROKEN_RUNS

HEADER = """
import pytest
from pytest_pipelines.client import PipelinesConfigError, ServerError

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1)
"""
PASSES = """
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)
def test_passes(pipelines_run):
    pass
"""
BROKEN_RUN = """
@pytest.mark.pipelines_model_swap("plan", "no-such-model")
def test_broken_run(pipelines_run):
    pass
"""
PLATFORM_ERROR = """
@pytest.fixture
def flaky_platform():
    raise ServerError("503 Service Unavailable", status_code=503)

def test_platform_error(flaky_platform):
    pass
"""
QUALITY_MISS = """
@pytest.mark.pipelines_model_swap("plan", "echo")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0)
def test_quality_miss(pipelines_run):
    pass
"""
BAD_PAYLOAD = """
@pytest.fixture
def mistake():
    raise PipelinesConfigError("invalid criterion: config.keywords: Field required")

def test_bad_payload(mistake):
    pass
"""
USER_BUG = """
@pytest.fixture
def buggy():
    raise KeyError("city")

def test_user_bug(buggy):
    pass
"""


def run(
    pytester: pytest.Pytester, args: list[str], *parts: str, flag: bool = True
) -> pytest.RunResult:
    pytester.makepyfile(test_suite=HEADER + "".join(parts))
    extra = ["--pipelines-exit-codes"] if flag else []
    return pytester.runpytest(*args, "-o", "pipelines_default_gate=none", *extra)


def test_only_broken_runs_exit_with_their_own_code(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    result = run(pytester, remote_args, PASSES, BROKEN_RUN, PLATFORM_ERROR)
    result.assert_outcomes(passed=1, errors=2)
    assert result.ret == EXIT_BROKEN_RUNS
    result.stdout.fnmatch_lines(
        [
            f"pipelines: every failure of this session is a broken run (2: *exit code {EXIT_BROKEN_RUNS}*"
        ]
    )


def test_without_the_option_a_broken_run_is_exit_code_1(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    result = run(pytester, remote_args, PASSES, BROKEN_RUN, flag=False)
    result.assert_outcomes(passed=1, errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.parametrize(
    "other", [QUALITY_MISS, BAD_PAYLOAD, USER_BUG], ids=["quality", "payload", "bug"]
)
def test_any_other_failure_keeps_exit_code_1(
    pytester: pytest.Pytester, remote_args: list[str], other: str
) -> None:
    result = run(pytester, remote_args, BROKEN_RUN, other)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "exit code 7" not in result.stdout.str()


def test_the_ini_key_turns_it_on(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    pytester.makeini("[pytest]\npipelines_exit_codes = true\n")
    result = run(pytester, remote_args, PLATFORM_ERROR, flag=False)
    assert result.ret == EXIT_BROKEN_RUNS


def test_a_passing_session_still_exits_0(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    assert run(pytester, remote_args, PASSES).ret == pytest.ExitCode.OK


def test_under_xdist(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    result = run(pytester, [*remote_args, "-n", "2"], PASSES, BROKEN_RUN, PLATFORM_ERROR)
    result.assert_outcomes(passed=1, errors=2)
    assert result.ret == EXIT_BROKEN_RUNS
