"""The task export's local extensions over real HTTP: ``include_details`` (each task's detail)
and ``include_content`` (rows left out), their validation, the ids they select, and that an
export after a change to a finished task shows the change."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pytest_pipelines.client import PipelinesClient
from pytest_pipelines.local._http.routers.task_export import EXPORT_FLAG

from .._helpers import PROJECT, HumanRun, Person

EXPORT = f"/api/projects/{PROJECT}/workflows/10/export-tasks"


@pytest.fixture(scope="module")
def task_ids(local_backend: Any) -> list[int]:
    """Four finished tasks of the demo workflow."""
    with local_backend.client() as client:
        created = client.create_tasks(PROJECT, 10, {"count": 4})
    return [int(t["id"]) for t in created["tasks"]]


def test_details_are_the_task_details_and_content_can_be_left_out(
    http: httpx.Client, client: PipelinesClient, task_ids: list[int]
) -> None:
    full = http.post(
        EXPORT, json={"format": "json", "task_ids": task_ids, "include_details": True}
    ).json()
    slim = http.post(
        EXPORT,
        json={
            "format": "json",
            "task_ids": task_ids,
            "include_details": True,
            "include_content": False,
        },
    ).json()
    assert [d["id"] for d in full["details"]] == task_ids
    assert full["details"] == [client.get_task(PROJECT, 10, t) for t in task_ids]
    assert [r["task_id"] for r in json.loads(full["content"])] == task_ids
    # without content: the same export less its rows
    assert "content" not in slim
    assert slim == {k: v for k, v in full.items() if k != "content"}
    assert list(slim) == ["workflow_id", "format", "count", "filename", "details"]
    assert slim["count"] == len(task_ids)


def test_content_false_keeps_files_and_csv_default_is_unchanged(
    http: httpx.Client, task_ids: list[int]
) -> None:
    files_only = http.post(
        EXPORT, json={"task_ids": task_ids, "include_content": False, "include_files": True}
    ).json()
    assert files_only["files"] == []
    assert "content" not in files_only
    plain = http.post(EXPORT, json={"task_ids": task_ids}).json()
    assert plain["format"] == "csv"
    assert plain["content"].startswith("task_id,")
    assert "details" not in plain


def test_async_export_carries_the_same_details(
    client: PipelinesClient, task_ids: list[int]
) -> None:
    payload = {"format": "json", "task_ids": task_ids[:2], "include_details": True}
    started = client.export_tasks_async(PROJECT, 10, payload)
    done = client.wait_for_export_tasks(PROJECT, 10, started["job_id"], timeout=30)
    assert done["result"]["details"] == client.export_tasks(PROJECT, 10, payload)["details"]


@pytest.mark.parametrize("flag", ["include_details", "include_content"])
@pytest.mark.parametrize("value", ["false", 0, 1, None, [True], {"a": True}])
def test_a_flag_that_is_not_a_boolean_is_a_422(http: httpx.Client, flag: str, value: Any) -> None:
    answer = http.post(EXPORT, json={"format": "json", flag: value})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert [e["loc"][-1] for e in detail] == [flag]
    assert detail[0]["msg"] == EXPORT_FLAG.format(flag=flag)


def test_ids_that_name_no_task_export_nothing(http: httpx.Client, task_ids: list[int]) -> None:
    body = {"format": "json", "include_details": True, "include_content": False}
    answer = http.post(EXPORT, json={**body, "task_ids": [10**20, -1, 0, task_ids[0]]})
    assert answer.status_code == 200, answer.text
    assert [d["id"] for d in answer.json()["details"]] == [task_ids[0]]
    # more ids than one SQLite statement binds, most naming nothing
    many = list(range(-40_000, 0)) + task_ids
    assert [
        d["id"] for d in http.post(EXPORT, json={**body, "task_ids": many}).json()["details"]
    ] == (task_ids)


def test_an_export_after_a_human_rating_shows_the_rating(
    client: PipelinesClient, human_run: Any, people: dict[str, Person], as_person: Any
) -> None:
    run: HumanRun = human_run(rating=True)
    payload = {"format": "json", "task_ids": [run.task_id], "include_details": True}

    def rating() -> dict[str, Any]:
        detail = client.export_tasks(PROJECT, run.workflow_id, payload)["details"][0]
        assert detail == client.get_task(PROJECT, run.workflow_id, run.task_id)
        node = next(n for n in detail["nodes"] if n["id"] == run.nodes["rate"])
        result: dict[str, Any] = node["evaluation_results"][0]
        return result

    assert rating()["status"] == "pending"  # exported before the rating
    as_person(people["reviewer"]).submit_review(
        PROJECT,
        run.workflow_id,
        run.nodes["rate"],
        payload={"approved": True, "ratings": {str(run.criterion_id): 4}},
    )
    after = rating()
    assert (after["status"], after["value"], after["passed"]) == ("completed", 4, True)


def test_non_ascii_and_escaped_inputs_export_as_the_task_detail(
    http: httpx.Client, client: PipelinesClient
) -> None:
    """The details come UTF-8 encoded (the rest of the export as ASCII escapes): the same
    values as the per-task GET."""
    inputs = [{"city": "Zürich 😀 東京", "days": 2}, {"city": 'quote " \\ \n\t\u0000', "days": 1}]
    created = client.create_tasks(PROJECT, 10, {"count": 2, "inputs": inputs})
    ids = [int(t["id"]) for t in created["tasks"]]
    answer = http.post(
        EXPORT,
        json={"format": "json", "task_ids": ids, "include_details": True},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [d["inputs"] for d in body["details"]] == inputs
    assert body["details"] == [client.get_task(PROJECT, 10, t) for t in ids]
    assert [r["input.city"] for r in json.loads(body["content"])] == [i["city"] for i in inputs]
