"""RunResult aggregation from task-detail dicts, gates, the default verdict and its table."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_pipelines._gates import (
    NO_PASS_FAIL,
    Gates,
    apply_gates,
    check_gate,
    check_tool_gate,
    failure_table,
)
from pytest_pipelines._markers import Gate, ToolGate
from pytest_pipelines._results import (
    RunResult,
    display_name,
    parse_task,
    parse_tool_correctness,
    run_problems,
    with_tool_correctness,
)


def ev(
    name: str, value: Any, passed: bool | None, output_type: str = "boolean", **extra: Any
) -> dict[str, Any]:
    return {
        "field_id": "quality",
        "target_node_id": "plan",
        "target_field_id": "itinerary",
        "evaluation_id": 5,
        "criterion_id": 7,
        "criterion_name": name,
        "output_type": output_type,
        "status": extra.pop("status", "completed"),
        "value": value,
        "passed": passed,
        "reason": extra.pop("reason", f"reason for {name}"),
        "error": extra.pop("error", None),
    }


def task(
    task_id: int,
    itinerary: str,
    results: list[dict[str, Any]],
    status: str = "completed",
    calls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": task_id,
        "status": status,
        "inputs": {"city": "Rome", "days": 5},
        "expected_output": None,
        "error": None if status == "completed" else "model 'nope' is not registered",
        "nodes": [
            {
                "id": task_id * 10,
                "node_id": "plan",
                "status": "completed",
                "outputs": {"city": "Rome", "itinerary": itinerary},
            },
            {
                "id": task_id * 10 + 1,
                "node_id": "research",
                "status": "completed",
                "outputs": {"notes": "notes"},
                "tool_calls": calls or [],
            },
            {
                "id": task_id * 10 + 2,
                "node_id": "review",
                "status": "completed",
                "outputs": {},
                "evaluation_results": results,
            },
        ],
    }


def make_run(details: list[dict[str, Any]], variant: str | None = None) -> RunResult:
    return RunResult(
        project_id=22,
        workflow_id=10,
        mode="tasks",
        variant=variant,
        tasks=tuple(parse_task(d) for d in details),
    )


@pytest.fixture
def run() -> RunResult:
    return make_run(
        [
            task(
                1,
                "Day 1: Colosseum",
                [ev("Mentions Rome Highlights", True, True), ev("Quality", 4, True, "rating")],
            ),
            task(
                2,
                "Day 1: pizza",
                [
                    ev(
                        "Mentions Rome Highlights",
                        False,
                        False,
                        reason="found none of Colosseum, Vatican",
                    ),
                    ev("Quality", 2, False, "rating"),
                ],
            ),
            task(
                3,
                "Day 1: Vatican",
                [ev("Mentions Rome Highlights", True, True), ev("Quality", 3, None, "rating")],
            ),
        ]
    )


def test_criterion_stats(run: RunResult) -> None:
    kw = run.criterion("Mentions Rome Highlights")
    assert (kw.n, kw.passes, kw.output_type) == (3, 2, "boolean")
    assert kw.pass_rate == pytest.approx(2 / 3)
    assert kw.mean == pytest.approx(2 / 3)
    q = run.criterion("Quality")
    assert (q.n, q.passes, q.min, q.max) == (3, 1, 2.0, 4.0)
    assert q.pass_rate == pytest.approx(0.5)  # task 3 has no pass/fail
    assert q.mean == pytest.approx(3.0)
    assert [r.task_id for r in kw.worst(1)] == [2]


def test_task_outputs_and_tool_calls() -> None:
    call = {
        "id": 9,
        "field_id": "notes",
        "round": 1,
        "order": 0,
        "tool_name": "search_docs",
        "endpoint_id": 3,
        "input": {"query": "Rome"},
        "output": "x",
        "error": None,
    }
    result = make_run([task(1, "Day 1", [], calls=[call])])
    t = result.tasks[0]
    assert t.output("plan", "itinerary") == "Day 1"
    assert t.node_db_ids == {"plan": 10, "research": 11, "review": 12}
    assert [c.tool_name for c in result.tool_calls] == ["search_docs"]
    with pytest.raises(KeyError, match=r"plan\.itinerary"):
        t.output("plan", "nope")


def test_unknown_criterion_lists_known(run: RunResult) -> None:
    with pytest.raises(KeyError) as info:
        run.criterion("Nope")
    assert "'Mentions Rome Highlights'" in str(info.value)
    assert "'Quality'" in str(info.value)


def test_repr_is_readable(run: RunResult) -> None:
    text = repr(make_run([task(1, "x", [ev("A", True, True)])], variant="v1"))
    assert text.splitlines()[0] == "<RunResult workflow=10 variant='v1' mode=tasks tasks=1>"
    assert "A [boolean]: n=1 passes=1 pass_rate=1 mean=1 min=1 max=1" in text
    assert "Quality [rating]: n=3 passes=1 pass_rate=0.5 mean=3 min=2 max=4" in repr(run)


def test_ephemeral_prefix_is_stripped() -> None:
    assert display_name("pytest-0123456789ab-gw1-3-Has Day") == "Has Day"
    assert display_name("pytest-0123456789ab-main-12-X") == "X"
    assert display_name("pytest-rules") == "pytest-rules"
    result = make_run([task(1, "x", [ev("pytest-0123456789ab-gw0-1-Mine", True, True)])])
    assert list(result.criteria) == ["Mine"]


def test_errors_pending_and_broken_runs() -> None:
    details = [
        task(
            1,
            "x",
            [
                ev(
                    "J",
                    None,
                    None,
                    "rating",
                    status="error",
                    error="judge model 'gone' is not registered",
                ),
                ev("H", None, None, "rating", status="pending"),
            ],
        ),
        task(2, "x", [], status="failed"),
    ]
    result = make_run(details)
    assert result.criterion("J").errors == 1
    assert result.criterion("J").n == 0
    assert result.criterion("H").pending == 1
    problems = run_problems(result.tasks)
    assert problems == [
        "task 1: evaluator error for criterion 'J': judge model 'gone' is not registered",
        "task 2 is failed: model 'nope' is not registered",
    ]


def test_gates_pass_and_miss(run: RunResult) -> None:
    ok = check_gate(Gate("Mentions Rome Highlights", min_pass_rate=0.6), run)
    assert [(o.metric, o.passed, o.threshold) for o in ok] == [("pass_rate", True, ">= 0.6")]
    miss = check_gate(Gate("Quality", min_mean=3.5, max_value=5, min_value=3), run)
    assert [(o.metric, o.observed, o.passed) for o in miss] == [
        ("mean", 3.0, False),
        ("min", 2.0, False),
        ("max", 4.0, True),
    ]
    assert miss[0].examples[0].task_id == 2
    assert miss[0].examples[0].output == "Day 1: pizza"


def test_gate_on_rating_without_pass_fail() -> None:
    result = make_run([task(1, "x", [ev("R", 3, None, "rating")])])
    (outcome,) = check_gate(Gate("R", min_pass_rate=0.5), result)
    assert not outcome.passed
    assert NO_PASS_FAIL in outcome.note


def test_gate_on_unknown_criterion_fails_with_names(run: RunResult) -> None:
    (outcome,) = check_gate(Gate("Missing", min_mean=1), run)
    assert not outcome.passed
    assert "known criteria" in outcome.note
    assert "Quality" in outcome.note


def test_default_gate_all_boolean_pass(run: RunResult) -> None:
    verdict = apply_gates(run, Gates())
    assert not verdict.passed
    assert [(o.subject, o.metric) for o in verdict.outcomes] == [
        ("Mentions Rome Highlights", "pass_rate")
    ]
    assert apply_gates(run, Gates(default="none")).passed
    declared = apply_gates(run, Gates(criteria=(Gate("Quality", min_mean=2.5),)))
    assert declared.passed
    assert [o.subject for o in declared.outcomes] == ["Quality"]


def test_failure_table(run: RunResult) -> None:
    verdict = apply_gates(
        run,
        Gates(
            criteria=(
                Gate("Mentions Rome Highlights", min_pass_rate=0.9),
                Gate("Quality", min_mean=2),
            )
        ),
    )
    lines = verdict.message.splitlines()
    assert lines[0] == "pipelines: 1 of 2 gate threshold(s) missed"
    assert lines[1].split() == ["criterion", "metric", "observed", "threshold", "verdict"]
    assert lines[3].split() == [
        "Mentions",
        "Rome",
        "Highlights",
        "pass_rate",
        "0.667",
        ">=",
        "0.9",
        "MISS",
    ]
    assert lines[4].split() == ["Quality", "mean", "3", ">=", "2", "pass"]
    assert "task 2: 'Day 1: pizza' -- found none of Colosseum, Vatican" in verdict.message
    assert failure_table([]).startswith("pipelines: 0 of 0")


def test_tool_gate() -> None:
    t = parse_task(task(1, "x", []))
    low = parse_tool_correctness(
        t,
        "research",
        {
            "node_db_id": 11,
            "field_id": "notes",
            "score": 0.5,
            "passed": False,
            "threshold": 1.0,
            "details": {"missing": [], "excluded_called": ["delete_record"]},
        },
    )
    t2 = parse_task(task(2, "x", []))
    high = parse_tool_correctness(
        t2,
        "research",
        {
            "node_db_id": 21,
            "field_id": "notes",
            "score": 1.0,
            "passed": True,
            "threshold": 1.0,
            "details": {},
        },
    )
    result = RunResult(
        22, 10, "tasks", None, (with_tool_correctness(t, [low]), with_tool_correctness(t2, [high]))
    )
    miss = check_tool_gate(ToolGate("notes", min_score=0.9), result)
    assert (miss.observed, miss.passed, miss.subject) == (0.5, False, "tools notes")
    assert miss.examples[0].reason == "excluded_called=['delete_record']"
    assert check_tool_gate(ToolGate("notes", min_score=0.5), result).passed
    none = check_tool_gate(ToolGate("other", node="plan"), result)
    assert not none.passed
    assert "nothing was checked" in none.note
    verdict = apply_gates(result, Gates(tools=(ToolGate("notes", min_score=0.9),)))
    assert not verdict.passed
    assert "tools notes" in verdict.message


def test_tool_explanation_mentions_ordering_only_when_it_was_scored() -> None:
    t = parse_task(task(1, "x", []))

    def explain(**details: Any) -> str:
        response = {"node_db_id": 11, "field_id": "notes", "score": 0.5, "details": details}
        return parse_tool_correctness(t, "research", response).explain()

    unscored = {"called": ["b", "a", "c"], "unexpected": ["c"], "ordering_ok": False}
    assert explain(**unscored, ordering_considered=False) == "unexpected=['c']"
    assert "ordering" not in explain(
        called=["b", "a"], ordering_ok=False, ordering_considered=False
    )
    assert explain(**unscored, ordering_considered=True) == "unexpected=['c']; ordering wrong"
    # a backend that does not say whether the order was scored: ordering_ok is reported
    assert explain(**unscored) == "unexpected=['c']; ordering wrong"


def test_upper_bound_gate_shows_the_highest_values_as_worst_examples() -> None:
    result = make_run(
        [
            task(1, "short", [ev("Length", 120, None, "numeric")]),
            task(2, "very long", [ev("Length", 900, None, "numeric")]),
            task(3, "medium", [ev("Length", 400, None, "numeric")]),
        ]
    )
    (upper,) = check_gate(Gate("Length", max_value=500), result, examples=2)
    assert not upper.passed
    assert [e.task_id for e in upper.examples] == [2, 3]
    (lower,) = check_gate(Gate("Length", min_value=200), result, examples=2)
    assert not lower.passed
    assert [e.task_id for e in lower.examples] == [1, 3]


def test_fmt_handles_non_finite_values() -> None:
    from pytest_pipelines._results import fmt

    assert fmt(float("inf")) == "inf"
    assert fmt(float("nan")) == "nan"
    assert fmt(0.8) == "0.8"
    assert fmt(2.0) == "2"
