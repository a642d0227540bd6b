"""The TypedDicts describe what the local backend really returns (a drift guard), over real HTTP.

For each typed method, every key of the response (and of nested typed objects) must be declared
by its TypedDict, so a key the backend adds or renames fails here until ``types.py`` (and
local-shapes.md) say so. The backend is a private demo instance on 127.0.0.1 port 0.
"""

from __future__ import annotations

import types as pytypes
from collections.abc import AsyncIterator, Iterator
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest
from typing_extensions import is_typeddict

from pytest_pipelines import types as t
from pytest_pipelines.client import AsyncPipelinesClient, PipelinesClient, is_terminal
from pytest_pipelines.local import LocalPipelines

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def local() -> Iterator[LocalPipelines]:
    with LocalPipelines(demo=True) as backend:
        yield backend


@pytest.fixture
def client(local: LocalPipelines) -> Iterator[PipelinesClient]:
    with local.client() as pipelines:
        yield pipelines


@pytest.fixture
async def aclient(local: LocalPipelines) -> AsyncIterator[AsyncPipelinesClient]:
    async with local.async_client() as pipelines:
        yield pipelines


def undeclared(value: Any, tp: Any, path: str = "") -> list[str]:
    """Paths of keys in ``value`` that the type ``tp`` does not declare (recursively)."""
    origin = get_origin(tp)
    if origin in (Union, pytypes.UnionType):
        for arg in get_args(tp):
            if arg is not type(None) and (is_typeddict(arg) or get_origin(arg) is list):
                return undeclared(value, arg, path)
        return []
    if origin is list and isinstance(value, list):
        (item_type,) = get_args(tp)
        return [
            p for i, item in enumerate(value) for p in undeclared(item, item_type, f"{path}[{i}]")
        ]
    if is_typeddict(tp) and isinstance(value, dict):
        hints = get_type_hints(tp)
        found = [f"{path}.{key}" for key in value if key not in hints]
        for key, item in value.items():
            if key in hints:
                found += undeclared(item, hints[key], f"{path}.{key}")
        return found
    return []


def test_the_checker_sees_undeclared_keys() -> None:
    task = {"id": 1, "nodes": [{"id": 2, "evaluation_results": [{"value": 1, "vaule": 2}]}]}
    assert undeclared(task, t.Task) == [".nodes[0].evaluation_results[0].vaule"]
    assert undeclared({"fields": [{"nodeId": "n", "extra": 1}]}, t.ConfigurableFields) == [
        ".fields[0].extra"
    ]
    assert undeclared({"id": 1, "name": "p"}, t.Prompt) == []


def test_typed_responses_match_the_local_backend(client: PipelinesClient) -> None:
    me = client.get_me()
    org = me["org_id"]
    checks: list[tuple[str, Any, Any]] = [
        ("get_me", me, t.User),
        ("get_project", client.get_project(22), t.Project),
        ("get_organization", client.get_organization(org), t.Organization),
        ("get_workflow", client.get_workflow(22, 10), t.Workflow),
        ("get_configurable_fields", client.get_configurable_fields(22, 10), t.ConfigurableFields),
        ("get_creation_mode", client.get_creation_mode(22, 10), t.CreationMode),
        ("get_unread_notification_count", client.get_unread_notification_count(), t.UnreadCount),
    ]
    listed: list[tuple[str, list[Any], Any]] = [
        ("iter_projects", list(client.iter_projects()), t.Project),
        ("iter_project_workflows", list(client.iter_project_workflows(22)), t.Workflow),
        ("iter_prompts", list(client.iter_prompts()), t.Prompt),
        ("iter_criteria", list(client.iter_criteria()), t.Criterion),
        ("iter_evaluations", list(client.iter_evaluations()), t.Evaluation),
        ("iter_organizations", list(client.iter_organizations()), t.Organization),
        ("iter_users", list(client.iter_users()), t.User),
        ("iter_org_users", list(client.iter_org_users(org)), t.User),
        ("iter_tool_endpoints", list(client.iter_tool_endpoints(org)), t.ToolEndpoint),
        ("iter_tool_bindings", list(client.iter_tool_bindings(10)), t.ToolBinding),
        ("iter_tool_ground_truths", list(client.iter_tool_ground_truths(10)), t.ToolGroundTruth),
    ]
    for name, items, tp in listed:
        assert items, f"{name}: the demo data should list something"
        checks += [(name, item, tp) for item in items]

    prompt = client.create_prompt({"name": "typed shape", "prompt_text": "Hi", "role": "user"})
    checks.append(("create_prompt", prompt, t.Prompt))
    checks.append(("get_prompt", client.get_prompt(prompt["id"]), t.Prompt))

    job = client.create_tasks_async(22, 10, {"count": 1})
    checks.append(("create_tasks_async", job, t.JobCreated))
    seen: list[t.JobStatus] = []
    status = client.wait_for_create_tasks(22, 10, job["job_id"], on_status=seen.append)
    assert seen[-1] == status
    assert is_terminal(status)
    checks += [("wait_for_create_tasks", s, t.JobStatus) for s in seen]
    task = client.get_task(22, 10, status["task_ids"][0])
    checks.append(("get_task", task, t.Task))
    research = next(n for n in task["nodes"] if n["node_id"] == "research")
    checks.append(
        (
            "evaluate_tool_correctness",
            client.evaluate_tool_correctness(10, research["id"], {"field_id": "notes"}),
            t.ToolCorrectnessResult,
        )
    )
    checks.append(
        (
            "get_tool_call_history",
            client.get_tool_call_history(22, 10, research["id"]),
            t.ToolCallHistory,
        )
    )
    checks.append(("create_tasks", client.create_tasks(22, 10, {"count": 1}), t.CreateTasksResult))

    problems = {name: bad for name, value, tp in checks if (bad := undeclared(value, tp))}
    assert problems == {}


async def test_experiment_shapes_and_progress_over_real_http(aclient: AsyncPipelinesClient) -> None:
    payload = {"count": 1, "variants": [{"name": "shape", "configOverrides": {}}]}
    created = await aclient.create_experiment(22, 10, payload)
    assert undeclared(created, t.ExperimentCreated) == []
    seen: list[t.ExperimentStatus] = []
    final = await aclient.wait_for_experiment(
        22, 10, created["experiment_id"], on_status=seen.append
    )
    try:
        assert seen[-1] == final
        assert final["status"] == "completed"
        assert all(not is_terminal(s) for s in seen[:-1])
        assert [undeclared(s, t.ExperimentStatus) for s in seen] == [[] for _ in seen]
    finally:
        for variant in final["variants"]:
            if variant["workflow_id"] != 10:
                await aclient.delete_workflow(22, variant["workflow_id"])
