"""The task details kept encoded (``_engine/details.py``): rebuilt when a stored row changes,
through this connection or another one on the same file; bounded in size; warmed as tasks
settle."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pytest_pipelines.local._engine.details import DetailCache, task_detail
from pytest_pipelines.local._store.db import Database


def _task(db: Database, note: str, nodes: int = 2) -> int:
    task = db.insert("task", {"status": "completed", "inputs": {"note": note}}, parent_id=1)
    for n in range(nodes):
        db.insert(
            "node",
            {"node_id": f"n{n}", "outputs": {"text": f"{note}-{n}"}, "tool_calls": [{"id": n}]},
            parent_id=task["id"],
        )
    return int(task["id"])


def _details(cache: DetailCache, db: Database, ids: list[int]) -> list[dict[str, Any]]:
    return [json.loads(b) for b in cache.encoded(db, db.rows("task", ids=ids))]


def _built(db: Database, task_id: int) -> dict[str, Any]:
    task = db.get("task", task_id)
    assert task is not None
    return task_detail(task, db.query("node", parent_id=task_id))


def test_a_write_to_the_task_or_a_node_rebuilds_the_detail(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.sqlite3")
    cache = DetailCache()
    ids = [_task(db, "first"), _task(db, "second")]
    assert _details(cache, db, ids) == [_built(db, t) for t in ids]
    assert len(cache) == 2
    node = db.query("node", parent_id=ids[0])[1]
    db.patch("node", node["id"], {"outputs": {"text": "rated later"}})
    db.patch("task", ids[1], {"error": "changed"})
    again = _details(cache, db, ids)
    assert again == [_built(db, t) for t in ids]
    assert again[0]["nodes"][1]["outputs"] == {"text": "rated later"}
    assert again[1]["error"] == "changed"
    # a node removed (a rerun forgets its earlier attempt) and one added
    db.delete_children("node", ids[0])
    db.insert("node", {"node_id": "only"}, parent_id=ids[0])
    assert [n["node_id"] for n in _details(cache, db, ids)[0]["nodes"]] == ["only"]
    db.close()


def test_a_write_through_another_connection_rebuilds_the_detail(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    ours, theirs = Database(path), Database(path)
    cache = DetailCache()
    task_id = _task(ours, "before")
    assert _details(cache, ours, [task_id])[0]["inputs"] == {"note": "before"}
    theirs.patch("task", task_id, {"inputs": {"note": "after"}})
    assert _details(cache, ours, [task_id])[0]["inputs"] == {"note": "after"}
    ours.close()
    theirs.close()


def test_the_cache_keeps_at_most_its_bytes(tmp_path: Path) -> None:
    db = Database(tmp_path / "b.sqlite3")
    ids = [_task(db, f"task {i}") for i in range(20)]
    one = len(json.dumps(_built(db, ids[0])))
    cache = DetailCache(max_bytes=5 * one + one // 2)
    assert _details(cache, db, ids) == [_built(db, t) for t in ids]
    assert 0 < cache.size <= cache.max_bytes
    assert len(cache) == 5  # the last five read
    tiny = DetailCache(max_bytes=10)  # no detail fits: each is built, none kept
    assert _details(tiny, db, ids[:2]) == [_built(db, t) for t in ids[:2]]
    assert len(tiny) == 0
    assert tiny.size == 0
    db.close()


def test_settled_tasks_are_encoded_by_the_engine(local_backend: Any) -> None:
    with local_backend.client() as client:
        created = client.create_tasks(22, 10, {"count": 3})
    ids = [int(t["id"]) for t in created["tasks"]]
    cache: DetailCache = local_backend.state.details
    db: Database = local_backend.state.db
    # warmed right after each task settles, so a moment after the run ends at the latest
    deadline = time.monotonic() + 10.0
    while not all(cache._entries.get(t) for t in ids) and time.monotonic() < deadline:
        time.sleep(0.02)
    warmed = {t: cache._entries[t][1] for t in ids}
    # the export's read finds them: the very bytes, not rebuilt
    exported = cache.encoded(db, db.rows("task", ids=ids))
    assert all(b is warmed[t] for b, t in zip(exported, ids, strict=True))
    assert [json.loads(warmed[t]) for t in ids] == [dict(t) for t in created["tasks"]]
