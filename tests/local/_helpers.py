"""Shared values, types and helpers of the local backend's tests: people and human work of the
REST tests, importable modules written on the fly, tiny servers."""

from __future__ import annotations

import http.server
import textwrap
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT = 22
ORG = 2


@dataclass(frozen=True)
class Person:
    """A seeded user of org 2 and its API key."""

    user_id: int
    key: str
    role: str


@dataclass
class HumanRun:
    """One finished task of a workflow with human work."""

    workflow_id: int
    task_id: int
    nodes: dict[str, int]
    criterion_id: int | None


def human_definition(evaluation_id: int | None, *, review: bool = True) -> dict[str, Any]:
    """plan (input + echo LLM), label (a human node), rate (human-rating evaluation)."""
    nodes: list[dict[str, Any]] = [
        {
            "id": "plan",
            "title": "Plan",
            "fields": [
                {"id": "city", "type": "input", "title": "City"},
                {
                    "id": "itinerary",
                    "type": "llm",
                    "title": "Itinerary",
                    "prompt_text": "Plan a day in {{city}}.",
                    "model": "echo",
                },
            ],
        },
        {
            "id": "label",
            "title": "Label",
            "fields": [],
            "human": {"fields": [{"id": "verdict", "title": "Verdict"}], "review": review},
        },
    ]
    if evaluation_id is not None:
        nodes.append(
            {
                "id": "rate",
                "title": "Rate",
                "fields": [
                    {
                        "id": "quality",
                        "type": "evaluation",
                        "title": "Quality",
                        "target": {"node_id": "plan", "field_id": "itinerary"},
                        "evaluation_id": evaluation_id,
                    },
                ],
            }
        )
    return {"nodes": nodes}


def write_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> str:
    """Write ``source`` as a uniquely named module importable for this test; return its name."""
    name = f"lu_mod_{uuid.uuid4().hex[:12]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


@contextmanager
def serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1, port 0, in a thread; yield the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
