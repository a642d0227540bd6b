"""Per-node LLM generation and the workflow LLM analytics rollup, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_pipelines.client import (
    AsyncPipelinesClient,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PipelinesClient,
)
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._engine.access import ROLE_FORBIDDEN, ROLES

from .._helpers import PROJECT, HumanRun, Person


def test_generate_regenerate_progress_history(
    client: PipelinesClient, human_run: Any, people: dict[str, Person], as_person: Any
) -> None:
    run: HumanRun = human_run(rating=False)
    plan = run.nodes["plan"]
    progress = client.get_llm_progress(PROJECT, run.workflow_id, plan)
    assert progress["status"] == "idle"
    # nothing is missing, so generate has nothing to do
    nothing = client.generate_llm_fields(PROJECT, run.workflow_id, plan)
    assert (nothing["status"], nothing["fields"]) == ("completed", [])
    client.admin_inline_edit(
        PROJECT, run.workflow_id, plan, payload={"field_id": "itinerary", "value": ""}
    )
    generated = client.generate_llm_fields(PROJECT, run.workflow_id, plan)
    assert [f["field_id"] for f in generated["fields"]] == ["itinerary"]
    assert generated["fields"][0]["output"] == "Plan a day in Rome."
    task = client.get_task(PROJECT, run.workflow_id, run.task_id)
    assert (
        next(n for n in task["nodes"] if n["id"] == plan)["outputs"]["itinerary"]
        == "Plan a day in Rome."
    )

    contributor = as_person(people["contributor"])
    again = contributor.regenerate_llm(PROJECT, run.workflow_id, plan)
    assert again["mode"] == "regenerate"
    assert again["fields"][0]["model"] == "echo"
    with pytest.raises(ForbiddenError):
        contributor.admin_regenerate_llm(PROJECT, run.workflow_id, plan)
    admin = client.admin_regenerate_llm(
        PROJECT, run.workflow_id, plan, payload={"field_ids": ["itinerary"]}
    )
    assert admin["mode"] == "admin_regenerate"
    progress = client.get_llm_progress(PROJECT, run.workflow_id, plan)
    assert (progress["status"], progress["done"], progress["total"], progress["percent"]) == (
        "completed",
        1,
        1,
        100.0,
    )
    history = client.get_llm_generation_history(PROJECT, run.workflow_id, plan)
    assert [g["mode"] for g in history["items"]] == [
        "generate",
        "generate",
        "regenerate",
        "admin_regenerate",
    ]
    assert client.get_llm_error(PROJECT, run.workflow_id, plan)["error"] is None
    with pytest.raises(ConflictError):
        client.generate_llm_fields(PROJECT, run.workflow_id, run.nodes["label"])

    analytics = client.get_workflow_llm_analytics(PROJECT, run.workflow_id)
    echo = next(m for m in analytics["models"] if m["model"] == "echo")
    assert echo["calls"] == 4  # the run, plus three generations that called the model
    assert echo["errors"] == 0
    assert echo["by_source"] == {"run": 1, "generate": 1, "regenerate": 1, "admin_regenerate": 1}
    assert echo["latency_ms"]["max"] >= echo["latency_ms"]["p50"] >= 0


def test_errors_are_reported_per_model(client: PipelinesClient, unique: Any) -> None:
    workflow = client.create_workflow(
        PROJECT,
        {
            "name": unique("broken"),
            "definition": {
                "nodes": [
                    {
                        "id": "n",
                        "title": "N",
                        "fields": [
                            {
                                "id": "out",
                                "type": "llm",
                                "prompt_text": "hi",
                                "model": "no-such-model",
                            }
                        ],
                    }
                ]
            },
        },
    )
    job = client.create_tasks_async(PROJECT, workflow["id"], {"count": 1})
    status = client.wait_for_create_tasks(PROJECT, workflow["id"], job["job_id"], timeout=30)
    task = client.get_task(PROJECT, workflow["id"], status["task_ids"][0])
    node = task["nodes"][0]["id"]
    error = client.get_llm_error(PROJECT, workflow["id"], node)
    assert "no-such-model" in error["error"]
    failed = client.regenerate_llm(PROJECT, workflow["id"], node)
    assert failed["status"] == "failed"
    assert "no-such-model" in failed["error"]
    # one field function for runs and generations: the same failure reads the same
    assert failed["error"] == task["error"]
    assert failed["fields"][0].keys() == task["nodes"][0]["fields"][0].keys()
    analytics = client.get_workflow_llm_analytics(PROJECT, workflow["id"])
    assert analytics["models"][0]["model"] == "no-such-model"
    assert (analytics["total_calls"], analytics["total_errors"]) == (2, 2)
    assert analytics["models"][0]["error_rate"] == 1.0


@pytest.mark.anyio
async def test_generation_async(async_client: AsyncPipelinesClient, human_run: Any) -> None:
    run: HumanRun = human_run(rating=False)
    plan = run.nodes["plan"]
    first = await async_client.generate_llm_fields(
        PROJECT, run.workflow_id, plan, payload={"field_ids": ["itinerary"]}
    )
    assert first["fields"][0]["output"] == "Plan a day in Rome."
    await async_client.regenerate_llm(PROJECT, run.workflow_id, plan)
    await async_client.admin_regenerate_llm(PROJECT, run.workflow_id, plan)
    progress = await async_client.get_llm_progress(PROJECT, run.workflow_id, plan)
    assert progress["status"] == "completed"
    history = await async_client.get_llm_generation_history(PROJECT, run.workflow_id, plan)
    assert history["total"] == 3
    assert (await async_client.get_llm_error(PROJECT, run.workflow_id, plan))["error"] is None
    analytics = await async_client.get_workflow_llm_analytics(PROJECT, run.workflow_id)
    assert analytics["total_calls"] == 4


def test_generation_reads_follow_the_runtime_roles_and_the_organization(
    client: PipelinesClient,
    human_run: Any,
    people: dict[str, Person],
    as_person: Any,
    local_backend: LocalPipelines,
    unique: Any,
) -> None:
    """A viewer (no runtime access) is 403 on the three reads and on generating; another
    organization's key is 404 on all of them; the runtime roles read as before."""
    run: HumanRun = human_run(rating=False)
    plan = run.nodes["plan"]
    client.regenerate_llm(PROJECT, run.workflow_id, plan)
    reads = ("get_llm_progress", "get_llm_error", "get_llm_generation_history")
    viewer = as_person(people["viewer"])
    for name in reads:
        with pytest.raises(ForbiddenError) as forbidden:
            getattr(viewer, name)(PROJECT, run.workflow_id, plan)
        assert forbidden.value.message == ROLE_FORBIDDEN.format(
            role="viewer", action="read LLM generations", allowed=", ".join(ROLES)
        )
    with pytest.raises(ForbiddenError):
        viewer.regenerate_llm(PROJECT, run.workflow_id, plan)
    for role in ("contributor", "reviewer"):
        person = as_person(people[role])
        history = person.get_llm_generation_history(PROJECT, run.workflow_id, plan)
        assert [g["mode"] for g in history["items"]] == ["regenerate"], role
        assert person.get_llm_progress(PROJECT, run.workflow_id, plan)["status"] == "completed"

    org = local_backend.seed({"organizations": [{"name": unique("Other org")}]})
    org_id = org["created"]["organizations"][0]
    key = f"pk_local_gen_other_{org_id}"
    local_backend.seed({"api_keys": [{"key": key, "name": "other", "org_id": org_id}]})
    with local_backend.client(api_key=key) as other:
        for name in (*reads, "regenerate_llm", "generate_llm_fields"):
            with pytest.raises(NotFoundError):
                getattr(other, name)(PROJECT, run.workflow_id, plan)
    # nothing the refused calls asked for ran
    history = client.get_llm_generation_history(PROJECT, run.workflow_id, plan)
    assert [g["mode"] for g in history["items"]] == ["regenerate"]
