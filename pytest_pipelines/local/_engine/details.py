"""The task detail shape (``GET .../tasks/{task_id}``), and each task's detail kept encoded.

:func:`task_detail` builds the shape from a task record and its node records
(docs/reference/local-shapes.md, "Task detail"). :class:`DetailCache` keeps the JSON bytes of
each task's detail, so a bulk export of a finished run concatenates bytes instead of decoding
every stored row, rebuilding the detail and encoding it again. An entry is keyed by a digest of
the stored rows it was built from (the task's and its nodes': id, timestamps, JSON text), checked
at every read: any write to the task or one of its nodes (a human rating, an admin edit, a rerun,
another process on the same database file) changes the rows, and the detail is built anew. The
engine warms an entry when a task settles; a cold entry is built on first read.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_pipelines.local._store.db import Database, record

#: the most bytes of encoded details kept (the least recently read go first): ~10,000 details
#: of a typical task
DETAIL_CACHE_BYTES = 64 * 2**20

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


def _digest(task_row: sqlite3.Row, node_rows: Sequence[sqlite3.Row]) -> bytes:
    """What a detail is built from, in 16 bytes: every column :func:`record` reads, with lengths,
    so no two different sets of rows run together into the same input."""
    h = hashlib.blake2b(digest_size=16)
    for row in (task_row, *node_rows):
        data = str(row["data"]).encode("utf-8", "surrogatepass")
        h.update(f"{row['id']}|{row['created_at']}|{row['updated_at']}|{len(data)}|".encode())
        h.update(data)
    return h.digest()


class DetailCache:
    """Task id -> the task detail as JSON bytes, valid while the stored rows are unchanged.

    Thread-safe. :param max_bytes: default :data:`DETAIL_CACHE_BYTES`; the most bytes kept.
    """

    def __init__(self, max_bytes: int = DETAIL_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[int, tuple[bytes, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes of encoded details held."""
        with self._lock:
            return self._size

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._size = 0

    def encoded(self, db: Database, task_rows: Sequence[sqlite3.Row]) -> list[bytes]:
        """The JSON bytes of each task's detail, in the order of ``task_rows`` (stored task rows,
        as :meth:`Database.rows` gives them)."""
        nodes_of = db.child_rows("node", [int(r["id"]) for r in task_rows])
        out = []
        for row in task_rows:
            task_id = int(row["id"])
            node_rows = nodes_of.get(task_id, [])
            key = _digest(row, node_rows)
            with self._lock:
                entry = self._entries.get(task_id)
                if entry is not None and entry[0] == key:
                    self._entries.move_to_end(task_id)
                    out.append(entry[1])
                    continue
            body = json.dumps(task_detail(record(row), [record(n) for n in node_rows])).encode()
            self._put(task_id, key, body)
            out.append(body)
        return out

    def warm(self, db: Database, task_id: int) -> None:
        """Encode one task's detail now (the engine calls it when the task settles)."""
        self.encoded(db, db.rows("task", ids=[task_id]))

    def _put(self, task_id: int, key: bytes, body: bytes) -> None:
        with self._lock:
            old = self._entries.pop(task_id, None)
            if old is not None:
                self._size -= len(old[1])
            if len(body) > self.max_bytes:
                return
            self._entries[task_id] = (key, body)
            self._size += len(body)
            while self._size > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= len(dropped)
