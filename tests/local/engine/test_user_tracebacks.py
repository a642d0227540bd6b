"""A model or a code tool that raises: its own frames reach the task detail (issue 9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local.models import ModelResponse, ToolCall

if TYPE_CHECKING:
    from pytest_pipelines.client import PipelinesClient
    from pytest_pipelines.local import LocalPipelines

__pipelines_tools__ = ["lookup"]  # opts this module's lookup in as a code tool


def _fetch(city: str) -> Any:
    raise KeyError(f"no weather for {city}")


def lookup(city: str) -> Any:
    """Today's weather in a city."""
    return _fetch(city)


def _run(client: PipelinesClient, unique: Callable[[str], str], model: str, **binding: Any) -> Any:
    project = client.create_project({"name": unique("tb project")})
    field = {"id": "w", "type": "llm", "prompt_text": "weather?", "model": model}
    wf = client.create_workflow(
        project["id"],
        {"name": unique("tb wf"), "definition": {"nodes": [{"id": "a", "fields": [field]}]}},
    )
    if binding:
        client.create_tool_binding(
            workflow_id=wf["id"], payload={"node_id": "a", "field_id": "w", **binding}
        )
    return client.create_tasks(project["id"], wf["id"], {"count": 1})["tasks"][0]


def test_a_raising_code_tool_keeps_its_traceback_on_the_tool_call(
    local_backend: LocalPipelines, client: PipelinesClient, unique: Callable[[str], str]
) -> None:
    endpoint = client.create_tool_endpoint(
        org_id=2,
        payload={
            "name": unique("tb code"),
            "endpoint_type": "code",
            "config": {"module": __name__},
        },
    )
    local_backend.registry.register(
        "test-tb-weather",
        lambda r: (
            "done"
            if r.tool_results()
            else ModelResponse(tool_calls=(ToolCall("lookup", {"city": "Rome"}),))
        ),
    )
    task = _run(client, unique, "test-tb-weather", endpoint_id=endpoint["id"])
    assert task["status"] == "completed"  # the model saw the error and answered
    call = task["nodes"][0]["tool_calls"][0]
    assert call["error"] == "tool 'lookup' failed: KeyError: 'no weather for Rome'"
    trace = call["traceback"]
    assert trace.startswith("Traceback (most recent call last):")
    assert "in lookup" in trace
    assert "in _fetch" in trace
    assert trace.endswith("KeyError: 'no weather for Rome'")
    assert "pytest_pipelines" not in trace


def test_a_raising_model_puts_its_frames_in_the_task_error(
    local_backend: LocalPipelines, client: PipelinesClient, unique: Callable[[str], str]
) -> None:
    def exploding(request: Any) -> str:
        raise ValueError("bad prompt")

    local_backend.registry.register("test-tb-exploding", exploding)
    task = _run(client, unique, "test-tb-exploding")
    assert task["status"] == "failed"
    first, *rest = task["error"].splitlines()
    assert first == ("node 'a' field 'w': model 'test-tb-exploding' raised ValueError: bad prompt")
    assert rest[0] == "Traceback (most recent call last):"
    assert any("in exploding" in line for line in rest)
    assert rest[-1] == "ValueError: bad prompt"
    assert "pytest_pipelines" not in "\n".join(rest)
    field = task["nodes"][0]["fields"][0]
    assert (field["served_by"], field["stand_in_for"]) == ("local", None)
