"""Task details encoded for a bulk export (``_engine/details.py``): the same values as the
task detail shape holds, with the values the fast codec refuses or writes its own way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_pipelines.local._engine.details import encoded_details, task_detail, tool_call_view
from pytest_pipelines.local._store.db import Database

HARD_VALUES: dict[str, Any] = {
    "lone surrogate": "\ud800 alone",
    "emoji and accents": "\U0001f600 é ü",
    "beyond 64 bits": 10**30,
    "floats": [0.1, 1e-07, 1.7976931348623157e308, 5e-324, -0.0, 1e16],
    "deep": json.loads("[" * 300 + "]" * 300),
    "escapes": 'quote " backslash \\ newline \n tab \t nul \u0000',
}


def _task(db: Database, inputs: Any, nodes: int = 2) -> int:
    task = db.insert("task", {"status": "completed", "inputs": inputs}, parent_id=1)
    for n in range(nodes):
        db.insert(
            "node",
            {"node_id": f"n{n}", "outputs": {"text": inputs}, "tool_calls": [{"id": n}]},
            parent_id=task["id"],
        )
    return int(task["id"])


def _built(db: Database, task_id: int) -> dict[str, Any]:
    task = db.get("task", task_id)
    assert task is not None
    return task_detail(task, db.query("node", parent_id=task_id))


def test_encoded_details_are_the_task_details_in_order(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.sqlite3")
    ids = [_task(db, {"note": "first"}), _task(db, {"note": "none"}, nodes=0), _task(db, {})]
    encoded = encoded_details(db, db.rows("task", ids=list(reversed(ids))))
    assert [json.loads(b) for b in encoded] == [_built(db, t) for t in ids]
    assert [d["id"] for d in map(json.loads, encoded)] == ids
    assert json.loads(encoded[1])["nodes"] == []
    # a tool call shows the keys of the shape, missing ones as null
    assert json.loads(encoded[0])["nodes"][1]["tool_calls"] == [tool_call_view({"id": 1})]
    assert set(tool_call_view({"id": 1})) >= {"id", "tool_name", "input", "output", "error"}
    db.close()


def test_hard_values_come_out_as_the_detail_holds_them(tmp_path: Path) -> None:
    """Values the fast JSON codec refuses (a lone surrogate, nesting deeper than 200) or writes
    its own way (big integers, exponents, non-ASCII) decode to what the detail holds. (NaN
    cannot be stored: SQLite's JSON index refuses the row.)"""
    db = Database(tmp_path / "hard.sqlite3")
    ids = [_task(db, HARD_VALUES), _task(db, {"x": "é"})]
    exported = [json.loads(b) for b in encoded_details(db, db.rows("task", ids=ids))]
    assert exported == [_built(db, t) for t in ids]
    assert exported[0]["nodes"][0]["outputs"]["text"]["lone surrogate"] == "\ud800 alone"
    db.close()
