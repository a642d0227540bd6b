"""The task detail shape (``GET .../tasks/{task_id}``), and the details of many tasks as JSON.

:func:`task_detail` builds the shape from a task record and its node records
(docs/reference/local-shapes.md, "Task detail"). :func:`encoded_details` gives the JSON bytes of
many tasks' details for a bulk export: the stored rows decoded and the details encoded by
pydantic-core (about twice as fast as the standard library here; it falls back to :mod:`json`
for what pydantic-core refuses), each detail on its own, so the export joins bytes instead of
encoding one large document.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic_core

from pytest_pipelines.local._store.db import Database, record

_TASK_KEYS = (
    "id",
    "project_id",
    "workflow_id",
    "job_id",
    "status",
    "inputs",
    "expected_output",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "repeat",
    "usage",
)
_TOOL_CALL_KEYS = (
    "id",
    "field_id",
    "round",
    "order",
    "tool_name",
    "endpoint_id",
    "input",
    "output",
    "error",
    "traceback",
    "created_at",
)


def tool_call_view(call: Mapping[str, Any]) -> dict[str, Any]:
    """One recorded tool call as the task detail and the tool-call history show it."""
    return {k: call.get(k) for k in _TOOL_CALL_KEYS}


def task_detail(
    task: Mapping[str, Any], node_records: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The task detail shape: the task plus its nodes, outputs, evaluation results, tool calls."""
    nodes = [
        {
            "id": node["id"],
            "node_id": node["node_id"],
            "title": node.get("title"),
            "status": node.get("status"),
            "outputs": node.get("outputs", {}),
            "fields": node.get("fields", []),
            "evaluation_results": node.get("evaluation_results", []),
            "tool_calls": [tool_call_view(c) for c in node.get("tool_calls", [])],
            "error": node.get("error"),
            "usage": node.get("usage"),
            "created_at": node.get("created_at"),
            "finished_at": node.get("finished_at"),
        }
        for node in node_records
    ]
    return {**{k: task.get(k) for k in _TASK_KEYS}, "nodes": nodes}


def _loads(text: str) -> Any:
    """JSON text decoded by pydantic-core (about twice as fast as :func:`json.loads` here), or
    by :func:`json.loads` where pydantic-core refuses what it accepts (a lone surrogate escape,
    nesting deeper than 200): the same values either way."""
    try:
        return pydantic_core.from_json(text)
    except ValueError:
        return json.loads(text)


def json_bytes(value: Any) -> bytes:
    """``value`` as JSON bytes: by pydantic-core (about twice as fast as :func:`json.dumps`;
    non-ASCII text as UTF-8; NaN and infinities written as :func:`json.dumps` writes them), or
    by :func:`json.dumps` where pydantic-core refuses: a lone surrogate, which UTF-8 cannot
    encode (written as its ``\\ud800`` escape), or nesting deeper than 200. The same values
    either way. Every JSON answer of the API is written by it (``_http/responses.py``)."""
    try:
        return pydantic_core.to_json(value, inf_nan_mode="constants")
    except ValueError:
        return json.dumps(value).encode()


def encoded_details(db: Database, task_rows: Sequence[sqlite3.Row]) -> list[bytes]:
    """The JSON bytes of each task's detail, in the order of ``task_rows`` (stored task rows, as
    :meth:`Database.rows` gives them): their nodes read in a few queries, every row decoded and
    every detail encoded by pydantic-core, the details never gathered into one document."""
    nodes_of = db.child_rows("node", [int(r["id"]) for r in task_rows])
    return [
        json_bytes(
            task_detail(
                record(row, _loads), [record(n, _loads) for n in nodes_of.get(int(row["id"]), [])]
            )
        )
        for row in task_rows
    ]
