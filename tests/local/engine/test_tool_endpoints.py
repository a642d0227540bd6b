"""Tool endpoints, bindings, ground truths, recommendation and tool correctness over HTTP."""

from __future__ import annotations

import http.server
from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest

from pytest_pipelines.client import NotFoundError, PipelinesClient, ServerError
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._http.routers.tools import MASK, MASKED_ON_CREATE, MASKED_UNKNOWN
from pytest_pipelines.local.models import ModelRequest, ModelResponse, ToolCall

from .._helpers import serve

MOCK_TOOLS = [
    {
        "name": "lookup",
        "description": "Look up a city fact",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        "response": "{{city}} is lovely",
    },
    {
        "name": "wipe",
        "description": "Delete everything",
        "input_schema": {"type": "object", "properties": {}},
        "response": "wiped",
    },
]


def mock_endpoint(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "endpoint_type": "mock",
        "auth_type": "none",
        "auth_config": {},
        "config": {"tools": MOCK_TOOLS},
    }


def greedy_model(request: ModelRequest) -> ModelResponse | str:
    """Calls every offered tool once (lookup, then wipe), then answers."""
    if request.tool_results():
        return "done: " + "; ".join(m.content for m in request.tool_results())
    calls = [
        ToolCall(t.name, {"city": "Rome"} if t.name == "lookup" else {}) for t in request.tools
    ]
    return ModelResponse(tool_calls=tuple(calls)) if calls else "no tools"


def looping_model(request: ModelRequest) -> ModelResponse | str:
    """Asks for a tool in every round it is offered one."""
    if request.tools:
        return ModelResponse(tool_calls=(ToolCall("lookup", {"city": "Rome"}),))
    return "gave up"


@pytest.fixture
def tool_workflow(
    local_backend: LocalPipelines, client: PipelinesClient, unique: Callable[[str], str]
) -> dict[str, Any]:
    local_backend.registry.register("test-greedy", greedy_model)
    local_backend.registry.register("test-looping", looping_model)
    project = client.create_project({"name": unique("tools project")})
    wf = client.create_workflow(
        project["id"],
        {
            "name": unique("tools wf"),
            "definition": {
                "nodes": [
                    {
                        "id": "agent",
                        "fields": [
                            {
                                "id": "answer",
                                "type": "llm",
                                "prompt_text": "Tell me about Rome",
                                "model": "test-greedy",
                            }
                        ],
                    }
                ]
            },
        },
    )
    endpoint = client.create_tool_endpoint(org_id=2, payload=mock_endpoint(unique("mock")))
    return {"project": project, "workflow": wf, "endpoint": endpoint}


def test_mock_endpoint_discovers_tools_and_has_versions(
    client: PipelinesClient, unique: Callable[[str], str]
) -> None:
    endpoint = client.create_tool_endpoint(org_id=2, payload=mock_endpoint(unique("mock")))
    assert [
        t["name"] for t in client.list_endpoint_tools(org_id=2, endpoint_id=endpoint["id"])
    ] == ["lookup", "wipe"]
    health = client.test_tool_endpoint(org_id=2, endpoint_id=endpoint["id"])
    assert health["ok"] is True
    assert health["tool_count"] == 2
    refreshed = client.refresh_tool_endpoint_tools(org_id=2, endpoint_id=endpoint["id"])
    assert refreshed["changed"] is False
    client.update_tool_endpoint(2, endpoint["id"], {"config": {"tools": MOCK_TOOLS[:1]}})
    versions = client.list_tool_endpoint_versions(org_id=2, endpoint_id=endpoint["id"])["items"]
    assert [len(v["tools"]) for v in versions] == [2, 1]
    assert client.get_tool_endpoint_binding_count(2, endpoint["id"])["count"] == 0


def test_bad_mock_config_is_422(http: httpx.Client) -> None:
    response = http.post(
        "/api/organizations/2/tool-endpoints",
        json={"name": "bad", "endpoint_type": "mock", "config": {"tools": "nope"}},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "config"]
    wrong_type = http.post(
        "/api/organizations/2/tool-endpoints", json={"name": "bad", "endpoint_type": "smtp"}
    )
    assert wrong_type.json()["detail"][0]["loc"] == ["body", "endpoint_type"]


def test_unreachable_mcp_endpoint_is_stored_but_discovery_fails_clearly(
    client: PipelinesClient, unique: Callable[[str], str]
) -> None:
    endpoint = client.create_tool_endpoint(
        org_id=2,
        payload={
            "name": unique("mcp"),
            "endpoint_type": "mcp_server",
            "url": "http://127.0.0.1:9/mcp",
            "auth_type": "bearer",
            "auth_config": {"token": "s3cret-token"},
        },
    )
    assert endpoint["tools"] == []
    assert "127.0.0.1:9" in endpoint["discovery_error"]
    assert "s3cret-token" not in str(endpoint)
    with pytest.raises(ServerError, match="could not be reached"):
        client.refresh_tool_endpoint_tools(org_id=2, endpoint_id=endpoint["id"])
    health = client.test_tool_endpoint(org_id=2, endpoint_id=endpoint["id"])
    assert health["ok"] is False
    assert "use a mock or code tool set offline" in health["error"]


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request 404 and records its Authorization header, by port."""

    seen: ClassVar[list[tuple[int, str]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append((self.server.server_address[1], self.headers.get("Authorization", "")))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _record


def bearer_mcp(client: PipelinesClient, name: str, url: str, token: str) -> dict[str, Any]:
    """An MCP endpoint at ``url`` with a Bearer credential."""
    return dict(
        client.create_tool_endpoint(
            org_id=2,
            payload={
                "name": name,
                "endpoint_type": "mcp_server",
                "url": url,
                "auth_type": "bearer",
                "auth_config": {"token": token},
            },
        )
    )


def test_a_new_url_needs_the_credentials_again(
    client: PipelinesClient, http: httpx.Client, unique: Callable[[str], str]
) -> None:
    """Issue 11 finding 5: PATCHing only ``url`` sent the stored Bearer secret to the new host."""
    Recorder.seen.clear()
    with serve(Recorder) as first, serve(Recorder) as second:
        endpoint = bearer_mcp(client, unique("moving"), first + "/mcp", "s3cret-for-first")
        path = f"/api/organizations/2/tool-endpoints/{endpoint['id']}"
        for body in (
            {"url": second + "/mcp"},
            {"url": second + "/mcp", "auth_config": {"token": "***"}},  # the masked value
            {"endpoint_type": "http", "config": {"spec_url": second + "/openapi.json"}},
        ):
            answer = http.patch(path, json=body)
            assert answer.status_code == 422, answer.text
            [error] = answer.json()["detail"]
            assert error["loc"] == ["body", "auth_config"]
            assert "send auth_config again" in error["msg"]
        second_port = int(second.rsplit(":", 1)[1])
        assert [auth for port, auth in Recorder.seen if port == second_port] == []
        assert http.get(path).json()["url"] == first + "/mcp"
        # the same request with the new host's credentials, or none, goes through
        moved = http.patch(
            path, json={"url": second + "/mcp", "auth_config": {"token": "token-for-second"}}
        )
        assert moved.status_code == 200, moved.text
        dropped = http.patch(
            path, json={"url": first + "/other", "auth_type": "none", "auth_config": {}}
        )
        assert dropped.status_code == 200, dropped.text
    first_port = int(first.rsplit(":", 1)[1])
    assert {auth for port, auth in Recorder.seen if port == second_port} == {
        "Bearer token-for-second"
    }
    assert {auth for port, auth in Recorder.seen if port == first_port} <= {
        "Bearer s3cret-for-first",
        "",
    }


def test_sending_back_the_masked_credentials_keeps_the_stored_ones(
    client: PipelinesClient, http: httpx.Client, unique: Callable[[str], str]
) -> None:
    """A client that edits what GET answered sends ``***`` back; the secret must survive it."""
    Recorder.seen.clear()
    with serve(Recorder) as server:
        port = int(server.rsplit(":", 1)[1])
        endpoint = bearer_mcp(client, unique("masked"), server + "/mcp", "s3cret-kept")
        path = f"/api/organizations/2/tool-endpoints/{endpoint['id']}"
        shown = http.get(path).json()
        assert shown["auth_config"] == {"token": MASK}
        Recorder.seen.clear()
        # re-sending auth_config re-runs discovery, with whatever credentials were stored
        edited = http.patch(
            path, json={"description": "edited", "auth_config": shown["auth_config"]}
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["auth_config"] == {"token": MASK}
        client.test_tool_endpoint(org_id=2, endpoint_id=endpoint["id"])
        assert {auth for p, auth in Recorder.seen if p == port} == {"Bearer s3cret-kept"}
        # a placeholder for a credential that was never stored cannot be kept: 422, not "***"
        unknown = http.patch(path, json={"auth_config": {"token": MASK, "api_key": MASK}})
        assert unknown.status_code == 422, unknown.text
        [error] = unknown.json()["detail"]
        assert error["loc"] == ["body", "auth_config", "api_key"]
        assert error["msg"] == MASKED_UNKNOWN.format(key="api_key", mask=MASK, id=endpoint["id"])
        Recorder.seen.clear()
        client.test_tool_endpoint(org_id=2, endpoint_id=endpoint["id"])
        assert {auth for p, auth in Recorder.seen if p == port} == {"Bearer s3cret-kept"}
        # a new endpoint copied from that GET answer has no secret to keep: 422, not "***"
        copied = {k: v for k, v in shown.items() if k not in ("id", "created_at", "updated_at")}
        copied["name"] = unique("copied")
        made = http.post("/api/organizations/2/tool-endpoints", json=copied)
        assert made.status_code == 422, made.text
        [error] = made.json()["detail"]
        assert error["loc"] == ["body", "auth_config", "token"]
        assert error["msg"] == MASKED_ON_CREATE.format(key="token", mask=MASK)


def test_binding_validates_field_and_tools(
    http: httpx.Client, tool_workflow: dict[str, Any]
) -> None:
    wf, endpoint = tool_workflow["workflow"], tool_workflow["endpoint"]
    bad_field = http.post(
        f"/api/workflows/{wf['id']}/tool-bindings",
        json={"node_id": "agent", "field_id": "nope", "endpoint_id": endpoint["id"]},
    )
    assert bad_field.status_code == 422
    assert "agent/answer" in bad_field.json()["detail"][0]["msg"]
    bad_tool = http.post(
        f"/api/workflows/{wf['id']}/tool-bindings",
        json={
            "node_id": "agent",
            "field_id": "answer",
            "endpoint_id": endpoint["id"],
            "selected_tools": ["fly"],
        },
    )
    assert bad_tool.json()["detail"][0]["loc"] == ["body", "selected_tools"]


def run_once(client: PipelinesClient, tool_workflow: dict[str, Any]) -> dict[str, Any]:
    project, wf = tool_workflow["project"], tool_workflow["workflow"]
    result = client.create_tasks(project["id"], wf["id"], {"count": 1})
    detail = client.get_task(project["id"], wf["id"], result["task_ids"][0])
    return dict(detail)


def test_tool_loop_records_calls_and_scores_correctness(
    client: PipelinesClient, tool_workflow: dict[str, Any]
) -> None:
    wf, endpoint = tool_workflow["workflow"], tool_workflow["endpoint"]
    binding = client.create_tool_binding(
        workflow_id=wf["id"],
        payload={
            "node_id": "agent",
            "field_id": "answer",
            "endpoint_id": endpoint["id"],
            "selected_tools": ["lookup", "wipe"],
            "max_tool_rounds": 3,
        },
    )
    assert client.get_tool_endpoint_binding_count(2, endpoint["id"])["count"] == 1
    client.create_tool_ground_truth(
        workflow_id=wf["id"],
        payload={
            "node_id": "agent",
            "field_id": "answer",
            "expected_tools": [{"name": "lookup", "input": {"city": "Rome"}}],
            "excluded_tools": [{"name": "wipe"}],
            "ordering_matters": False,
            "source": "manual",
            "confidence": 1.0,
        },
    )
    detail = run_once(client, tool_workflow)
    agent = detail["nodes"][0]
    assert agent["outputs"]["answer"] == "done: Rome is lovely; wiped"
    assert [(c["tool_name"], c["round"], c["order"]) for c in agent["tool_calls"]] == [
        ("lookup", 1, 0),
        ("wipe", 1, 1),
    ]
    score = client.evaluate_tool_correctness(
        workflow_id=wf["id"],
        node_db_id=agent["id"],
        payload={
            "field_id": "answer",
            "evaluation_params": ["input_parameters"],
            "should_exact_match": False,
            "should_consider_ordering": False,
        },
    )
    assert score["details"]["excluded_called"] == ["wipe"]
    assert 0 <= score["score"] < 1
    assert score["passed"] is False
    usage = client.get_tool_endpoint_usage(org_id=2, endpoint_id=endpoint["id"])
    assert usage["by_tool"] == {"lookup": 1, "wipe": 1}
    # narrowing the binding to lookup only makes the field correct
    client.update_tool_binding(wf["id"], binding["id"], {"selected_tools": ["lookup"]})
    agent = run_once(client, tool_workflow)["nodes"][0]
    score = client.evaluate_tool_correctness(
        workflow_id=wf["id"], node_db_id=agent["id"], payload={"field_id": "answer"}
    )
    assert score["score"] == 1.0
    assert score["passed"] is True


def test_max_tool_rounds_bounds_the_loop(
    client: PipelinesClient, tool_workflow: dict[str, Any]
) -> None:
    project, wf, endpoint = (
        tool_workflow["project"],
        tool_workflow["workflow"],
        tool_workflow["endpoint"],
    )
    client.update_workflow(
        project["id"],
        wf["id"],
        {
            "definition": {
                "nodes": [
                    {
                        "id": "agent",
                        "fields": [
                            {
                                "id": "answer",
                                "type": "llm",
                                "prompt_text": "loop",
                                "model": "test-looping",
                            }
                        ],
                    }
                ]
            }
        },
    )
    client.create_tool_binding(
        workflow_id=wf["id"],
        payload={
            "node_id": "agent",
            "field_id": "answer",
            "endpoint_id": endpoint["id"],
            "max_tool_rounds": 2,
        },
    )
    agent = run_once(client, tool_workflow)["nodes"][0]
    assert [c["round"] for c in agent["tool_calls"]] == [1, 2]
    assert agent["outputs"]["answer"] == "gave up"


def test_evaluate_without_ground_truth_is_404_saying_how(
    client: PipelinesClient, tool_workflow: dict[str, Any]
) -> None:
    agent = run_once(client, tool_workflow)["nodes"][0]
    with pytest.raises(NotFoundError, match="create one with POST"):
        client.evaluate_tool_correctness(
            workflow_id=tool_workflow["workflow"]["id"],
            node_db_id=agent["id"],
            payload={"field_id": "answer"},
        )


def test_ground_truth_crud_and_recommend(
    client: PipelinesClient, tool_workflow: dict[str, Any]
) -> None:
    wf = tool_workflow["workflow"]
    truth = client.create_tool_ground_truth(
        workflow_id=wf["id"],
        payload={"node_id": "agent", "field_id": "answer", "expected_tools": [{"name": "lookup"}]},
    )
    updated = client.update_tool_ground_truth(wf["id"], truth["id"], {"ordering_matters": True})
    assert updated["ordering_matters"] is True
    assert [t["id"] for t in client.iter_tool_ground_truths(wf["id"])] == [truth["id"]]
    client.delete_tool_ground_truth(wf["id"], truth["id"])
    assert list(client.iter_tool_ground_truths(wf["id"])) == []
    ranked = client.recommend_tools(
        {
            "workflow_id": 10,
            "prompt_text": "Answer the user by searching the docs when needed.",
            "available_tools": [{"name": "fetch_url"}, {"name": "search_docs"}],
        }
    )
    assert [r["name"] for r in ranked["recommendations"]] == ["search_docs", "fetch_url"]


def test_demo_ground_truth_scores_demo_run(client: PipelinesClient) -> None:
    result = client.create_tasks(22, 10, {"count": 1})
    research = next(
        n
        for n in client.get_task(22, 10, result["task_ids"][0])["nodes"]
        if n["node_id"] == "research"
    )
    score = client.evaluate_tool_correctness(
        workflow_id=10,
        node_db_id=research["id"],
        payload={
            "field_id": "notes",
            "evaluation_params": ["input_parameters"],
            "should_exact_match": False,
            "should_consider_ordering": False,
        },
    )
    assert score["score"] == 1.0
    assert score["details"]["called"] == ["search_docs"]


__pipelines_tools__ = True  # opts this module in as a code tool set (see _toolsets)


def weather(city: str) -> dict[str, Any]:
    """Today's weather in a city."""
    return {"city": city, "sky": "sunny"}


CODE_TOOLS = {"weather": weather}


def test_code_tool_set_runs_in_the_backend(
    local_backend: LocalPipelines, client: PipelinesClient, unique: Callable[[str], str]
) -> None:
    endpoint = client.create_tool_endpoint(
        org_id=2,
        payload={
            "name": unique("code"),
            "endpoint_type": "code",
            "config": {"module": f"{__name__}:CODE_TOOLS"},
        },
    )
    tools = client.list_endpoint_tools(org_id=2, endpoint_id=endpoint["id"])
    assert [t["name"] for t in tools] == ["weather"]
    assert tools[0]["input_schema"]["properties"]["city"]["type"] == "string"
    local_backend.registry.register(
        "test-weather",
        lambda r: (
            "sunny"
            if r.tool_results()
            else ModelResponse(tool_calls=(ToolCall("weather", {"city": "Rome"}),))
        ),
    )
    project = client.create_project({"name": unique("code project")})
    wf = client.create_workflow(
        project["id"],
        {
            "name": unique("code wf"),
            "definition": {
                "nodes": [
                    {
                        "id": "a",
                        "fields": [
                            {
                                "id": "w",
                                "type": "llm",
                                "prompt_text": "weather?",
                                "model": "test-weather",
                            }
                        ],
                    }
                ]
            },
        },
    )
    client.create_tool_binding(
        workflow_id=wf["id"],
        payload={"node_id": "a", "field_id": "w", "endpoint_id": endpoint["id"]},
    )
    result = client.create_tasks(project["id"], wf["id"], {"count": 1})
    call = result["tasks"][0]["nodes"][0]["tool_calls"][0]
    assert (call["tool_name"], call["input"], call["output"]) == (
        "weather",
        {"city": "Rome"},
        {"city": "Rome", "sky": "sunny"},
    )
