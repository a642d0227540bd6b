"""An eval suite through a flaky platform: 10 % of requests answered 429, 10 % answered 503.

The same suite runs twice against one local backend, calm and then with the chaos switch on
(``/_local/chaos``). The verdicts must be the same, no task may run twice (the backend's task
count grows by the same number), and nothing may be left behind (every listing is as before
the runs, with teardown, not the sweep, having deleted it all). The plugin's waits between
retries are recorded instead of slept, so the test takes seconds; the recorded waits show that
the 429s' ``Retry-After`` was honoured.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_pipelines import _retry
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local.models import ModelRequest, ModelResponse, ToolCall

RETRY_AFTER = 1
SUITE = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=2)
ECHO = {"models": [{"nodeId": "plan", "modelSlug": "echo"}]}
TOOLS = [
    {"name": name, "description": name, "input_schema": {"type": "object"}, "response": "ok"}
    for name in ("lookup_a", "lookup_b", "lookup_c")
]


@pytest.fixture
def concise(pipelines_prompt):
    return pipelines_prompt("Say CONCISE {{city}} {{days}}", name="concise")


@pytest.fixture
def mine(pipelines_criterion, pipelines_evaluation):
    crit = pipelines_criterion(
        "Says concise", config={"subtype": "contains_keywords", "keywords": ["CONCISE"]}
    )
    return pipelines_evaluation([crit], name="mine")


@pytest.fixture
def truth(pipelines_tool_endpoint, pipelines_tool_binding, pipelines_tool_ground_truth):
    endpoint = pipelines_tool_endpoint(name="lookups", config={"tools": TOOLS})
    pipelines_tool_binding(
        10, node_id="plan", field_id="itinerary", endpoint=endpoint,
        selected_tools=["lookup_a", "lookup_b", "lookup_c"],
    )
    return pipelines_tool_ground_truth(
        10, node_id="plan", field_id="itinerary", expected_tools=["lookup_b", "lookup_a"]
    )


@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)
def test_passes(pipelines_run):
    pass


@pytest.mark.pipelines_model_swap("plan", "echo")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8)
def test_misses(pipelines_run):
    pass


@pytest.mark.pipelines_model_swap("plan", "echo", field="itinerary")
@pytest.mark.pipelines_prompt_swap("plan", "itinerary", "concise")
@pytest.mark.pipelines_evaluation_swap("review", "quality", "mine")
@pytest.mark.pipelines_gate("Says concise", min_pass_rate=1.0)
def test_swaps(pipelines_run):
    pass


@pytest.mark.pipelines_variants(baseline={}, echo=ECHO)
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)
def test_variants(pipelines_run):
    pass


@pytest.mark.pipelines_model_swap("plan", "toolorder")
@pytest.mark.pipelines_tool_gate("itinerary")
def test_tools_pass(truth, pipelines_run):
    pass


@pytest.mark.pipelines_model_swap("plan", "toolorder")
@pytest.mark.pipelines_tool_gate("itinerary", exact=True)
def test_tools_miss(truth, pipelines_run):
    pass
"""
EXPERIMENT = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1, mode="experiment")


@pytest.mark.pipelines_variants(baseline={}, echo={"models": [{"nodeId": "plan", "modelSlug": "echo"}]})
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)
def test_experiment(pipelines_run):
    pass
"""
# tasks per session: count=2 for 7 task-mode items, count=1 for 2 experiment variants
TASKS_PER_RUN = 2 * 7 + 2


def toolorder(request: ModelRequest) -> str | ModelResponse:
    """Calls lookup_a, lookup_b and lookup_c in one round, then answers."""
    if request.tool_results():
        return "Day 1: Colosseum, Vatican Museums and Trastevere."
    return ModelResponse(
        tool_calls=(ToolCall("lookup_a", {}), ToolCall("lookup_b", {}), ToolCall("lookup_c", {}))
    )


@pytest.fixture(scope="module")
def flaky() -> Iterator[LocalPipelines]:
    """A backend of its own: the chaos reaches no other test, and its listings are ours."""
    with LocalPipelines(demo=True) as local:
        local.registry.register("toolorder", toolorder)
        yield local


def set_chaos(local: LocalPipelines, **settings: Any) -> None:
    response = httpx.post(
        f"{local.base_url}/_local/chaos",
        json=settings,
        headers={"Authorization": f"Bearer {local.admin_key}"},  # control endpoints: admin only
        timeout=30,
    )
    response.raise_for_status()


def listing(local: LocalPipelines) -> dict[str, list[Any]]:
    """Every object an eval suite could leave behind, by kind."""
    with local.client() as client:
        return {
            "prompts": sorted(p["id"] for p in client.iter_prompts()),
            "criteria": sorted(c["id"] for c in client.iter_criteria()),
            "evaluations": sorted(e["id"] for e in client.iter_evaluations()),
            "tool endpoints": sorted(e["id"] for e in client.iter_tool_endpoints(2)),
            "tool bindings": sorted(b["id"] for b in client.iter_tool_bindings(10)),
            "tool ground truths": sorted(g["id"] for g in client.iter_tool_ground_truths(10)),
            "workflows": sorted(
                w["id"]
                for p in client.iter_projects()
                for w in client.iter_project_workflows(p["id"])
            ),
        }


def count_task_creations(local: LocalPipelines, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every task the backend creates from now on (its id), counted where tasks are stored.

    Counting the stored tasks would not do: deleting an experiment's workflow copies at teardown
    deletes their tasks too.
    """
    assert local.state is not None
    db = local.state.db
    created: list[int] = []
    real_insert = db.insert

    def insert(kind: str, data: Any, **kwargs: Any) -> dict[str, Any]:
        record = real_insert(kind, data, **kwargs)
        if kind == "task":
            created.append(int(record["id"]))
        return record

    monkeypatch.setattr(db, "insert", insert)
    return created


def verdicts(pytester: pytest.Pytester, local: LocalPipelines) -> tuple[dict[str, str], str]:
    """Each test's outcome (a failed setup is 'error') and the run's output."""
    result = pytester.runpytest(
        f"--pipelines-env={local.base_url}",
        f"--pipelines-api-key={local.api_key}",
        "--pipelines-max-retries=10",
        "-o",
        "pipelines_default_gate=none",
        "-p",
        "no:cacheprovider",
    )
    outcomes: dict[str, str] = {}
    for report in result.reprec.getreports("pytest_runtest_logreport"):  # type: ignore[attr-defined]
        if report.failed:
            outcomes[report.nodeid] = "failed" if report.when == "call" else "error"
        else:
            outcomes.setdefault(report.nodeid, report.outcome)
    return outcomes, result.stdout.str()


def test_the_same_verdicts_through_20_percent_chaos(
    pytester: pytest.Pytester, flaky: LocalPipelines, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_suite=SUITE, test_experiment=EXPERIMENT)
    waits: list[float] = []
    monkeypatch.setattr(_retry, "pause", waits.append)
    before = listing(flaky)
    created = count_task_creations(flaky, monkeypatch)

    calm, calm_out = verdicts(pytester, flaky)
    tasks_calm = len(created)
    assert listing(flaky) == before
    assert waits == []  # a calm platform needs no retry
    # both kinds of verdict are there to be flipped, and nothing is broken
    assert sorted(set(calm.values())) == ["failed", "passed"], calm_out
    assert tasks_calm == TASKS_PER_RUN

    set_chaos(flaky, rate_429=0.1, rate_503=0.1, retry_after=RETRY_AFTER, seed=9)
    try:
        chaos, chaos_out = verdicts(pytester, flaky)
    finally:
        set_chaos(flaky)
    assert chaos == calm, chaos_out
    assert len(created) - tasks_calm == TASKS_PER_RUN  # no task ran twice
    assert listing(flaky) == before  # nothing left behind ...
    assert "swept" not in chaos_out  # ... and teardown, not the sweep, deleted it all
    assert "could not delete" not in chaos_out
    # the platform did misbehave, and a 429's Retry-After was waited for
    assert len(waits) >= 10
    assert float(RETRY_AFTER) in waits
