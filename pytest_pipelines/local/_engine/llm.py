"""One LLM field, generated: the prompt rendered, the model called, its tool calls run and stored.

The task runner (``runner.py``) and per-node generation (``generation.py``) both produce LLM
fields through :func:`generate_field`, so a field is generated, recorded and failed the same
way wherever it runs.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine.errors import user_traceback
from pytest_pipelines.local._engine.meter import current, metering, summarize
from pytest_pipelines.local._engine.registry import (
    SERVED_BY,
    Message,
    ModelError,
    ModelRequest,
    ToolSpec,
    UnknownModelError,
)
from pytest_pipelines.local._engine.toolsets import ToolEndpointError, call_tool

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

DEFAULT_MAX_TOOL_ROUNDS = 3

FIELD_FAILED = "node {node!r} field {field!r}: {error}"
TOOL_NOT_BOUND = "tool {name!r} is not bound to this field; bound tools: {valid}"
TOO_MANY_ROUNDS = (
    "model {model!r} still asked for tools after max_tool_rounds={rounds}; raise max_tool_rounds "
    "on the tool binding or make the model answer with text"
)


class FieldError(Exception):
    """An LLM field could not produce an output; its node fails with this message."""


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


def complete_field(
    state: BackendState,
    task: Mapping[str, Any],
    node_db_id: int,
    node: Mapping[str, Any],
    field: Mapping[str, Any],
    values: Mapping[str, Any],
    tool_calls: list[dict[str, Any]],
) -> str:
    """The field's answer: render its prompt, call its model, run the tools it asks for.

    Each tool call is stored (kind ``tool_call``, parent = ``node_db_id``) and appended to
    ``tool_calls``; :class:`FieldError` when the model fails or keeps asking for tools.
    """
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
        except UnknownModelError as exc:
            raise FieldError(str(exc)) from None
        except ModelError as exc:
            # The one-line message first (summaries show it), then the model's frames: the
            # error is all a user debugging a model wrapper gets from a run.
            tb = f"\n{exc.traceback}" if exc.traceback else ""
            raise FieldError(f"{exc}{tb}") from None
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
            tool_traceback: str | None = None
            if endpoint is None:
                error = TOOL_NOT_BOUND.format(name=call.name, valid=", ".join(owner) or "none")
            else:
                try:
                    output = call_tool(endpoint, call.name, dict(call.arguments))
                except ToolEndpointError as exc:
                    error = str(exc)
                    # A code tool's own exception is the cause: keep its frames on the call.
                    if endpoint.get("endpoint_type") == "code" and exc.__cause__ is not None:
                        tool_traceback = user_traceback(exc.__cause__)
                except Exception as exc:
                    error = f"tool {call.name!r} raised {type(exc).__name__}: {exc}"
                    # The model sees the one-line error; the tool call keeps the frames.
                    tool_traceback = user_traceback(exc)
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
                    "traceback": tool_traceback,
                },
                parent_id=node_db_id,
                parent_kind="node",
            )
            tool_calls.append(record)
            content = (
                json.dumps({"error": error})
                if error
                else (output if isinstance(output, str) else json.dumps(output, default=str))
            )
            messages.append(Message("tool", content, tool_call_id=call.id, name=call.name))


def generate_field(
    state: BackendState,
    task: Mapping[str, Any],
    node_db_id: int,
    node: Mapping[str, Any],
    field: Mapping[str, Any],
    values: Mapping[str, Any],
    tool_calls: list[dict[str, Any]],
) -> dict[str, Any]:
    """The field's record: model, prompt version, ``output`` or ``error``, ``latency_ms``,
    ``usage`` (its model calls' tokens, cost and latency).

    A failure is recorded, not raised: ``error`` holds the model's message and ``output`` is
    None; :func:`field_failed` is the node's error for it. A task's run meters its calls in one
    scope (its judges too); a lone generation gets a scope of its own.
    """
    outer = current()
    with contextlib.nullcontext(outer) if outer is not None else metering() as meter:
        mark = meter.mark()
        started = time.perf_counter()
        try:
            output: Any = complete_field(state, task, node_db_id, node, field, values, tool_calls)
            error = None
        except FieldError as exc:
            output, error = None, str(exc)
        usage = summarize(meter.since(mark))
    return {
        "field_id": field["id"],
        "type": "llm",
        "model": field.get("model"),
        # Who answered: reports mark local models, and a stand-in under a hosted model's slug.
        "served_by": SERVED_BY,
        "stand_in_for": _stand_in_for(state, field.get("model")),
        "prompt_id": field.get("prompt_id"),
        "prompt_version": field.get("prompt_version"),
        "output": output,
        "error": error,
        "latency_ms": round((time.perf_counter() - started) * 1000, 3),
        "usage": usage,
    }


def _stand_in_for(state: BackendState, slug: Any) -> str | None:
    try:
        return state.registry.entry(str(slug)).stand_in_for
    except UnknownModelError:
        return None


def field_failed(node_id: Any, record: Mapping[str, Any]) -> str:
    """The error of a node whose field ``record`` failed (it names the node and the field)."""
    return FIELD_FAILED.format(node=node_id, field=record["field_id"], error=record["error"])


def remember(values: MutableMapping[str, Any], node_id: Any, field_id: Any, value: Any) -> None:
    """Make a field's value available to later prompts as ``{{field}}`` and ``{{node.field}}``."""
    values[field_id] = value
    values[f"{node_id}.{field_id}"] = value
