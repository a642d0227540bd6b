"""The same flows through AsyncPipelinesClient (mirrors the sync tests)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_pipelines.client import (
    AsyncPipelinesClient,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
)
from pytest_pipelines.local import LocalPipelines

pytestmark = pytest.mark.anyio


async def test_identity_and_health(async_client: AsyncPipelinesClient) -> None:
    assert await async_client.health() == {"status": "ok"}
    me = await async_client.whoami()
    assert (me["email"], me["org_id"]) == ("demo@pipelines.local", 2)


async def test_error_statuses(
    local_backend: LocalPipelines, async_client: AsyncPipelinesClient
) -> None:
    async with local_backend.async_client(api_key="pk_local_wrong") as bad:
        with pytest.raises(AuthenticationError):
            await bad.list_prompts()
    async with local_backend.async_client(api_key="pk_local_prompts_only") as limited:
        assert (await limited.list_prompts(page_size=1))["items"]
        with pytest.raises(ForbiddenError):
            await limited.list_evaluations()
    with pytest.raises(NotFoundError):
        await async_client.get_task(22, 10, 987654321)
    with pytest.raises(ValidationError) as info:
        await async_client.request(
            "POST",
            "/api/criteria",
            json={
                "name": "x",
                "display_label": "x",
                "type": "programmatic",
                "config": {"subtype": "regex_match"},
                "output_schema": {"type": "boolean"},
            },
        )
    assert info.value.status_code == 422
    assert "body.config.pattern" in str(info.value)


async def test_library_configs(
    async_client: AsyncPipelinesClient, unique: Callable[[str], str]
) -> None:
    prompt = await async_client.create_prompt(
        {
            "name": unique("p"),
            "prompt_text": "Plan {{days}} days in {{city}}.",
            "scope_type": "org",
            "org_id": 2,
        }
    )
    updated = await async_client.update_prompt(
        prompt["id"], {"prompt_text": "Plan {{days}} concise days in {{city}}."}
    )
    assert updated["version"] == 2
    names = [
        p["name"] async for p in async_client.iter_prompts(scope_type="org", org_id=2, page_size=5)
    ]
    assert prompt["name"] in names


async def test_run_with_swap_wait_and_idempotency(
    async_client: AsyncPipelinesClient, unique_key: Callable[[str], str]
) -> None:
    key = unique_key("async-idem")
    payload = {
        "count": 2,
        "configOverrides": {"models": [{"nodeId": "plan", "modelSlug": "gemini-3.5-flash"}]},
    }
    job = await async_client.create_tasks_async(22, 10, payload, idempotency_key=key)
    assert await async_client.create_tasks_async(22, 10, payload, idempotency_key=key) == job
    with pytest.raises(ConflictError):
        await async_client.create_tasks_async(22, 10, {"count": 1}, idempotency_key=key)
    final = await async_client.wait_for_create_tasks(22, 10, job["job_id"], timeout=60)
    assert final["status"] == "completed"
    detail = await async_client.get_task(22, 10, final["task_ids"][0])
    plan = next(n for n in detail["nodes"] if n["node_id"] == "plan")
    assert plan["fields"][0]["model"] == "gemini-3.5-flash"
    assert plan["outputs"]["itinerary"]


async def test_experiment_wait_and_cancel(
    async_client: AsyncPipelinesClient, unique_key: Callable[[str], str]
) -> None:
    experiment = await async_client.create_experiment(
        22,
        10,
        {
            "count": 1,
            "variants": [
                {"name": "baseline"},
                {
                    "name": "echo",
                    "configOverrides": {"models": [{"nodeId": "plan", "modelSlug": "echo"}]},
                },
            ],
        },
        idempotency_key=unique_key("exp"),
    )
    final = await async_client.wait_for_experiment(
        project_id=22, workflow_id=10, experiment_id=experiment["experiment_id"], timeout=60
    )
    assert final["status"] == "completed"
    assert [v["workflow_name"] for v in final["variants"]] == [
        "Italy - Experiment baseline",
        "Italy - Experiment echo",
    ]
    cancelled = await async_client.cancel_experiment(22, 10, experiment["experiment_id"])
    assert cancelled["status"] == "completed"  # completed work stays completed


async def test_tools_flow(async_client: AsyncPipelinesClient) -> None:
    result = await async_client.create_tasks(22, 10, {"count": 1})
    detail = await async_client.get_task(22, 10, result["task_ids"][0])
    research = next(n for n in detail["nodes"] if n["node_id"] == "research")
    history = await async_client.get_tool_call_history(
        project_id=22, workflow_id=10, node_db_id=research["id"]
    )
    assert [c["tool_name"] for c in history["items"]] == ["search_docs"]
    score = await async_client.evaluate_tool_correctness(
        workflow_id=10, node_db_id=research["id"], payload={"field_id": "notes"}
    )
    assert score["passed"] is True
