"""Gate the demo workflow's itinerary on its own evaluation: the simplest eval tests.

The module-level marker says which workflow runs and how many tasks: every test in this file
launches 4 tasks of workflow 10 (the seed rows "Rome, 5 days" and "Rome, 3 days", round-robin),
waits for them, and receives the results as ``pipelines_run`` (a ``RunResult``).
"""

from __future__ import annotations

import pytest

from pytest_pipelines import RunResult

pytestmark = pytest.mark.pipelines_workflow(project=22, workflow=10, count=4)


@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0)  # contains_keywords
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)  # regex_match
@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=3.5, min_value=3)  # llm_judge
def test_baseline_itinerary_meets_the_bar(pipelines_run: RunResult) -> None:
    # The gates are checked after the test body; the body can assert anything else it likes.
    assert len(pipelines_run.tasks) == 4
    for task in pipelines_run.tasks:
        itinerary = task.output("plan", "itinerary")
        assert "Day 1" in itinerary
        assert task.inputs["city"] == "Rome"


def test_without_gates_every_boolean_criterion_must_pass(pipelines_run: RunResult) -> None:
    # No pipelines_gate marker: the default gate applies (ini pipelines_default_gate,
    # "all-boolean-pass"): the test fails if any boolean criterion fails on any task.
    stats = pipelines_run.criterion("Itinerary Quality Judge")
    assert stats.output_type == "rating"
    assert stats.n == 4
    assert stats.min is not None
    assert stats.min >= 1


@pytest.mark.pipelines_workflow(
    project=22, workflow=10, count=2, inputs=[{"city": "Rome", "days": 2}]
)
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)
def test_explicit_inputs_override_the_seed_rows(pipelines_run: RunResult) -> None:
    # The closest marker wins: this test's own pipelines_workflow replaces the module's.
    assert [t.inputs for t in pipelines_run.tasks] == [{"city": "Rome", "days": 2}] * 2
    assert all("Day 3" not in t.output("plan", "itinerary") for t in pipelines_run.tasks)
