"""Whatever the backend stored, it can answer: text with a lone surrogate over real HTTP.

Request bodies with one are a 422 (``test_input_limits.py``), but in-process Python stores
such text unchecked: a model's answer or exception, a code tool's result, a judge's answer, a
seed. UTF-8 cannot encode it, and FastAPI's encoders write UTF-8, so each answer that included
it was a 500. Now every answer escapes it (``\\ud800``) and ``json.loads`` gives it back.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from pytest_pipelines.local.models import ModelRequest, ModelResponse, ToolCall

from .._helpers import ORG, PROJECT

if TYPE_CHECKING:
    from pytest_pipelines.client import PipelinesClient
    from pytest_pipelines.local import LocalPipelines

__pipelines_tools__ = ["shout"]  # opts this module's shout in as a code tool

LONE = "\ud800"
ANSWER = f"answer {LONE}"
TOOL_RESULT = f"tool {LONE}"
JUDGE = "test-lone-judge"
JUDGE_ANSWER = f"yes {LONE}"
BOOM = f"boom {LONE}"


def shout(text: str) -> str:
    """The text, and a lone surrogate."""
    return TOOL_RESULT


def _writer(request: ModelRequest) -> ModelResponse | str:
    if request.tool_results():
        return ANSWER
    return ModelResponse(tool_calls=(ToolCall("shout", {"text": "hi"}),))


def _failing(request: ModelRequest) -> str:
    raise ValueError(BOOM)


@dataclass(frozen=True)
class Stored:
    """A finished task whose answer, tool result and judge reason hold a lone surrogate, and a
    failed one whose error does."""

    workflow: int
    task: int
    node: int
    job: str
    failed_workflow: int
    failed_job: str
    created: httpx.Response


def _base(workflow: int) -> str:
    return f"/api/projects/{PROJECT}/workflows/{workflow}"


@pytest.fixture(scope="module")
def stored(local_backend: LocalPipelines) -> Stored:
    """The runs, made once for the module through the API (models registered in process)."""
    local_backend.registry.register("test-lone-writer", _writer)
    local_backend.registry.register(JUDGE, lambda request: JUDGE_ANSWER)
    local_backend.registry.register("test-lone-failing", _failing)
    with local_backend.client() as client:
        endpoint = client.create_tool_endpoint(
            org_id=ORG,
            payload={"name": "lone code", "endpoint_type": "code", "config": {"module": __name__}},
        )
        criterion = client.create_criterion(
            {
                "name": "lone judge",
                "display_label": "lone judge",
                "type": "llm_judge",
                "config": {"model": JUDGE, "prompt_template": "Good? {{output}}"},
                "output_schema": {"type": "boolean"},
            }
        )
        # seeded in process: a keyword no request body may carry
        keywords = local_backend.seed(
            {
                "criteria": [
                    {
                        "name": "lone keywords",
                        "display_label": "lone keywords",
                        "type": "programmatic",
                        "config": {"subtype": "contains_keywords", "keywords": [LONE]},
                        "output_schema": {"type": "boolean"},
                    }
                ]
            }
        )["created"]["criteria"][0]
        evaluation = client.create_evaluation(
            {
                "name": "lone review",
                "criteria": [{"criterion_id": criterion["id"]}, {"criterion_id": keywords}],
            }
        )
        fields: list[dict[str, Any]] = [
            {"id": "w", "type": "llm", "prompt_text": "hi", "model": "test-lone-writer"},
            {
                "id": "q",
                "type": "evaluation",
                "evaluation_id": evaluation["id"],
                "target": {"node_id": "a", "field_id": "w"},
            },
        ]
        workflow = client.create_workflow(
            PROJECT, {"name": "lone", "definition": {"nodes": [{"id": "a", "fields": fields}]}}
        )
        client.create_tool_binding(
            workflow_id=workflow["id"],
            payload={"node_id": "a", "field_id": "w", "endpoint_id": endpoint["id"]},
        )
        failing = client.create_workflow(
            PROJECT,
            {
                "name": "lone failing",
                "definition": {
                    "nodes": [
                        {
                            "id": "a",
                            "fields": [
                                {
                                    "id": "w",
                                    "type": "llm",
                                    "prompt_text": "hi",
                                    "model": "test-lone-failing",
                                }
                            ],
                        }
                    ]
                },
            },
        )
    with httpx.Client(
        base_url=local_backend.base_url,
        headers={"Authorization": f"Bearer {local_backend.api_key}"},
        timeout=30,
    ) as http:
        created = http.post(f"{_base(workflow['id'])}/create-tasks", json={"count": 1})
        failed = http.post(f"{_base(failing['id'])}/create-tasks", json={"count": 1})
    assert created.status_code == 200, created.text
    assert failed.status_code == 200, failed.text
    task = created.json()["tasks"][0]
    return Stored(
        workflow=workflow["id"],
        task=task["id"],
        node=task["nodes"][0]["id"],
        job=created.json()["job_id"],
        failed_workflow=failing["id"],
        failed_job=failed.json()["job_id"],
        created=created,
    )


def _ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return answer.json()


def _check_detail(detail: dict[str, Any]) -> None:
    node = detail["nodes"][0]
    assert node["outputs"]["w"] == ANSWER
    assert node["tool_calls"][0]["output"] == TOOL_RESULT
    judged, found = node["evaluation_results"]
    assert (judged["value"], judged["reason"]) == (True, f"judge {JUDGE} answered {JUDGE_ANSWER!r}")
    assert (found["value"], found["reason"]) == (True, f"found: {LONE}; mode: any")


def test_the_synchronous_create_answers_the_stored_text(stored: Stored) -> None:
    _check_detail(_ok(stored.created)["tasks"][0])


def test_the_task_detail_answers_the_stored_text(
    http: httpx.Client, client: PipelinesClient, stored: Stored
) -> None:
    detail = _ok(http.get(f"{_base(stored.workflow)}/tasks/{stored.task}"))
    _check_detail(detail)
    assert client.get_task(PROJECT, stored.workflow, stored.task) == detail


def test_the_tool_call_history_answers_the_stored_text(http: httpx.Client, stored: Stored) -> None:
    history = _ok(http.get(f"{_base(stored.workflow)}/nodes/{stored.node}/tool-call-history"))
    assert [call["output"] for call in history["items"]] == [TOOL_RESULT]


def test_the_job_status_answers_a_stored_error(http: httpx.Client, stored: Stored) -> None:
    status = _ok(
        http.get(
            f"{_base(stored.failed_workflow)}/seeded-data/create-tasks-status/{stored.failed_job}"
        )
    )
    assert status["status"] == "failed"
    assert f"raised ValueError: {BOOM}" in status["error"]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_exports_answer_the_stored_text(
    http: httpx.Client, client: PipelinesClient, stored: Stored, fmt: str
) -> None:
    body = {"format": fmt, "task_ids": [stored.task], "include_details": True}
    export = _ok(http.post(f"{_base(stored.workflow)}/export-tasks", json=body))
    _check_detail(export["details"][0])
    content = export["content"]
    rows = json.loads(content) if fmt == "json" else list(csv.DictReader(io.StringIO(content)))
    assert rows[0]["a.w"] == ANSWER
    started = _ok(http.post(f"{_base(stored.workflow)}/export-tasks-async", json=body))
    done = client.wait_for_export_tasks(PROJECT, stored.workflow, started["job_id"], timeout=30)
    assert done["result"] == export


def test_an_error_body_answers_stored_text(
    local_backend: LocalPipelines, http: httpx.Client, unique: Callable[[str], str]
) -> None:
    node = f"n{LONE}"
    seeded = local_backend.seed(
        {
            "workflows": [
                {
                    "name": unique("lone seeded"),
                    "project_id": PROJECT,
                    "org_id": ORG,
                    "definition": {
                        "nodes": [
                            {
                                "id": node,
                                "fields": [
                                    {"id": "f", "type": "llm", "model": "echo", "prompt_text": "x"}
                                ],
                            }
                        ]
                    },
                }
            ]
        }
    )
    workflow = seeded["created"]["workflows"][0]
    overrides = {"models": [{"nodeId": "zzz", "modelSlug": "echo"}]}
    answer = http.post(
        f"{_base(workflow)}/create-tasks", json={"count": 1, "configOverrides": overrides}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["msg"].endswith(f"its nodes: {node}")
    assert _ok(http.get(_base(workflow)))["definition"]["nodes"][0]["id"] == node
