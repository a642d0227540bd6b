"""A bounded stress test: client threads and separate processes hammer one LocalPipelines.

Loopback only, bounded in count (a few hundred requests, ~150 tasks) and time (a few seconds).
Every client runs without retries, so a 5xx (or a "database is locked" error) surfaces as a
failure instead of being hidden by a retry.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_pipelines.client import PipelinesClient
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._engine.jobs import TERMINAL_JOB

from ._stress_worker import EXPERIMENT_COUNT, EXPERIMENT_VARIANTS, stress_round

WORKER = Path(__file__).with_name("_stress_worker.py")
THREADS = 4
PROCESSES = 2
ROUNDS = 3
DEADLINE_S = 60.0


@pytest.fixture(scope="module")
def local() -> Iterator[LocalPipelines]:
    with LocalPipelines(demo=True, workers=4) as backend:
        yield backend


@pytest.fixture(scope="module")
def workflow(local: LocalPipelines) -> dict[str, Any]:
    with local.client() as client:
        project = client.create_project({"name": "stress"})
        definition = {
            "nodes": [
                {
                    "id": "n",
                    "title": "N",
                    "fields": [
                        {"id": "topic", "type": "input", "default": "Rome"},
                        {
                            "id": "answer",
                            "type": "llm",
                            "prompt_text": "Say {{topic}}",
                            "model": "echo",
                        },
                    ],
                }
            ]
        }
        wf = client.create_workflow(project["id"], {"name": "stress", "definition": definition})
    return {"project_id": project["id"], "id": wf["id"]}


def _wait_terminal(client: PipelinesClient, check: Any, deadline: float) -> dict[str, Any]:
    while True:
        status: dict[str, Any] = check()
        if status["status"] in TERMINAL_JOB or time.monotonic() > deadline:
            return status
        time.sleep(0.02)


def test_threads_and_processes_lose_nothing(
    local: LocalPipelines, workflow: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    project_id, workflow_id = workflow["project_id"], workflow["id"]
    started = time.monotonic()
    command = [sys.executable, str(WORKER), local.base_url, str(local.api_key)]
    processes = [
        subprocess.Popen(
            [*command, str(project_id), str(workflow_id), f"p{n}", str(ROUNDS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def thread_worker(n: int) -> None:
        result: dict[str, Any] = {"jobs": [], "experiments": [], "failures": [], "requested": 0}
        with local.client(max_retries=0) as client:
            for index in range(ROUNDS):
                stress_round(client, project_id, workflow_id, f"t{n}-{index}", result)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=thread_worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE_S)
    for proc in processes:
        out, err = proc.communicate(timeout=DEADLINE_S)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert len(results) == THREADS + PROCESSES

    failures = [f for r in results for f in r["failures"]]
    assert failures == []
    # nothing went wrong inside the server either (an internal error, "database is locked")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    jobs = [j for r in results for j in r["jobs"]]
    experiments = [e for r in results for e in r["experiments"]]
    assert len(jobs) == len(experiments) == (THREADS + PROCESSES) * ROUNDS
    requested = sum(r["requested"] for r in results)

    deadline = time.monotonic() + DEADLINE_S
    with local.client(max_retries=0) as client:
        statuses = [
            _wait_terminal(
                client,
                lambda j=j: client.get_create_tasks_status(project_id, workflow_id, j),
                deadline,
            )
            for j in jobs
        ]
        assert {s["status"] for s in statuses} == {"completed"}
        assert sum(s["total"] for s in statuses) == requested
        # the source workflow holds exactly the tasks the jobs asked for (experiments use copies)
        summary = client.get_workflow_status(project_id, workflow_id)
        assert sum(summary["by_status"].values()) == requested
        assert summary["by_status"].get("completed") == requested
        for experiment_id in experiments:
            final = _wait_terminal(
                client,
                lambda e=experiment_id: client.get_experiment_status(project_id, workflow_id, e),
                deadline,
            )
            assert final["status"] == "completed", final
            assert len(final["variants"]) == len(EXPERIMENT_VARIANTS)
            for variant in final["variants"]:
                assert len(variant["task_ids"]) == EXPERIMENT_COUNT
                assert variant["completed"] == EXPERIMENT_COUNT
    assert local.state is not None
    assert local.state.engine.in_flight() == 0
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE_S, f"the stress run took {elapsed:.1f} s"


def test_concurrent_requests_with_one_idempotency_key_make_one_job(
    local: LocalPipelines, workflow: dict[str, Any]
) -> None:
    project_id, workflow_id = workflow["project_id"], workflow["id"]
    with local.client() as client:
        before = sum(client.get_workflow_status(project_id, workflow_id)["by_status"].values())
    barrier = threading.Barrier(8)
    answers: list[Any] = []
    lock = threading.Lock()

    def fire() -> None:
        with local.client(max_retries=0) as own:
            barrier.wait()
            try:
                answer: Any = own.create_tasks_async(
                    project_id, workflow_id, {"count": 2}, idempotency_key="stress-same-key"
                )
            except Exception as exc:
                answer = repr(exc)
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE_S)
    assert len(answers) == 8
    assert all(isinstance(a, dict) for a in answers), answers
    assert len({a["job_id"] for a in answers}) == 1
    with local.client() as client:
        client.wait_for_create_tasks(project_id, workflow_id, answers[0]["job_id"], timeout=30)
        after = sum(client.get_workflow_status(project_id, workflow_id)["by_status"].values())
    assert after - before == 2


def test_concurrent_experiments_with_one_idempotency_key_make_one_experiment(
    local: LocalPipelines, workflow: dict[str, Any]
) -> None:
    project_id, workflow_id = workflow["project_id"], workflow["id"]
    payload = {"count": 1, "variants": [{"name": "same-key", "configOverrides": {}}]}
    barrier = threading.Barrier(6)
    answers: list[Any] = []
    lock = threading.Lock()

    def fire() -> None:
        with local.client(max_retries=0) as own:
            barrier.wait()
            try:
                answer: Any = own.create_experiment(
                    project_id, workflow_id, payload, idempotency_key="stress-same-experiment"
                )
            except Exception as exc:
                answer = repr(exc)
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=fire) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE_S)
    assert all(isinstance(a, dict) for a in answers), answers
    assert len({a["experiment_id"] for a in answers}) == 1
    assert local.state is not None
    copies = [
        w
        for w in local.state.db.query("workflow", parent_id=project_id)
        if w.get("variant") == "same-key"
    ]
    assert len(copies) == 1
