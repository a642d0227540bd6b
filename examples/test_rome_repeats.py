"""Repeats and confidence: a verdict that says how sure it is.

LLM outputs are noisy, so a gate that compares one small sample's pass rate with a threshold
flips from run to run. Here every input runs twice (``repeat=2``), the results are
grouped by input, and each gate decides with a 95 % interval (``confidence=0.95``): it passes
only when the whole interval clears the threshold, fails only when it lies wholly on the wrong
side, and otherwise is *inconclusive* (a warning that names about how many tasks would decide
it; ``on_inconclusive="fail"`` makes it a failure). Intervals over repeats are clustered by
input: two runs of one row are not two independent samples (the demo models are
deterministic, so here they add no information at all, and the interval says so).
"""

from __future__ import annotations

import pytest

from pytest_pipelines import RunResult

ROWS = [{"city": "Rome", "days": days} for days in range(2, 10)]

pytestmark = pytest.mark.pipelines_workflow(
    project=22, workflow=10, count=16, inputs=ROWS, repeat=2
)


@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0.8, confidence=0.95)
@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=3, confidence=0.95, reduce="median")
def test_repeated_itineraries_clear_the_bar_with_confidence(pipelines_run: RunResult) -> None:
    # 16 inputs (the 8 rows, round-robin) x 2 repeats = 32 tasks
    assert pipelines_run.repeat == 2
    assert pipelines_run.tasks_used == 32
    groups = pipelines_run.by_input()
    assert len(groups) == 16
    for tasks in groups.values():
        assert [t.repeat_index for t in tasks] == [0, 1]
        assert len({t.inputs["days"] for t in tasks}) == 1
