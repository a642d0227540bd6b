"""An experiment: one test, several variants, each its own test item with a stable id.

``pipelines_variants`` turns the test below into three items, ``test_itinerary_variants[baseline]``,
``[concise]`` and ``[guide]``; each runs its own configOverrides, is gated on its own, and the
results table ends with the variants side by side. Under pytest-xdist (``-n 4``) the variants
run in parallel with the same verdicts.

The last test drives the client's experiment API directly, for when you want the numbers of
several variants in one place (e.g. to assert that one variant beats another).
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_pipelines import PipelinesClient, RunResult

pytestmark = pytest.mark.pipelines_workflow(project=22, workflow=10, count=2)


@pytest.mark.pipelines_variants(
    baseline={},
    # "concise_prompt" names a fixture (conftest.py); the plugin resolves it per item.
    concise={"prompts": [{"nodeId": "plan", "fieldId": "itinerary", "promptId": "concise_prompt"}]},
    # "rome-guide" is the custom model of rome_models.py.
    guide={"models": [{"nodeId": "plan", "modelSlug": "rome-guide"}]},
)
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0)
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)
@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=3)
def test_itinerary_variants(pipelines_run: RunResult) -> None:
    assert pipelines_run.variant in {"baseline", "concise", "guide"}
    assert len(pipelines_run.tasks) == 2


@pytest.mark.pipelines_workflow(project=22, workflow=10, count=2, mode="experiment")
@pytest.mark.pipelines_variants(
    detailed={
        "prompts": [{"nodeId": "plan", "fieldId": "itinerary", "promptId": "detailed_prompt"}]
    },
)
@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=4)
def test_detailed_variant_as_an_experiment(pipelines_run: RunResult) -> None:
    # mode="experiment": the run is a Pipelines experiment (one variant per item) rather than
    # tasks with overrides; the results read the same.
    assert pipelines_run.experiment_id is not None
    assert pipelines_run.variant == "detailed"


def _quality(client: PipelinesClient, task_ids: list[int], workflow_id: int) -> float:
    """The mean judge rating over the tasks of one variant."""
    values: list[float] = []
    for task_id in task_ids:
        task = client.get_task(22, workflow_id, task_id)
        for node in task["nodes"]:
            for result in node["evaluation_results"]:
                if result["criterion_name"] == "Itinerary Quality Judge":
                    values.append(float(result["value"]))
    assert values, f"no judge results on tasks {task_ids}"
    return sum(values) / len(values)


def test_detailed_beats_concise_with_the_experiment_api(
    pipelines_client: PipelinesClient,
    concise_prompt: dict[str, Any],
    detailed_prompt: dict[str, Any],
) -> None:
    # No pipelines_* markers here: a plain test that uses the session's client.
    def prompt_variant(name: str, prompt: dict[str, Any]) -> dict[str, Any]:
        override = {"nodeId": "plan", "fieldId": "itinerary", "promptId": prompt["id"]}
        return {"name": name, "configOverrides": {"prompts": [override]}}

    created = pipelines_client.create_experiment(
        22,
        10,
        {
            "count": 2,
            "variants": [
                prompt_variant("concise", concise_prompt),
                prompt_variant("detailed", detailed_prompt),
            ],
        },
    )
    status = pipelines_client.wait_for_experiment(22, 10, created["experiment_id"], timeout=60)
    try:
        assert status["status"] == "completed", status
        quality = {
            v["name"]: _quality(pipelines_client, v["task_ids"], v["workflow_id"])
            for v in status["variants"]
        }
    finally:
        # An experiment runs each variant in a copy of the workflow; remove the copies.
        for variant in status["variants"]:
            if variant["workflow_id"] != 10:
                pipelines_client.delete_workflow(22, variant["workflow_id"])
    assert quality["detailed"] > quality["concise"], quality
