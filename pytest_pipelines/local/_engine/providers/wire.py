"""The two wire protocols, as pure functions: request bodies out, answers and errors in.

- OpenAI chat completions (``POST {base_url}/chat/completions``), which Ollama, vLLM, LM Studio
  and llama.cpp's server also speak;
- Anthropic messages (``POST {base_url}/v1/messages``).

A :class:`~pytest_pipelines.local.models.ModelRequest`'s conversation maps onto each protocol's
messages, tool calls included both ways; an answer maps back to a
:class:`~pytest_pipelines.local.models.ModelResponse` and the provider's token usage.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_pipelines.local._engine.registry import ModelRequest, ModelResponse, ToolCall, ToolSpec

ANTHROPIC_VERSION = "2023-06-01"


class MalformedReply(ValueError):
    """The provider answered 2xx with a body that is not a valid answer of its protocol."""


@dataclass(frozen=True)
class WireAnswer:
    """A parsed answer: the response and the provider's token counts (``None`` when absent)."""

    response: ModelResponse
    input_tokens: int | None
    output_tokens: int | None


def _schema(tool: ToolSpec) -> dict[str, Any]:
    schema = dict(tool.input_schema or {})
    schema.setdefault("type", "object")
    if schema["type"] == "object":
        schema.setdefault("properties", {})
    return schema


def openai_body(request: ModelRequest, model: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The chat-completions request body for ``request``."""
    messages: list[dict[str, Any]] = []
    for message in request.messages or ():
        if message.role == "tool":
            messages.append(
                {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
            )
        elif message.role == "assistant" and message.tool_calls:
            messages.append(
                {
                    "role": "assistant",
                    "content": message.content or None,
                    "tool_calls": [
                        {
                            "id": call.id,
                            "type": "function",
                            "function": {
                                "name": call.name,
                                "arguments": json.dumps(dict(call.arguments), sort_keys=True),
                            },
                        }
                        for call in message.tool_calls
                    ],
                }
            )
        else:
            messages.append({"role": message.role, "content": message.content})
    if not messages:
        messages.append({"role": "user", "content": request.prompt})
    body: dict[str, Any] = {"model": model, "messages": messages, **params}
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": _schema(tool),
                },
            }
            for tool in request.tools
        ]
    return body


def _arguments(raw: Any, name: str) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    if raw in (None, ""):
        return {}
    if not isinstance(raw, str):
        raise MalformedReply(f"tool call {name!r} has arguments of type {type(raw).__name__}")
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise MalformedReply(
            f"tool call {name!r} has arguments that are not JSON ({exc})"
        ) from None
    if not isinstance(value, dict):
        raise MalformedReply(f"tool call {name!r} has arguments that are not a JSON object")
    return value


def _count(usage: Any, name: str) -> int | None:
    value = usage.get(name) if isinstance(usage, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_openai(payload: Any) -> WireAnswer:
    """Parse a chat-completions answer; :class:`MalformedReply` when it is not one."""
    if not isinstance(payload, Mapping):
        raise MalformedReply("the body is not a JSON object")
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise MalformedReply("the body has no choices[0]")
    message = choices[0].get("message")
    if not isinstance(message, Mapping):
        raise MalformedReply("choices[0] has no message")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise MalformedReply("choices[0].message.content is not a string")
    calls: list[ToolCall] = []
    for raw in message.get("tool_calls") or []:
        function = raw.get("function") if isinstance(raw, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise MalformedReply("a tool call has no function name")
        name = function["name"]
        calls.append(
            ToolCall(name, _arguments(function.get("arguments"), name), str(raw.get("id") or ""))
        )
    if content is None and not calls:
        raise MalformedReply("choices[0].message has neither content nor tool_calls")
    usage = payload.get("usage")
    return WireAnswer(
        ModelResponse(text=content, tool_calls=tuple(calls)),
        _count(usage, "prompt_tokens"),
        _count(usage, "completion_tokens"),
    )


def anthropic_body(request: ModelRequest, model: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The messages-API request body for ``request``.

    ``system`` messages go to the top-level ``system``; consecutive ``tool`` messages become one
    ``user`` message of ``tool_result`` blocks, as the protocol requires.
    """
    system: list[str] = []
    messages: list[dict[str, Any]] = []
    for message in request.messages or ():
        if message.role == "system":
            system.append(message.content)
        elif message.role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id,
                "content": message.content,
            }
            last = messages[-1] if messages else None
            if last and last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(block)
            else:
                messages.append({"role": "user", "content": [block]})
        elif message.role == "assistant" and message.tool_calls:
            blocks: list[dict[str, Any]] = []
            if message.content:
                blocks.append({"type": "text", "text": message.content})
            blocks.extend(
                {
                    "type": "tool_use",
                    "id": call.id,
                    "name": call.name,
                    "input": dict(call.arguments),
                }
                for call in message.tool_calls
            )
            messages.append({"role": "assistant", "content": blocks})
        else:
            messages.append({"role": message.role, "content": message.content})
    if not messages:
        messages.append({"role": "user", "content": request.prompt})
    body: dict[str, Any] = {"model": model, "messages": messages, **params}
    if system:
        body["system"] = "\n\n".join(system)
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.tools:
        body["tools"] = [
            {"name": tool.name, "description": tool.description, "input_schema": _schema(tool)}
            for tool in request.tools
        ]
    return body


def parse_anthropic(payload: Any) -> WireAnswer:
    """Parse a messages-API answer; :class:`MalformedReply` when it is not one."""
    if not isinstance(payload, Mapping):
        raise MalformedReply("the body is not a JSON object")
    content = payload.get("content")
    if not isinstance(content, list):
        raise MalformedReply("the body has no content list")
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in content:
        kind = block.get("type") if isinstance(block, Mapping) else None
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "tool_use" and isinstance(block.get("name"), str):
            name = block["name"]
            calls.append(
                ToolCall(name, _arguments(block.get("input"), name), str(block.get("id") or ""))
            )
        elif kind in ("text", "tool_use"):
            raise MalformedReply(f"a {kind} block is incomplete")
    if not texts and not calls:
        raise MalformedReply("the content has neither text nor tool_use blocks")
    usage = payload.get("usage")
    return WireAnswer(
        ModelResponse(text="".join(texts) if texts else None, tool_calls=tuple(calls)),
        _count(usage, "input_tokens"),
        _count(usage, "output_tokens"),
    )


def error_message(payload: Any, fallback: str) -> str:
    """The provider's error message from an error body of either protocol (or ``fallback``).

    OpenAI and the compatible servers answer ``{"error": {"message": ...}}`` (some
    ``{"error": "..."}``); Anthropic ``{"type": "error", "error": {"type", "message"}}``.
    """
    if isinstance(payload, Mapping):
        error = payload.get("error")
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(payload.get("message"), str):
            return str(payload["message"])
        if isinstance(payload.get("detail"), str):
            return str(payload["detail"])
    return fallback
