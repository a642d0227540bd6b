"""Config swaps: run the same workflow with another prompt or another model, for one test.

Swaps are ``configOverrides`` of one run: the workflow definition is never edited, so tests
can swap freely, in parallel, without stepping on each other.
"""

from __future__ import annotations

import pytest

from pytest_pipelines import RunResult

pytestmark = pytest.mark.pipelines_workflow(project=22, workflow=10, count=2)


@pytest.mark.pipelines_prompt_swap(node="plan", field="itinerary", prompt="concise_prompt")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0)
@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=2)
def test_concise_prompt(pipelines_run: RunResult) -> None:
    # The prompt is a fixture name: the plugin resolves it (an ephemeral prompt, deleted at
    # teardown). A prompt id (int) or any object with an "id" works as well.
    for task in pipelines_run.tasks:
        lines = task.output("plan", "itinerary").splitlines()
        assert len(lines) == task.inputs["days"]  # concise: one line per day, no intro


@pytest.mark.pipelines_prompt_swap(node="plan", field="itinerary", prompt="detailed_prompt")
@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=4)
def test_detailed_prompt_scores_higher(pipelines_run: RunResult) -> None:
    assert all("Morning:" in t.output("plan", "itinerary") for t in pipelines_run.tasks)


@pytest.mark.pipelines_model_swap(node="plan", model="rome-guide")
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0)
def test_custom_model_from_rome_models(pipelines_run: RunResult) -> None:
    # "rome-guide" is not a demo model: pytest.ini registers it from rome_models.py through the
    # pipelines_models ini key, and the model swap puts it on the plan node for this run.
    for task in pipelines_run.tasks:
        assert task.output("plan", "itinerary").startswith("Day 1: Colosseum and the Roman Forum.")
