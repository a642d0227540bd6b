"""INTENTIONALLY FAILING: shows what a missed quality gate looks like. Not part of the suite.

``python -m pytest examples`` does not collect this directory (``norecursedirs`` in
``examples/pytest.ini``). Run it on purpose to see a gate failure:

    python -m pytest examples/failing

The concise prompt makes short itineraries, which the demo judge rates about 3.5 out of 5; the
gate below asks for a mean of at least 4.5, so the test FAILS (not errors) with a table of the
criterion, the observed value, the threshold and the worst examples (task id, output excerpt,
the judge's reason).
"""

from __future__ import annotations

import pytest

from pytest_pipelines import RunResult


@pytest.mark.pipelines_workflow(project=22, workflow=10, count=2)
@pytest.mark.pipelines_prompt_swap(node="plan", field="itinerary", prompt="concise_prompt")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0)
@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=4.5)
def test_concise_itinerary_misses_the_quality_bar(pipelines_run: RunResult) -> None:
    assert len(pipelines_run.tasks) == 2  # the body passes; the gate after it does not
