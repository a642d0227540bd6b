"""Regressions found in a correctness review of the engine, DB layer and routers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._errors import INTERNAL
from pytest_pipelines.local.routers.tasks import MAX_TASKS_PER_REQUEST, TOO_MANY_TASKS

HUGE = 10**20  # beyond SQLite's 64-bit integers


def test_concurrent_updates_of_one_prompt_get_consecutive_versions(
    local_backend: LocalPipelines, http: httpx.Client, unique: Callable[[str], str]
) -> None:
    prompt = http.post("/api/prompts", json={"name": unique("race"), "prompt_text": "v1"}).json()
    barrier = threading.Barrier(8)
    codes: list[int] = []

    def update(n: int) -> None:
        with httpx.Client(base_url=local_backend.base_url, headers=http.headers) as own:
            barrier.wait()
            codes.append(
                own.put(f"/api/prompts/{prompt['id']}", json={"prompt_text": f"t{n}"}).status_code
            )

    threads = [threading.Thread(target=update, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert codes == [200] * 8
    current = http.get(f"/api/prompts/{prompt['id']}").json()
    versions = http.get(f"/api/prompts/{prompt['id']}/versions").json()["items"]
    assert [v["version"] for v in versions] == list(range(1, 10))
    # the record names its newest snapshot, and that snapshot holds the record's text
    assert current["version"] == 9
    assert versions[-1]["prompt_text"] == current["prompt_text"]
    assert (
        http.get(f"/api/prompts/{prompt['id']}", params={"version": 9}).json()["prompt_text"]
        == current["prompt_text"]
    )


@pytest.mark.parametrize(
    "path",
    [
        f"/api/prompts/{HUGE}",
        f"/api/prompts/{HUGE}/versions",
        f"/api/projects/22/workflows/10/tasks/{HUGE}",
        f"/api/projects/{HUGE}/workflows/10",
        f"/api/projects/22/workflows/10/seeded-data/create-tasks-status/job-{HUGE}",
        f"/api/projects/22/workflows/10/experiments/exp-{HUGE}",
        f"/api/projects/22/workflows/10/nodes/{HUGE}/tool-call-history",
    ],
)
def test_ids_beyond_64_bits_are_404_not_500(http: httpx.Client, path: str) -> None:
    answer = http.get(path)
    assert answer.status_code == 404, answer.text
    assert "not found" in answer.json()["detail"]


def test_prompt_version_beyond_64_bits_is_404(http: httpx.Client) -> None:
    prompt = http.get("/api/prompts", params={"page_size": 1}).json()["items"][0]
    answer = http.get(f"/api/prompts/{prompt['id']}", params={"version": HUGE})
    assert answer.status_code == 404, answer.text


def test_a_page_far_past_the_end_is_empty(http: httpx.Client) -> None:
    answer = http.get("/api/prompts", params={"page": 10**18, "page_size": 1000})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["items"] == []
    assert body["has_more"] is False
    assert body["total"] > 0


def test_count_over_the_per_request_limit_is_422_naming_count(http: httpx.Client) -> None:
    for count in (MAX_TASKS_PER_REQUEST + 1, HUGE):
        answer = http.post(
            "/api/projects/22/workflows/10/seeded-data/create-tasks-async",
            json={"count": count},
            timeout=10,
        )
        assert answer.status_code == 422, answer.text[:300]
        assert answer.json()["detail"] == [
            {
                "loc": ["body", "count"],
                "msg": TOO_MANY_TASKS.format(total=count, limit=MAX_TASKS_PER_REQUEST),
                "type": "less_than_equal",
            }
        ]
    variants = [{"name": f"v{n}", "configOverrides": {}} for n in range(3)]
    count = MAX_TASKS_PER_REQUEST // 3 + 1
    answer = http.post(
        "/api/projects/22/workflows/10/experiments", json={"count": count, "variants": variants}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "count"]
    assert str(count * 3) in answer.json()["detail"][0]["msg"]


def test_an_unhandled_error_is_a_500_and_keeps_the_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalPipelines() as local:
        assert local.state is not None
        real = local.state.db.get_key
        calls: list[str] = []

        def failing_once(key: str) -> dict[str, Any] | None:
            calls.append("x")
            if len(calls) == 1:
                raise RuntimeError("a bug")
            return real(key)

        monkeypatch.setattr(local.state.db, "get_key", failing_once)
        headers = {"Authorization": f"Bearer {local.api_key}"}
        with httpx.Client(base_url=local.base_url, headers=headers) as http:
            broken = http.get("/api/prompts")
            assert broken.status_code == 500
            assert broken.json() == {"detail": INTERNAL.format(error="RuntimeError")}
            # the same keep-alive connection still answers
            assert http.get("/api/prompts").status_code == 200


TASKS_ASYNC = "/api/projects/22/workflows/10/seeded-data/create-tasks-async"


def test_a_missing_override_target_is_422_at_the_override_entry(http: httpx.Client) -> None:
    prompt = http.get("/api/prompts", params={"page_size": 1}).json()["items"][0]
    keep = {"nodeId": "plan", "fieldId": "itinerary", "promptId": prompt["id"]}
    cases = [
        (
            {"prompts": [keep, {"nodeId": "plan", "fieldId": "itinerary", "promptId": HUGE}]},
            ["body", "configOverrides", "prompts", 1, "promptId"],
        ),
        (
            {"prompts": [{**keep, "version": 999}]},
            ["body", "configOverrides", "prompts", 0, "version"],
        ),
        (
            {"evaluations": [{"nodeId": "review", "fieldId": "quality", "evaluationId": HUGE}]},
            ["body", "configOverrides", "evaluations", 0, "evaluationId"],
        ),
    ]
    for overrides, loc in cases:
        answer = http.post(TASKS_ASYNC, json={"count": 1, "configOverrides": overrides})
        assert answer.status_code == 422, answer.text
        assert [e["loc"] for e in answer.json()["detail"]] == [loc]
    experiment = http.post(
        "/api/projects/22/workflows/10/experiments",
        json={
            "count": 1,
            "variants": [
                {"name": "fine", "configOverrides": {}},
                {"name": "broken", "configOverrides": cases[0][0]},
            ],
        },
    )
    assert experiment.status_code == 422, experiment.text
    assert [e["loc"] for e in experiment.json()["detail"]] == [
        ["body", "variants", 1, "configOverrides", "prompts", 1, "promptId"]
    ]


def _evaluated_workflow(client: Any, criteria_names: list[str]) -> tuple[int, int]:
    criteria = [
        client.create_criterion(
            {
                "name": name,
                "display_label": name,
                "type": "programmatic",
                "config": {"subtype": "contains_keywords", "keywords": ["hi"], "mode": "any"},
                "output_schema": {"type": "boolean"},
            }
        )
        for name in criteria_names
    ]
    evaluation = client.create_evaluation(
        {"name": "review", "criteria": [{"criterion_id": c["id"]} for c in criteria]}
    )
    project = client.create_project({"name": "review"})
    definition = {
        "nodes": [
            {
                "id": "a",
                "fields": [
                    {"id": "x", "type": "llm", "prompt_text": "hi there", "model": "echo"},
                    {
                        "id": "q",
                        "type": "evaluation",
                        "evaluation_id": evaluation["id"],
                        "target": {"node_id": "a", "field_id": "x"},
                    },
                ],
            },
            {
                "id": "b",
                "fields": [{"id": "y", "type": "llm", "prompt_text": "{{x}}", "model": "echo"}],
            },
        ]
    }
    workflow = client.create_workflow(project["id"], {"name": "review", "definition": definition})
    return project["id"], workflow["id"]


def test_a_crashing_criterion_is_an_error_result_not_a_failed_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_pipelines.local import _runner

    real = _runner.evaluate_criterion

    def crashing(criterion: Any, *args: Any, **kwargs: Any) -> Any:
        if criterion.get("name") == "broken":
            raise KeyError("keywords")
        return real(criterion, *args, **kwargs)

    monkeypatch.setattr(_runner, "evaluate_criterion", crashing)
    with LocalPipelines() as local, local.client() as client:
        project_id, workflow_id = _evaluated_workflow(client, ["fine", "broken"])
        result = client.create_tasks(project_id, workflow_id, {"count": 1})
    assert result["status"] == "completed", result["error"]
    node_a = result["tasks"][0]["nodes"][0]
    outcomes = {r["criterion_name"]: r for r in node_a["evaluation_results"]}
    assert outcomes["fine"]["status"] == "completed"
    assert outcomes["fine"]["passed"] is True
    assert outcomes["broken"]["status"] == "error"
    assert outcomes["broken"]["error"] == _runner.CRITERION_CRASHED.format(
        name="broken", error_type="KeyError", error=KeyError("keywords")
    )


def test_an_internal_error_mid_task_leaves_no_node_running(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_pipelines.local import _runner

    real = _runner.render

    def failing(template: str, values: Any) -> str:
        if template == "{{x}}":  # node b's prompt
            raise RuntimeError("engine bug")
        return real(template, values)

    monkeypatch.setattr(_runner, "render", failing)
    with LocalPipelines() as local, local.client() as client:
        project_id, workflow_id = _evaluated_workflow(client, ["fine"])
        result = client.create_tasks(project_id, workflow_id, {"count": 1})
    assert result["status"] == "failed"
    task = result["tasks"][0]
    assert "RuntimeError: engine bug" in task["error"]
    statuses = {n["node_id"]: n["status"] for n in task["nodes"]}
    assert statuses == {"a": "completed", "b": "failed"}
    assert task["nodes"][1]["error"] == task["error"]
