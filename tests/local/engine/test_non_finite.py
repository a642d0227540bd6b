"""NaN and Infinity from in-process Python (a model, a code tool, a seed): a clear error naming
the model or tool and the place, never a row SQLite refuses ("malformed JSON") halfway through
a task. Over real HTTP against the session backend."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pipelines.local._engine.criteria import evaluate_criterion
from pytest_pipelines.local._engine.registry import BAD_PRICE_MESSAGE as BAD_PRICE
from pytest_pipelines.local._engine.toolsets import MSG_NOT_JSON_RESULT
from pytest_pipelines.local._store.db import (
    NOT_A_JSON_NUMBER,
    Database,
    NotStorable,
    find_non_finite,
)
from pytest_pipelines.local.models import (
    BAD_LATENCY_MESSAGE,
    ModelRegistry,
    ModelRequest,
    ModelResponse,
    ToolCall,
    Usage,
)
from pytest_pipelines.local.models import BAD_USAGE_MESSAGE as BAD_USAGE
from pytest_pipelines.local.models import NON_FINITE_ARGUMENTS_MESSAGE as BAD_ARGUMENTS

if TYPE_CHECKING:
    from pytest_pipelines.client import PipelinesClient
    from pytest_pipelines.local import LocalPipelines

__pipelines_tools__ = ["measure"]  # opts this module's measure in as a code tool


def measure(city: str) -> Any:
    """A reading whose score is not a number for one city."""
    return {"city": city, "readings": [1.5, math.nan if city == "Atlantis" else 2.0]}


def _workflow(
    client: PipelinesClient, unique: Callable[[str], str], model: str, endpoint: Any = None
) -> tuple[int, int]:
    project = client.create_project({"name": unique("nan project")})
    fields = [
        {"id": "city", "type": "input"},
        {"id": "w", "type": "llm", "prompt_text": "{{city}}", "model": model},
    ]
    wf = client.create_workflow(
        project["id"],
        {"name": unique("nan wf"), "definition": {"nodes": [{"id": "a", "fields": fields}]}},
    )
    if endpoint is not None:
        client.create_tool_binding(
            workflow_id=wf["id"], payload={"node_id": "a", "field_id": "w", "endpoint_id": endpoint}
        )
    return project["id"], wf["id"]


def _run(
    client: PipelinesClient, project: int, workflow: int, *cities: str
) -> list[dict[str, Any]]:
    created = client.create_tasks(
        project, workflow, {"count": len(cities), "inputs": [{"city": c} for c in cities]}
    )
    # the run finished (every task reached a terminal status) and each task reads back whole
    return [client.get_task(project, workflow, task_id) for task_id in created["task_ids"]]


def _code_endpoint(client: PipelinesClient, unique: Callable[[str], str]) -> int:
    endpoint = client.create_tool_endpoint(
        org_id=2,
        payload={
            "name": unique("nan code"),
            "endpoint_type": "code",
            "config": {"module": __name__},
        },
    )
    return int(endpoint["id"])


def test_a_code_tool_returning_nan_fails_the_call_naming_tool_and_place(
    local_backend: LocalPipelines, client: PipelinesClient, unique: Callable[[str], str]
) -> None:
    seen: dict[str, str] = {}

    def caller(request: ModelRequest) -> ModelResponse | str:
        if request.tool_results():
            seen[request.prompt] = request.tool_results()[-1].content
            return "done"
        return ModelResponse(tool_calls=(ToolCall("measure", {"city": request.prompt}),))

    local_backend.registry.register("test-nan-tool-caller", caller)
    project, wf = _workflow(client, unique, "test-nan-tool-caller", _code_endpoint(client, unique))
    bad, good = _run(client, project, wf, "Atlantis", "Rome")
    message = MSG_NOT_JSON_RESULT.format(name="measure", value="NaN", where="$.readings[1]")
    # a tool failure like a raising tool: recorded on the call, told to the model, task goes on
    assert bad["status"] == "completed"
    call = bad["nodes"][0]["tool_calls"][0]
    assert (call["error"], call["output"]) == (message, None)
    assert call["input"] == {"city": "Atlantis"}
    assert seen["Atlantis"] == json.dumps({"error": message})
    assert good["status"] == "completed"
    assert good["nodes"][0]["tool_calls"][0]["output"] == {"city": "Rome", "readings": [1.5, 2.0]}


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_a_model_calling_a_tool_with_a_non_finite_argument_fails_its_task(
    local_backend: LocalPipelines,
    client: PipelinesClient,
    unique: Callable[[str], str],
    number: float,
) -> None:
    slug = unique("test-nan-args").replace(" ", "-")

    def caller(request: ModelRequest) -> ModelResponse | str:
        if request.tool_results():
            return "done"
        value = number if request.prompt == "Atlantis" else 1.0
        return ModelResponse(tool_calls=(ToolCall("measure", {"city": [value]}),))

    local_backend.registry.register(slug, caller)
    project, wf = _workflow(client, unique, slug, _code_endpoint(client, unique))
    bad, good = _run(client, project, wf, "Atlantis", "Rome")
    spelled = "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")
    reason = BAD_ARGUMENTS.format(slug=slug, tool="measure", value=spelled, where="$.city[0]")
    assert bad["status"] == "failed"
    assert bad["error"] == f"node 'a' field 'w': {reason}"
    node = bad["nodes"][0]
    assert (node["status"], node["tool_calls"]) == ("failed", [])  # nothing half-stored
    assert bad["usage"]["errors"] == 1
    assert good["status"] == "completed"  # the run's other task ran on


@pytest.mark.parametrize(
    ("usage", "name", "value"),
    [
        (Usage(input_tokens=math.nan, output_tokens=3), "input_tokens", math.nan),  # type: ignore[arg-type]
        (Usage(input_tokens=3, output_tokens=math.inf), "output_tokens", math.inf),  # type: ignore[arg-type]
        (Usage(input_tokens=-1, output_tokens=3), "input_tokens", -1),
        (Usage(input_tokens=2.5, output_tokens=3), "input_tokens", 2.5),  # type: ignore[arg-type]
    ],
)
def test_a_model_reporting_usage_that_is_no_token_count_fails_its_task(
    local_backend: LocalPipelines,
    client: PipelinesClient,
    unique: Callable[[str], str],
    usage: Usage,
    name: str,
    value: float,
) -> None:
    slug = unique("test-nan-usage").replace(" ", "-")
    local_backend.registry.register(slug, lambda request: ModelResponse("hi", usage=usage))
    project, wf = _workflow(client, unique, slug)
    (task,) = _run(client, project, wf, "Rome")
    reason = BAD_USAGE.format(slug=slug, name=name, value=value)
    assert task["status"] == "failed"
    assert task["error"] == f"node 'a' field 'w': {reason}"
    assert task["usage"]["errors"] == 1


def test_whole_float_token_counts_are_counts() -> None:
    registry = ModelRegistry()
    registry.register("m", lambda request: ModelResponse("hi", usage=Usage(12.0, 1)))  # type: ignore[arg-type]
    answer = registry.complete("m", ModelRequest("m", "hello"))
    assert answer.usage == Usage(12, 1)
    assert isinstance(answer.usage.input_tokens, int)


@pytest.mark.parametrize("latency", [math.nan, math.inf])
def test_a_non_finite_latency_is_refused_at_registration(latency: float) -> None:
    registry = ModelRegistry()
    with pytest.raises(ValueError) as caught:
        registry.register("m", lambda request: "x", latency=latency)
    assert str(caught.value) == BAD_LATENCY_MESSAGE.format(slug="m", latency=latency)
    assert "m" not in registry


@pytest.mark.parametrize("price", [(math.inf, 1.0), (1.0, math.nan)])
def test_a_non_finite_price_is_refused(price: tuple[float, float]) -> None:
    registry = ModelRegistry()
    registry.register("m", lambda request: "x")
    with pytest.raises(ValueError) as caught:
        registry.set_price("m", *price)
    assert str(caught.value) == BAD_PRICE.format(slug="m", price=price)
    assert registry.price("m") is None


def test_a_seed_with_nan_is_refused_whole(
    local_backend: LocalPipelines, client: PipelinesClient, unique: Callable[[str], str]
) -> None:
    name = unique("nan seeded project")
    seed = {
        "projects": [{"name": name}],
        "prompts": [{"name": unique("nan prompt"), "content": "x", "meta": {"t": [math.inf]}}],
    }
    with pytest.raises(NotStorable) as caught:
        local_backend.seed(seed)
    assert str(caught.value) == NOT_A_JSON_NUMBER.format(
        what="prompt", where="$.meta.t[0]", value="Infinity"
    )
    kept = unique("nan-free seeded project")
    local_backend.seed({"projects": [{"name": kept}]})
    names = {p["name"] for p in client.iter_projects()}
    assert kept in names
    assert name not in names  # nothing of the refused seed was stored


def test_the_store_refuses_non_finite_numbers_and_keeps_the_row(tmp_path: Any) -> None:
    db = Database(tmp_path / "x.db")
    try:
        row = db.insert("thing", {"v": 1.0})
        with pytest.raises(NotStorable, match=r"\$\.v\.w\[1\] is NaN"):
            db.patch("thing", row["id"], {"v": {"w": [0, math.nan]}})
        assert db.get("thing", row["id"])["v"] == 1.0  # type: ignore[index]
        with pytest.raises(NotStorable, match=r"cannot store the version: \$\.v is -Infinity"):
            db.add_version(row["id"], {"v": -math.inf})
        assert db.list_versions(row["id"]) == []
    finally:
        db.close()


def test_find_non_finite_walks_in_document_order() -> None:
    value = {"a": [1, {"b": math.inf}], "c": math.nan}
    assert find_non_finite(value) == ("$.a[1].b", math.inf)
    assert find_non_finite({"a": [1, 2.5, "NaN", None, True]}) is None
    assert find_non_finite((math.nan,))[0] == "$[0]"  # type: ignore[index]


@pytest.mark.parametrize("text", ['{"score": NaN}', "[Infinity]", "-Infinity"])
def test_json_validity_refuses_what_json_loads_lets_through(text: str) -> None:
    criterion = {"type": "programmatic", "config": {"subtype": "json_validity"}}
    outcome = evaluate_criterion(criterion, text, inputs={}, expected_output=None, judge=_no_judge)
    assert (outcome.status, outcome.value, outcome.passed) == ("completed", False, False)
    assert outcome.reason is not None
    assert "is not a JSON value" in outcome.reason


def _no_judge(model: str, prompt: str) -> str:
    raise AssertionError("a programmatic criterion asks no judge")
