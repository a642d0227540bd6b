"""Running one task: fields in order, models through the registry, tools, evaluations.

Called by the engine's worker threads with the job's resolved definition. Returns the task's
error message (None when it completed). Node records (kind ``node``, parent = task id) and tool
call records (kind ``tool_call``, parent = node db id) are written as the run goes.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine.criteria import CriterionOutcome, evaluate_criterion, subtype_of
from pytest_pipelines.local._engine.registry import (
    Message,
    ModelError,
    ModelRequest,
    ToolSpec,
    UnknownModelError,
)
from pytest_pipelines.local._engine.toolsets import ToolEndpointError, call_tool
from pytest_pipelines.local._store.db import utcnow

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

DEFAULT_MAX_TOOL_ROUNDS = 3
TARGET_MISSING = "the evaluation field {field!r} targets {node}.{target}, which produced no output"

FIELD_FAILED = "node {node!r} field {field!r}: {error}"
CRITERION_CRASHED = (
    "criterion {name!r} could not be evaluated: {error_type}: {error}; this is a bug in the "
    "criterion implementation, the task's other results stand"
)
TOOL_NOT_BOUND = "tool {name!r} is not bound to this field; bound tools: {valid}"
TOO_MANY_ROUNDS = (
    "model {model!r} still asked for tools after max_tool_rounds={rounds}; raise max_tool_rounds "
    "on the tool binding or make the model answer with text"
)


class FieldError(Exception):
    """An LLM field could not produce an output; the task fails with this message."""


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{{name}}`` placeholders from ``values``; unknown names stay as written."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        return value if isinstance(value, str) else json.dumps(value)

    return _PLACEHOLDER.sub(sub, template)


def _tool_setup(field: Mapping[str, Any]) -> tuple[list[ToolSpec], dict[str, dict[str, Any]], int]:
    specs: list[ToolSpec] = []
    owner: dict[str, dict[str, Any]] = {}
    rounds = 0
    for entry in field.get("bindings") or []:
        binding, endpoint = entry["binding"], entry["endpoint"]
        selected = binding.get("selected_tools") or None
        rounds = max(rounds, int(binding.get("max_tool_rounds") or DEFAULT_MAX_TOOL_ROUNDS))
        for tool in endpoint.get("tools") or []:
            name = tool.get("name")
            if not name or (selected is not None and name not in selected) or name in owner:
                continue
            owner[name] = endpoint
            specs.append(
                ToolSpec(name, tool.get("description", ""), tool.get("input_schema") or {})
            )
    return specs, owner, rounds


def _run_llm(
    state: BackendState,
    task: Mapping[str, Any],
    node_db_id: int,
    node: Mapping[str, Any],
    field: Mapping[str, Any],
    values: Mapping[str, Any],
    tool_calls: list[dict[str, Any]],
) -> str:
    model = str(field.get("model"))
    prompt = render(str(field.get("resolved_prompt", "")), values)
    specs, owner, max_rounds = _tool_setup(field)
    messages: list[Message] = [Message("user", prompt)]
    rounds = 0
    metadata = {"task_id": task["id"], "node_id": node["id"], "field_id": field["id"]}
    while True:
        offered = tuple(specs) if rounds < max_rounds else ()
        request = ModelRequest(
            model=model,
            prompt=prompt,
            messages=tuple(messages),
            tools=offered,
            temperature=field.get("temperature"),
            metadata={**metadata, "round": rounds + 1},
        )
        try:
            response = state.registry.complete(model, request)
        except (UnknownModelError, ModelError) as exc:
            raise FieldError(str(exc)) from None
        if not response.tool_calls:
            return response.text or ""
        if rounds >= max_rounds or not offered:
            raise FieldError(TOO_MANY_ROUNDS.format(model=model, rounds=max_rounds))
        rounds += 1
        messages.append(Message("assistant", response.text or "", tool_calls=response.tool_calls))
        for order, call in enumerate(response.tool_calls):
            endpoint = owner.get(call.name)
            output: Any = None
            error: str | None = None
            if endpoint is None:
                error = TOOL_NOT_BOUND.format(name=call.name, valid=", ".join(owner) or "none")
            else:
                try:
                    output = call_tool(endpoint, call.name, dict(call.arguments))
                except ToolEndpointError as exc:
                    error = str(exc)
                except Exception as exc:
                    error = f"tool {call.name!r} raised {type(exc).__name__}: {exc}"
            record = state.db.insert(
                "tool_call",
                {
                    "org_id": task.get("org_id"),
                    "task_id": task["id"],
                    "workflow_id": task["workflow_id"],
                    "node_db_id": node_db_id,
                    "node_id": node["id"],
                    "field_id": field["id"],
                    "round": rounds,
                    "order": order,
                    "tool_name": call.name,
                    "call_id": call.id,
                    "endpoint_id": endpoint["id"] if endpoint else None,
                    "input": dict(call.arguments),
                    "output": output,
                    "error": error,
                },
                parent_id=node_db_id,
            )
            tool_calls.append(record)
            content = (
                json.dumps({"error": error})
                if error
                else (output if isinstance(output, str) else json.dumps(output, default=str))
            )
            messages.append(Message("tool", content, tool_call_id=call.id, name=call.name))


def _evaluate(
    state: BackendState,
    task: Mapping[str, Any],
    field: Mapping[str, Any],
    outputs: Mapping[tuple[Any, Any], Any],
) -> list[dict[str, Any]]:
    target = field.get("target") or {}
    key = (target.get("node_id"), target.get("field_id"))
    results = []
    for criterion in field.get("resolved_criteria") or []:
        config = criterion.get("config") or {}
        base = {
            "field_id": field["id"],
            "target_node_id": key[0],
            "target_field_id": key[1],
            "evaluation_id": field.get("evaluation_id"),
            "evaluation_version": field.get("evaluation_version"),
            "criterion_id": criterion.get("id"),
            "criterion_version": criterion.get("version"),
            "criterion_name": criterion.get("name"),
            "criterion_type": criterion.get("type"),
            "subtype": config.get("subtype")
            if criterion.get("type") != "llm_judge"
            else "llm_judge",
            "output_type": (criterion.get("output_schema") or {}).get("type"),
            "threshold": config.get("threshold"),
        }
        with contextlib.suppress(Exception):
            base["subtype"] = subtype_of(criterion)
        if key not in outputs:
            results.append(
                {
                    **base,
                    "status": "error",
                    "value": None,
                    "passed": None,
                    "reason": None,
                    "error": TARGET_MISSING.format(field=field["id"], node=key[0], target=key[1]),
                }
            )
            continue
        try:
            outcome = evaluate_criterion(
                criterion,
                outputs[key],
                inputs=task.get("inputs") or {},
                expected_output=task.get("expected_output"),
                judge=state.registry.judge,
            )
        except Exception as exc:  # one broken criterion must not lose the task's other results
            outcome = CriterionOutcome(
                status="error",
                error=CRITERION_CRASHED.format(
                    name=criterion.get("name"), error_type=type(exc).__name__, error=exc
                ),
            )
        results.append(
            {
                **base,
                "status": outcome.status,
                "value": outcome.value,
                "passed": outcome.passed,
                "reason": outcome.reason,
                "error": outcome.error,
            }
        )
    return results


def run_task(
    state: BackendState, task: Mapping[str, Any], definition: Mapping[str, Any]
) -> str | None:
    """Run every node of ``definition`` for ``task``; return the error, or None when completed."""
    db = state.db
    inputs = dict(task.get("inputs") or {})
    values: dict[str, Any] = dict(inputs)
    outputs: dict[tuple[str, str], Any] = {}
    for node in definition.get("nodes", []):
        node_rec = db.insert(
            "node",
            {
                "org_id": task.get("org_id"),
                "task_id": task["id"],
                "workflow_id": task["workflow_id"],
                "project_id": task.get("project_id"),
                "node_id": node["id"],
                "title": node.get("title", node["id"]),
                "status": "running",
                "outputs": {},
                "fields": [],
                "evaluation_results": [],
                "tool_calls": [],
                "error": None,
            },
            parent_id=task["id"],
        )
        node_outputs: dict[str, Any] = {}
        fields: list[dict[str, Any]] = []
        evaluation_results: list[dict[str, Any]] = []
        tool_calls: list[dict[str, Any]] = []
        error: str | None = None
        for field in node.get("fields", []):
            ftype = field.get("type")
            if ftype == "input":
                value = inputs.get(field["id"], field.get("default"))
                node_outputs[field["id"]] = value
            elif ftype == "llm":
                started = time.perf_counter()
                try:
                    value = _run_llm(state, task, node_rec["id"], node, field, values, tool_calls)
                    field_error = None
                except FieldError as exc:
                    value, field_error = None, str(exc)
                fields.append(
                    {
                        "field_id": field["id"],
                        "type": "llm",
                        "model": field.get("model"),
                        "prompt_id": field.get("prompt_id"),
                        "prompt_version": field.get("prompt_version"),
                        "output": value,
                        "error": field_error,
                        "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                    }
                )
                if field_error:
                    error = FIELD_FAILED.format(
                        node=node["id"], field=field["id"], error=field_error
                    )
                    break
                node_outputs[field["id"]] = value
            elif ftype == "evaluation":
                evaluation_results.extend(_evaluate(state, task, field, outputs))
                continue
            else:
                continue
            outputs[(node["id"], field["id"])] = node_outputs[field["id"]]
            values[field["id"]] = node_outputs[field["id"]]
            values[f"{node['id']}.{field['id']}"] = node_outputs[field["id"]]
        db.patch(
            "node",
            node_rec["id"],
            {
                "status": "failed" if error else "completed",
                "outputs": node_outputs,
                "fields": fields,
                "evaluation_results": evaluation_results,
                "tool_calls": tool_calls,
                "error": error,
                "finished_at": utcnow(),
            },
        )
        if error:
            return error
    return None
