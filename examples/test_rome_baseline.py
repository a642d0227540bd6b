"""Regression gates against a committed baseline, and two variants compared in one experiment.

``pipelines-baseline.json`` (next to ``pytest.ini``) holds the results this suite accepted: per
test, per criterion, per input. A gate with ``max_drop=`` compares today's run with it, paired
on the inputs, and fails only when the run is confidently worse by more than ``max_drop``. The
demo models are deterministic, so here every run reproduces the baseline: "no significant
change". After an intended change, accept the new results and commit the file:

    python -m pytest examples --pipelines-baseline-update

``pipelines_compare`` turns a variants test into ONE item that runs every variant in one
experiment on the same inputs and gates the paired difference of each variant from the
baseline variant.
"""

from __future__ import annotations

import pytest

from pytest_pipelines import RunResult

ROWS = [{"city": "Rome", "days": days} for days in (1, 2, 3, 4, 5)]


@pytest.mark.pipelines_workflow(project=22, workflow=10, inputs=ROWS, count=len(ROWS))
# pass rate: fail if it drops by more than 5 points from the baseline (and stays >= 0.8)
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0.8, max_drop=0.05)
# a 1-5 rating: max_drop is in rating points
@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=3, max_drop=0.25)
def test_itinerary_has_not_regressed(pipelines_run: RunResult) -> None:
    assert len(pipelines_run.tasks) == len(ROWS)


@pytest.mark.pipelines_workflow(
    project=22, workflow=10, inputs=ROWS, count=len(ROWS), mode="experiment"
)
@pytest.mark.pipelines_variants(
    control={},
    # "detailed_prompt" names a fixture (conftest.py); the plugin resolves it for the run
    detailed={
        "prompts": [{"nodeId": "plan", "fieldId": "itinerary", "promptId": "detailed_prompt"}]
    },
)
# the detailed prompt must be confidently at least as good as control, by the judge's rating
# (min_difference=0.2 would ask for a confident improvement of 0.2 rating points)
@pytest.mark.pipelines_compare("Itinerary Quality Judge", baseline="control", min_difference=0)
def test_detailed_prompt_beats_control(pipelines_run: RunResult) -> None:
    assert set(pipelines_run.variants) == {"control", "detailed"}
    diff = pipelines_run.compare("detailed", "control", "Itinerary Quality Judge")
    assert diff.paired
    assert diff.n_pairs == len(ROWS)
