"""The baseline file on its own: entries from a run, a deterministic text, validation, atomic
writes, merge and prune (no pytest session involved)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from pytest_pipelines import _baseline as bl
from pytest_pipelines._results import RunResult, parse_task


def _task(task_id: int, inputs: dict[str, Any], passed: bool, rating: float) -> dict[str, Any]:
    return {
        "id": task_id,
        "status": "completed",
        "inputs": inputs,
        "nodes": [
            {
                "id": 10 + task_id,
                "node_id": "plan",
                "outputs": {"itinerary": "Day 1"},
                "fields": [
                    {
                        "field_id": "itinerary",
                        "type": "llm",
                        "model": "demo-planner",
                        "prompt_id": 3,
                        "prompt_version": 2,
                    }
                ],
            },
            {
                "id": 20 + task_id,
                "node_id": "review",
                "outputs": {},
                "evaluation_results": [
                    {
                        "field_id": "quality",
                        "evaluation_id": 5,
                        "evaluation_version": 1,
                        "criterion_name": "Has Day Number",
                        "output_type": "boolean",
                        "status": "completed",
                        "value": passed,
                        "passed": passed,
                    },
                    {
                        "field_id": "quality",
                        "evaluation_id": 5,
                        "evaluation_version": 1,
                        "criterion_name": "Judge",
                        "output_type": "rating",
                        "status": "completed",
                        "value": rating,
                        "passed": rating >= 3,
                    },
                ],
            },
        ],
    }


def _run(rows: list[tuple[dict[str, Any], bool, float]], variant: str | None = None) -> RunResult:
    tasks = tuple(parse_task(_task(i + 1, r[0], r[1], r[2])) for i, r in enumerate(rows))
    return RunResult(22, 10, "tasks", variant, tasks)


ROWS = [
    ({"city": "Rome"}, True, 4.0),
    ({"city": "Oslo"}, False, 2.5),
    ({"city": "Rome"}, True, 3.0),
]


def test_entry_from_a_run_groups_results_by_input_key() -> None:
    entry = bl.entry_from_result("t.py::test_a", _run(ROWS), updated="2026-12-02T05:00:00Z")
    keys = bl.input_keys(_run(ROWS).tasks)
    # two tasks with the same inputs are two inputs (occurrence 0 and 1), not repeats
    assert keys[0].endswith("#0")
    assert keys[2].endswith("#1")
    assert keys[0][:-2] == keys[2][:-2]
    day = entry.criteria["Has Day Number"]
    assert day.passed == {keys[0]: (1.0,), keys[1]: (0.0,), keys[2]: (1.0,)}
    assert day.values == {}  # a boolean criterion's values are its pass/fail
    judge = entry.criteria["Judge"]
    assert judge.values == {keys[0]: (4.0,), keys[1]: (2.5,), keys[2]: (3.0,)}
    assert judge.series("numeric")[keys[1]] == (2.5,)
    assert judge.series("boolean")[keys[1]] == (0.0,)
    assert entry.versions == {
        "plan.itinerary": {"model": "demo-planner", "prompt_id": 3, "prompt_version": 2},
        "review.quality": {"evaluation_id": 5, "evaluation_version": 1},
    }
    assert (entry.tasks, entry.workflow, entry.project, entry.mode) == (3, 10, 22, "tasks")


def test_a_reordered_dataset_keeps_its_keys() -> None:
    forward = bl.input_keys(_run(ROWS).tasks)
    backward = bl.input_keys(_run(list(reversed(ROWS))).tasks)
    assert sorted(forward) == sorted(backward)


def test_a_tasks_own_input_key_wins() -> None:
    class Task:
        inputs = {"city": "Rome"}
        input_key = "row-7"

    assert bl.input_keys([Task()]) == ["row-7"]


def test_text_is_deterministic_sorted_and_round_trips() -> None:
    a = bl.entry_from_result("b.py::test_b[x]", _run(ROWS, "x"), updated="2026-12-02T05:00:00Z")
    b = bl.entry_from_result("a.py::test_a", _run(ROWS[:1]), updated="2026-12-02T05:00:00Z")
    text = bl.dumps([a, b])
    assert text == bl.dumps([b, a])
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    doc = json.loads(text)
    assert list(doc) == ["entries", "format", "version"]
    assert list(doc["entries"]) == ["a.py::test_a", "b.py::test_b[x]"]
    assert doc["format"] == bl.FORMAT
    assert doc["version"] == bl.VERSION
    # one line per input: a changed result is a one-line diff
    key = bl.input_keys(_run(ROWS).tasks)[1]
    assert f'"{key}": {{"passed": [0], "values": [2.5]}}' in text
    assert bl.dumps(bl.loads(text, "f.json").values()) == text


def test_numbers_have_a_stable_form() -> None:
    rows = [({"i": 1}, True, 1 / 3), ({"i": 2}, True, 0.1 + 0.2)]
    entry = bl.entry_from_result("t.py::t", _run(rows), updated="u")
    text = bl.dumps([entry])
    assert "0.333333333" in text
    assert "0.3]" in text
    assert "0.30000000000000004" not in text
    # integral values are written as integers (4.0 -> 4), also after a round trip
    again = bl.dumps(
        bl.loads(bl.dumps([bl.entry_from_result("t.py::t", _run(ROWS), updated="u")]), "f").values()
    )
    assert '"values": [4]' in again


def _doc(**entry: Any) -> str:
    good = json.loads(bl.dumps([bl.entry_from_result("t.py::test_a", _run(ROWS), updated="u")]))
    good["entries"]["t.py::test_a"].update(entry)
    return json.dumps(good)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "is not valid JSON (Expecting property name"),
        (
            '<<<<<<< HEAD\n{"a": 1}\n=======\n{}\n>>>>>>> main\n',
            "contains merge conflict markers (line 1)",
        ),
        ("[]", "is not a pytest-pipelines baseline file"),
        (
            '{"format": "pytest-pipelines-baseline", "version": 99, "entries": {}}',
            "has format version 99",
        ),
        (
            '{"format": "pytest-pipelines-baseline", "version": 1, "entries": []}',
            "'entries' must be an object",
        ),
        (_doc(criteria=[]), "entry 't.py::test_a': 'criteria' must be an object"),
        (_doc(tasks=-1), "entry 't.py::test_a': 'tasks' must be a count >= 0"),
        (
            _doc(criteria={"c": {"type": "boolean", "n": 1, "inputs": {"k": {"passed": [2]}}}}),
            "entry 't.py::test_a': criterion 'c': input 'k': 'passed' must hold only 0 and 1",
        ),
        (
            _doc(criteria={"c": {"type": "boolean", "n": 1, "inputs": {"k": {"pased": [1]}}}}),
            "input 'k' has unknown key(s) ['pased']; valid keys: passed, values",
        ),
        (
            _doc(criteria={"c": {"type": "rating", "n": "2", "inputs": {}}}),
            "criterion 'c': 'n' must be a count >= 0, got '2'",
        ),
    ],
)
def test_bad_files_are_one_clear_error(text: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "pipelines-baseline.json"
    path.write_text(text)
    with pytest.raises(bl.BaselineError) as info:
        bl.load(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message
    assert "Fix:" in message
    assert "--pipelines-baseline-update" in message


def test_a_missing_file_is_no_baseline(tmp_path: Path) -> None:
    assert bl.load(tmp_path / "nothing.json") is None


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sub" / "pipelines-baseline.json"
    entry = bl.entry_from_result("t.py::test_a", _run(ROWS), updated="u")
    bl.write(path, [entry])
    before = path.read_text()
    assert before == bl.dumps([entry])

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    other = bl.entry_from_result("t.py::test_b", _run(ROWS), updated="u")
    with pytest.raises(OSError, match="disk full"):
        bl.write(path, [entry, other])
    # the old file is untouched and no temporary file is left behind
    assert path.read_text() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["pipelines-baseline.json"]


def test_merge_replaces_rerun_entries_and_prunes_only_collected_files() -> None:
    def e(nodeid: str, updated: str) -> bl.Entry:
        return bl.entry_from_result(nodeid, _run(ROWS), updated=updated)

    old = {
        n: e(n, "old")
        for n in ("a.py::test_kept", "a.py::test_gone", "a.py::test_rerun", "b.py::test_other")
    }
    new = {
        "a.py::test_rerun": e("a.py::test_rerun", "new"),
        "a.py::test_new": e("a.py::test_new", "new"),
    }
    known = ["a.py::test_kept", "a.py::test_rerun", "a.py::test_new"]
    assert bl.stale(old, known) == ["a.py::test_gone"]
    merged, pruned = bl.merge(old, new, known)
    assert pruned == ["a.py::test_gone"]
    assert sorted(merged) == [
        "a.py::test_kept",
        "a.py::test_new",
        "a.py::test_rerun",
        "b.py::test_other",
    ]
    assert merged["a.py::test_rerun"].updated == "new"
    # b.py was not collected (a partial run): its entry stays
    assert merged["b.py::test_other"].updated == "old"
