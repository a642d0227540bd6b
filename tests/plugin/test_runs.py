"""Eval tests run for real against the shared demo backend: gates, verdicts, swaps, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

HEADER = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=2)
ECHO = {"models": [{"nodeId": "plan", "modelSlug": "echo"}]}
"""


def run(pytester: pytest.Pytester, args: list[str], body: str, *extra: str) -> pytest.RunResult:
    pytester.makepyfile(test_eval=HEADER + body)
    return pytester.runpytest(*args, *extra)


def test_gate_pass_and_miss_with_table(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    result = run(
        pytester,
        remote_args,
        """
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8)
@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=3)
def test_baseline(pipelines_run):
    assert pipelines_run.criterion("Has Day Number").pass_rate == 1.0
    assert len(pipelines_run.tasks) == 2

@pytest.mark.pipelines_model_swap("plan", "echo")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8)
def test_echo(pipelines_run):
    pass
""",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_echo _*",
            "pipelines: 1 of 1 gate threshold(s) missed",
            "  criterion*metric*observed*threshold*verdict",
            "  Mentions Rome Highlights  pass_rate  0 *>= 0.8 *MISS",
            "  Mentions Rome Highlights (pass_rate):",
            "    task *: 'Plan a * day itinerary for Rome.' -- found: none*",
        ]
    )


def test_default_gate_and_ini_none(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    body = """
@pytest.mark.pipelines_model_swap("plan", "echo")
def test_echo_no_gates(pipelines_run):
    pass
"""
    result = run(pytester, remote_args, body)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*Mentions Rome Highlights  pass_rate  0 *>= 1 *MISS*", "*Has Day Number*MISS*"]
    )
    pytester.makeini("[pytest]\npipelines_default_gate = none\n")
    run(pytester, remote_args, body).assert_outcomes(passed=1)


def test_body_failure_stays_a_failure(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    result = run(
        pytester,
        remote_args,
        """
def test_body(pipelines_run):
    assert pipelines_run.criterion("Has Day Number").pass_rate == 0.5
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 1.0 == 0.5*"])


def test_missing_model_is_an_error_not_a_failure(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    result = run(
        pytester,
        remote_args,
        """
@pytest.mark.pipelines_model_swap("plan", "no-such-model")
def test_missing(pipelines_run):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_missing*",
            "pipelines run of workflow 10 is broken (a test error, not a quality miss):",
            "  tasks *, * are failed: *no-such-model*",
        ]
    )


def test_evaluator_error_is_an_error(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    result = run(
        pytester,
        remote_args,
        """
@pytest.fixture
def broken_judge(pipelines_criterion, pipelines_evaluation):
    judge = pipelines_criterion(
        "Judge", type="llm_judge",
        config={"model": "judge-not-registered", "prompt_template": "Score 1-5"},
        output_schema={"type": "rating", "range": [1, 5]},
    )
    return pipelines_evaluation([judge])

@pytest.mark.pipelines_evaluation_swap("review", "quality", "broken_judge")
def test_judge(pipelines_run):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*evaluator error for criterion 'Judge': *judge-not-registered*"])


def test_prompt_and_evaluation_swaps_with_fixtures(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    result = run(
        pytester,
        remote_args,
        """
@pytest.fixture
def concise(pipelines_prompt):
    return pipelines_prompt("Say CONCISE {{city}} {{days}}", name="concise")

@pytest.fixture
def mine(pipelines_criterion, pipelines_evaluation):
    crit = pipelines_criterion("Says concise", config={"subtype": "contains_keywords", "keywords": ["CONCISE"], "mode": "any"})
    return pipelines_evaluation([crit], name="mine")

@pytest.mark.pipelines_model_swap("plan", "echo", field="itinerary")
@pytest.mark.pipelines_prompt_swap("plan", "itinerary", "concise")
@pytest.mark.pipelines_evaluation_swap("review", "quality", "mine")
@pytest.mark.pipelines_gate("Says concise", min_pass_rate=1.0)
def test_swaps(pipelines_run, concise):
    assert sorted(t.output("plan", "itinerary") for t in pipelines_run.tasks) == ["Say CONCISE Rome 3", "Say CONCISE Rome 5"]
    assert list(pipelines_run.criteria) == ["Says concise"]
    assert concise["name"].startswith("pytest-") and concise["name"].endswith("-concise")
""",
    )
    result.assert_outcomes(passed=1)


def test_inputs_rows_and_fixture_rows(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    result = run(
        pytester,
        remote_args,
        """
@pytest.fixture
def rows():
    return [{"city": "Milan", "days": 2}]

@pytest.mark.pipelines_workflow(22, 10, count=3, inputs=[{"city": "Rome", "days": 1}, {"city": "Paris", "days": 2}])
@pytest.mark.pipelines_model_swap("plan", "echo")
def test_rows(pipelines_run):
    assert [t.inputs["city"] for t in sorted(pipelines_run.tasks, key=lambda t: t.id)] == ["Rome", "Paris", "Rome"]

@pytest.mark.pipelines_workflow(22, 10, inputs="rows")
@pytest.mark.pipelines_model_swap("plan", "echo")
def test_fixture_rows(pipelines_run):
    assert [t.inputs for t in pipelines_run.tasks] == [{"city": "Milan", "days": 2}]
""",
        "-o",
        "pipelines_default_gate=none",
    )
    result.assert_outcomes(passed=2)


def test_experiment_mode_with_variants(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    result = run(
        pytester,
        remote_args,
        """
@pytest.mark.pipelines_workflow(22, 10, count=1, mode="experiment")
@pytest.mark.pipelines_variants(baseline={}, echo=ECHO)
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)
def test_exp(pipelines_run, request):
    assert pipelines_run.mode == "experiment" and pipelines_run.experiment_id
    assert pipelines_run.run_workflow_id != 10
    assert pipelines_run.variant == request.node.callspec.id
""",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED test_eval.py::test_exp[[]echo[]]*"])


def test_tool_gate(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    result = run(
        pytester,
        remote_args,
        """
@pytest.mark.pipelines_tool_gate("notes", min_score=1.0)
def test_tools_ok(pipelines_run):
    checks = pipelines_run.tool_correctness
    assert len(checks) == 2 and all(c.node_id == "research" for c in checks)
    assert {c.tool_name for c in pipelines_run.tool_calls} >= {"search_docs"}

@pytest.mark.pipelines_model_swap("research", "echo")
@pytest.mark.pipelines_tool_gate("notes", node="research", min_score=0.9)
def test_tools_missed(pipelines_run):
    pass
""",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*tools research.notes  min_score  0 *>= 0.9 *MISS*",
            "*task *: 'score 0' -- missing=[[]'search_docs'[]]",
        ]
    )


def test_verdict_hook_overrides_and_run_finished_is_called(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeconftest(
        """
from pytest_pipelines._gates import Verdict

SEEN = []

def pytest_pipelines_run_finished(item, result):
    SEEN.append((item.name, len(result.tasks)))
    item.user_properties.append(("seen_tasks", len(result.tasks)))

def pytest_pipelines_verdict(item, result, gates):
    if item.get_closest_marker("lenient"):
        return Verdict(passed=True)
    if item.get_closest_marker("strict"):
        return False
    return None
"""
    )
    pytester.makeini("[pytest]\nmarkers =\n    lenient\n    strict\n")
    result = run(
        pytester,
        remote_args,
        """
@pytest.mark.lenient
@pytest.mark.pipelines_model_swap("plan", "echo")
def test_lenient(pipelines_run):
    pass

@pytest.mark.strict
def test_strict(pipelines_run):
    pass

@pytest.mark.pipelines_model_swap("plan", "echo")
def test_default(pipelines_run):
    pass

def test_seen(request):
    import conftest
    assert sorted(conftest.SEEN) == [("test_default", 2), ("test_lenient", 2), ("test_strict", 2)]
""",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        ["*_ test_strict _*", "pipelines: a pytest_pipelines_verdict hook failed this test"]
    )
    result.stdout.fnmatch_lines(
        ["FAILED test_eval.py::test_strict*", "FAILED test_eval.py::test_default*"]
    )


def test_bad_verdict_return_is_reported(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    pytester.makeconftest("def pytest_pipelines_verdict(item, result, gates):\n    return 'yes'\n")
    result = run(pytester, remote_args, "\ndef test_x(pipelines_run):\n    pass\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*pytest_pipelines_verdict returned 'yes'; return a pytest_pipelines.Verdict, True/False*"]
    )


def test_async_client_fixture(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_async(pipelines_async_client):
    me = await pipelines_async_client.whoami()
    assert me["org_id"] == 2

def test_sync(pipelines_client):
    assert pipelines_client.whoami()["org_id"] == 2
"""
    )
    pytester.runpytest(*remote_args).assert_outcomes(passed=2)


def test_local_fixture_outside_local_mode_errors(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makepyfile("def test_l(pipelines_local):\n    pass\n")
    result = pytester.runpytest(*remote_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*pipelines_local is only available in local mode (current mode: remote*--pipelines-env=local*"
        ]
    )


def test_timeout_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        slowmodels="""
import time

def slow(request):
    time.sleep(1.0)
    return "Day 1: Colosseum"
"""
    )
    pytester.syspathinsert()
    result = run(
        pytester,
        [
            "--pipelines-env=local",
            "--pipelines-demo",
            "--pipelines-model=slowmodels:slow",
            "-p",
            "no:cacheprovider",
        ],
        """
@pytest.mark.pipelines_workflow(22, 10, count=1, timeout=0.3)
@pytest.mark.pipelines_model_swap("plan", "slow")
def test_slow(pipelines_run):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*pipelines run of workflow 10 did not finish within 0.3s (last status '*', 0/1 tasks done). The job was cancelled. Raise the limit with pipelines_workflow(..., timeout=SECONDS) or --pipelines-timeout=SECONDS."
        ]
    )


@pytest.mark.parametrize(("quiet", "shown"), [("-q", True), ("-qq", False)])
def test_progress_line_for_long_runs(pytester: pytest.Pytester, quiet: str, shown: bool) -> None:
    pytester.makepyfile(
        slowmodels2="""
import time

def slow2(request):
    time.sleep(2.3)
    return "Day 1: Colosseum"
"""
    )
    pytester.syspathinsert()
    result = run(
        pytester,
        [
            "--pipelines-env=local",
            "--pipelines-demo",
            "--pipelines-model=slowmodels2:slow2",
            "-p",
            "no:cacheprovider",
            quiet,
        ],
        """
@pytest.mark.pipelines_workflow(22, 10, count=1)
@pytest.mark.pipelines_model_swap("plan", "slow2")
def test_slow(pipelines_run):
    pass
""",
    )
    assert result.ret == pytest.ExitCode.OK  # -qq prints no outcome line to parse
    line = "pipelines: test_eval.py::test_slow: *, */1 tasks done, * evaluated, *s"
    if shown:  # -q still shows it
        result.stdout.fnmatch_lines([line])
    else:  # -qq hides it
        result.stdout.no_fnmatch_line(line)


ZERO_TASKS_CONFTEST = """
import pytest


class ZeroTasks:
    '''A client whose job and experiment statuses report no tasks (a backend misbehaving).'''

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get_create_tasks_status(self, *args, **kwargs):
        status = dict(self._client.get_create_tasks_status(*args, **kwargs))
        status.update(task_ids=[], total=0, completed=0)
        return status

    def get_experiment_status(self, *args, **kwargs):
        status = dict(self._client.get_experiment_status(*args, **kwargs))
        status["variants"] = [dict(v, task_ids=[], total=0, completed=0) for v in status["variants"]]
        return status


@pytest.fixture
def pipelines_client(pipelines_client):
    return ZeroTasks(pipelines_client)
"""


def test_a_run_without_tasks_is_an_error_naming_the_job(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeconftest(ZERO_TASKS_CONFTEST)
    result = run(
        pytester,
        remote_args,
        """
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_tasks(pipelines_run):
    pass

@pytest.mark.pipelines_workflow(22, 10, count=1, mode="experiment")
def test_experiment(pipelines_run):
    pass
""",
        "-o",
        "pipelines_default_gate=none",
    )
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_tasks*",
            "pipelines run of workflow 10 (create-tasks job job-*) produced no tasks*",
            "*ERROR at setup of test_experiment*",
            "pipelines run of workflow 10 (experiment exp-*) produced no tasks*",
        ]
    )


NOTHING_TO_JUDGE_BODY = """
@pytest.fixture
def empty(pipelines_evaluation):
    return pipelines_evaluation([], name="empty")

@pytest.fixture
def human(pipelines_criterion, pipelines_evaluation):
    rating = pipelines_criterion(
        "Reader rating", type="human_rating", config={"rubric": "Would you follow this plan?"},
        output_schema={"type": "rating", "range": [1, 5]},
    )
    return pipelines_evaluation([rating], name="human")

@pytest.mark.pipelines_evaluation_swap("review", "quality", "empty")
def test_no_results(pipelines_run):
    assert pipelines_run.criteria == {}

@pytest.mark.pipelines_evaluation_swap("review", "quality", "human")
def test_only_pending(pipelines_run):
    assert pipelines_run.criterion("Reader rating").pending == 2
"""


def test_nothing_to_judge_fails_unless_the_default_gate_is_none(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    result = run(pytester, remote_args, NOTHING_TO_JUDGE_BODY)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_no_results _*",
            "pipelines: nothing to judge: the 2 task(s) of workflow 10 carry no evaluation "
            "results, and the test declares no gate*",
            "*pipelines_gate*pipelines_evaluation_swap*pipelines_default_gate = none*",
            "*_ test_only_pending _*",
            "pipelines: nothing to judge: the 2 task(s) of workflow 10 carry no evaluation "
            "results (pending a human rating: Reader rating)*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["test_eval.py::test_no_results * (evaluation results) * 0 * results >= 1 * MISS"]
    )
    run(
        pytester, remote_args, NOTHING_TO_JUDGE_BODY, "-o", "pipelines_default_gate=none"
    ).assert_outcomes(passed=2)


TTY_CONFTEST = """
import pytest


class Yes:
    def __bool__(self):
        return True

    def __call__(self):
        return True


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    config.pluginmanager.get_plugin("terminalreporter").isatty = Yes()
"""


def test_progress_line_on_a_terminal_keeps_the_test_line(pytester: pytest.Pytester) -> None:
    """On a tty the progress line gets a line of its own: "\\r" never overwrites the test's name."""
    pytester.makeconftest(TTY_CONFTEST)
    pytester.makepyfile(
        slowmodels3="""
import time

def slow3(request):
    time.sleep(2.3)
    return "Day 1: Colosseum"
"""
    )
    pytester.syspathinsert()
    result = run(
        pytester,
        [
            "--pipelines-env=local",
            "--pipelines-demo",
            "--pipelines-model=slowmodels3:slow3",
            "-p",
            "no:cacheprovider",
            "-v",
            "-o",
            "pipelines_default_gate=none",
            # launched ahead, test_slow's run would be mostly done before its own wait begins
            "-o",
            "pipelines_max_concurrent_runs=1",
        ],
        """
def test_fast(pipelines_run):
    pass

@pytest.mark.pipelines_workflow(22, 10, count=1)
@pytest.mark.pipelines_model_swap("plan", "slow3")
def test_slow(pipelines_run):
    pass
""",
    )
    result.assert_outcomes(passed=2)
    lines = result.stdout.lines
    fast = [line for line in lines if "test_eval.py::test_fast" in line]
    assert any(line.startswith("test_eval.py::test_fast PASSED") for line in fast), fast
    assert all("\r" not in line for line in fast), fast
    progress = [i for i, line in enumerate(lines) if "pipelines: test_eval.py::test_slow:" in line]
    assert progress, lines
    after = lines[progress[-1] + 1 :]
    assert any(line.startswith("test_eval.py::test_slow PASSED") for line in after), lines


def test_unexpected_setup_error_is_still_in_the_summary(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    result = run(
        pytester,
        remote_args,
        """
@pytest.mark.pipelines_prompt_swap("plan", "itinerary", "no_such_fixture")
def test_unknown_fixture(pipelines_run):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*pipelines results*",
            "test_eval.py::test_unknown_fixture  -  * (run) * ERROR",
            "test_eval.py::test_unknown_fixture: *no_such_fixture*",
        ]
    )


RERUN_CONFTEST = """
import pytest
from _pytest.runner import runtestprotocol


def pytest_runtest_protocol(item, nextitem):
    # what a rerun plugin does: the same item executed again in the same session
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for _ in range(2):
        for report in runtestprotocol(item, nextitem=nextitem, log=False):
            item.config.rerun_outcomes.append((report.when, report.outcome, report.longreprtext))
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def pytest_configure(config):
    config.rerun_outcomes = []


def pytest_unconfigure(config):
    print("RERUN", [(w, o) for w, o, _ in config.rerun_outcomes])
    for w, o, text in config.rerun_outcomes:
        if o != "passed":
            print(text)
"""


def test_rerun_with_new_ephemeral_objects_is_a_new_run(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    """A rerun in the same session swaps in a fresh prompt: a new payload, so a new key (no 409)."""
    pytester.makeconftest(RERUN_CONFTEST)
    result = run(
        pytester,
        [*remote_args, "-s"],
        """
@pytest.fixture
def concise(pipelines_prompt):
    return pipelines_prompt("Plan {{days}} days in {{city}}: Day 1: Colosseum, Vatican.")

@pytest.mark.pipelines_prompt_swap("plan", "itinerary", "concise")
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_swapped(pipelines_run):
    pass
""",
    )
    out = result.stdout.str()
    assert "RERUN [('setup', 'passed'), ('call', 'passed'), ('teardown', 'passed')" in out, out
    assert out.count("'passed')") == 6, out


@pytest.mark.parametrize("ahead", ["1", "8"])
def test_rerun_in_experiment_mode_is_a_new_experiment(
    pytester: pytest.Pytester, remote_args: list[str], backend_client: Any, ahead: str
) -> None:
    """A rerun in the same session runs a new experiment: the first one's copies were deleted
    at its teardown, so replaying it (same variant name, same key) could read no task. With the
    run launched ahead (8) or at setup (1)."""

    def copies() -> set[str]:
        return {
            str(w["name"])
            for p in backend_client.iter_projects()
            for w in backend_client.iter_project_workflows(p["id"])
            if " - Experiment " in str(w["name"])
        }

    before = copies()
    pytester.makeconftest(RERUN_CONFTEST)
    result = run(
        pytester,
        [*remote_args, "-s", "-o", f"pipelines_max_concurrent_runs={ahead}"],
        """
@pytest.mark.pipelines_workflow(22, 10, count=1, mode="experiment")
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_experiment(pipelines_run):
    print("EXPERIMENT", pipelines_run.experiment_id, pipelines_run.run_workflow_id)
""",
    )
    out = result.stdout.str()
    assert out.count("'passed')") == 6, out
    runs = re.findall(r"EXPERIMENT (\S+) (\S+)", out)
    assert len(runs) == 2, out
    (first, first_copy), (second, second_copy) = runs
    assert first != second
    assert first_copy != second_copy
    assert copies() == before  # each execution's teardown deleted its copy
