"""Collecting a run's task details: the local bulk export, the per-task fallback, the deadline."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pipelines._collect import (
    COLLECT_TIMED_OUT,
    CollectTimedOut,
    collect_details,
)
from pytest_pipelines._results import export_details, export_request, parse_task

if TYPE_CHECKING:
    from pytest_pipelines.client import PipelinesClient
    from pytest_pipelines.local.models import ModelRequest


class Counting:
    """A client proxy that counts the calls it forwards (and can drop the export's details)."""

    def __init__(self, client: Any, *, strip_details: bool = False, delay: float = 0.0) -> None:
        self.client = client
        self.calls: Counter[str] = Counter()
        self.strip_details = strip_details
        self.delay = delay
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def export_tasks(self, *args: Any) -> Any:
        self.calls["export_tasks"] += 1
        response = dict(self.client.export_tasks(*args))
        if self.strip_details:  # a deployment whose export has no task details
            response.pop("details", None)
        return response

    def get_task(self, *args: Any) -> Any:
        with self._lock:
            self.calls["get_task"] += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            return self.client.get_task(*args)
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.fixture(scope="module")
def task_ids(backend: Any) -> list[int]:
    """Twelve finished tasks of the demo workflow (project 22, workflow 10)."""
    with backend.client() as client:
        created = client.create_tasks(22, 10, {"count": 12})
    return [int(t["id"]) for t in created["tasks"]]


def test_export_details_are_the_task_details(
    backend_client: PipelinesClient, task_ids: list[int]
) -> None:
    response = backend_client.export_tasks(22, 10, export_request(task_ids[:3]))
    details = export_details(response)
    assert details is not None
    assert sorted(details) == sorted(task_ids[:3])
    for tid in task_ids[:3]:
        assert details[tid] == backend_client.get_task(22, 10, tid)
    # without the flag the export is as before: rows only
    assert "details" not in backend_client.export_tasks(22, 10, {"format": "json"})


def test_export_without_details_reads_as_none() -> None:
    assert export_details({"format": "json", "content": "[]"}) is None
    assert export_details({"details": [{"no": "id"}]}) is None
    assert export_details(["not", "a", "mapping"]) is None


def test_bulk_path_one_request_same_results(
    backend_client: PipelinesClient, task_ids: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    proxy = Counting(backend_client)
    with caplog.at_level(logging.DEBUG, logger="pytest_pipelines"):
        details = collect_details(proxy, 22, 10, task_ids)
    assert proxy.calls == Counter({"export_tasks": 1})
    assert [d["id"] for d in details] == task_ids
    one_by_one = [parse_task(backend_client.get_task(22, 10, t)) for t in task_ids]
    assert [parse_task(d) for d in details] == one_by_one
    assert "with a bulk task export" in caplog.text


def test_fallback_reads_tasks_concurrently_and_remembers(
    backend_client: PipelinesClient, task_ids: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    proxy = Counting(backend_client, strip_details=True, delay=0.05)
    with caplog.at_level(logging.DEBUG, logger="pytest_pipelines"):
        details = collect_details(proxy, 22, 10, task_ids, max_workers=4)
    assert [d["id"] for d in details] == task_ids
    assert proxy.calls == Counter({"export_tasks": 1, "get_task": len(task_ids)})
    assert 1 < proxy.most_in_flight <= 4
    assert "carries no task details; reading tasks one by one" in caplog.text
    # the deployment's answer is remembered: no second export attempt on this client
    collect_details(proxy, 22, 10, task_ids[:2])
    assert proxy.calls["export_tasks"] == 1


def test_deadline_stops_collecting(backend_client: PipelinesClient, task_ids: list[int]) -> None:
    release = threading.Event()

    class Stuck(Counting):
        """Reads the first two tasks, then hangs until released."""

        def get_task(self, *args: Any) -> Any:
            with self._lock:
                self.calls["get_task"] += 1
                stuck = self.calls["get_task"] > 2
            if stuck:
                release.wait()
            return self.client.get_task(*args)

    proxy = Stuck(backend_client, strip_details=True)
    try:
        with pytest.raises(CollectTimedOut) as info:
            collect_details(proxy, 22, 10, task_ids, deadline=time.monotonic() + 1.0, max_workers=2)
    finally:
        release.set()
    # it gave up with two reads hanging, and dropped the ten still queued
    assert str(info.value) == COLLECT_TIMED_OUT.format(workflow=10, done=2, total=len(task_ids))
    assert proxy.calls["get_task"] == 4


def test_plugin_collects_in_bulk(
    pytester: pytest.Pytester, remote_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINES_DEBUG", "1")
    pytester.makepyfile(
        """
import pytest

@pytest.mark.pipelines_workflow(22, 10, count=3)
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0.0)
def test_run(pipelines_run):
    assert len(pipelines_run.tasks) == 3
    assert all(t.node_db_ids for t in pipelines_run.tasks)
"""
    )
    # -s: the debug log goes to the real stderr, not the test's captured one
    result = pytester.runpytest(*remote_args, "-s")
    result.assert_outcomes(passed=1)
    log = result.stderr.str()
    assert "collected 3 of 3 tasks of workflow 10 with a bulk task export" in log
    assert "/tasks/" not in log  # no per-task GET


def test_a_busy_export_is_retried(
    backend_client: PipelinesClient, task_ids: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_pipelines import _retry
    from pytest_pipelines.client import ServerError

    waits: list[float] = []
    monkeypatch.setattr(_retry, "pause", waits.append)

    class Busy(Counting):
        """Answers the first export 503 (the client does not retry a POST without a key)."""

        max_retries = 2

        def export_tasks(self, *args: Any) -> Any:
            if not self.calls["export_tasks"]:
                self.calls["export_tasks"] += 1
                raise ServerError("busy", status_code=503)
            return super().export_tasks(*args)

    proxy = Busy(backend_client)
    details = collect_details(proxy, 22, 10, task_ids)
    assert [d["id"] for d in details] == task_ids
    assert proxy.calls == Counter({"export_tasks": 2})
    assert len(waits) == 1


def flaky_planner(request: ModelRequest) -> str:
    """Plans most cities; raises on the ones named 'Nowhere' (a failed task)."""
    if "Nowhere" in request.prompt:
        raise RuntimeError("no plan for Nowhere")
    return "Day 1: the Colosseum. Day 2: the Vatican. Day 3: Trastevere."


def test_bulk_and_per_task_results_are_identical(
    backend: Any, backend_client: PipelinesClient
) -> None:
    """A run with evaluation results, tool calls and failed tasks reads the same three ways."""
    backend.registry.register("collect-flaky", flaky_planner)
    inputs = [
        {"city": "Rome", "days": 3},
        {"city": "Nowhere", "days": 2},
        {"city": "Oslo", "days": 1},
    ]
    job = backend_client.create_tasks_async(
        22,
        10,
        {
            "count": 9,
            "inputs": inputs,
            "configOverrides": {"models": [{"nodeId": "plan", "modelSlug": "collect-flaky"}]},
        },
    )
    status = backend_client.wait_for_create_tasks(22, 10, job["job_id"], timeout=60)
    ids = [int(t) for t in status["task_ids"]]
    bulk_proxy = Counting(backend_client)
    bulk = collect_details(bulk_proxy, 22, 10, ids)
    assert bulk_proxy.calls == Counter({"export_tasks": 1})
    fallback_proxy = Counting(backend_client, strip_details=True)
    fallback = collect_details(fallback_proxy, 22, 10, ids)
    assert fallback_proxy.calls == Counter({"export_tasks": 1, "get_task": len(ids)})
    one_by_one = [backend_client.get_task(22, 10, t) for t in ids]
    assert bulk == fallback == one_by_one
    results = [parse_task(d) for d in bulk]
    assert results == [parse_task(d) for d in one_by_one]
    # what the comparison covered
    assert {t.status for t in results} == {"completed", "failed"}
    assert any("no plan for Nowhere" in (t.error or "") for t in results)
    assert any(t.tool_calls for t in results)
    criteria = [c for t in results for c in t.criteria]
    assert {c.passed for c in criteria} >= {True, False}
    assert all(c.reason for c in criteria if c.status == "completed")
