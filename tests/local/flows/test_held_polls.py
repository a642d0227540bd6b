"""Held status polls (``?wait=``, a local extension) end to end: the route, the client's waiter
and the plugin's run waiter against runs made slow by a registered model."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from pytest_pipelines._markers import RunSpec, WorkflowTarget
from pytest_pipelines._run import Launch, wait
from pytest_pipelines.client import POLL_CAP, PipelinesClient
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._http.deps import MAX_STATUS_WAIT
from pytest_pipelines.local.models import ModelRequest, default_registry

RUN_S = 1.0
SLOW = {"models": [{"nodeId": "plan", "modelSlug": "slow-planner"}]}


def planner(request: ModelRequest) -> str:
    return "Day 1: the Colosseum."


@pytest.fixture(scope="module")
def slow() -> Iterator[tuple[LocalPipelines, PipelinesClient]]:
    registry = default_registry(demo=True)
    registry.register("slow-planner", planner, latency=RUN_S)
    with LocalPipelines(demo=True, registry=registry) as local, local.client() as client:
        yield local, client


def launch(client: PipelinesClient) -> str:
    created = client.create_tasks_async(22, 10, {"count": 1, "configOverrides": SLOW})
    return str(created["job_id"])


def epoch(stamp: Any) -> float:
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()


def test_the_status_route_holds_until_the_job_ends(
    slow: tuple[LocalPipelines, PipelinesClient],
) -> None:
    local, client = slow
    job = launch(client)
    first = client.get_create_tasks_status(22, 10, job)
    assert first["status"] in ("queued", "running")
    assert first["max_wait"] == MAX_STATUS_WAIT
    began = time.monotonic()
    held = client.get_create_tasks_status(22, 10, job, wait=10)
    took = time.monotonic() - began
    returned = time.time()
    assert held["status"] == "completed"
    # answered when the run ended (about RUN_S in), not at once and not after the 10 s
    assert 0.5 < took < 5.0, took
    assert returned - epoch(held["finished_at"]) < 0.5
    # a hold past the limit is refused, naming the parameter
    response = httpx.get(
        f"{local.base_url}/api/projects/22/workflows/10/seeded-data/create-tasks-status/{job}",
        params={"wait": MAX_STATUS_WAIT + 1},
        headers={"Authorization": f"Bearer {local.api_key}"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "wait"]


def test_a_held_wait_for_an_unfinished_job_answers_after_the_hold(
    slow: tuple[LocalPipelines, PipelinesClient],
) -> None:
    _, client = slow
    job = launch(client)
    began = time.monotonic()
    status = client.get_create_tasks_status(22, 10, job, wait=0.3)
    assert status["status"] in ("queued", "running")
    assert 0.25 < time.monotonic() - began < RUN_S
    client.wait_for_create_tasks(22, 10, job)


def test_waiters_notice_the_end_at_once_with_few_polls(
    slow: tuple[LocalPipelines, PipelinesClient],
) -> None:
    _, client = slow
    job = launch(client)
    polls: list[Any] = []
    status = client.wait_for_create_tasks(22, 10, job, on_status=polls.append)
    late = time.time() - epoch(status["finished_at"])
    assert late < 0.5, late
    # one plain poll, then held ones of at most POLL_CAP each (the SDK's 2 s poll makes 2)
    assert 2 <= len(polls) <= 2 + int(RUN_S / POLL_CAP) + 1, len(polls)

    # the plugin's run waiter, with its progress line fed by each poll
    job = launch(client)
    seen: list[tuple[str, int, int, int]] = []
    spec = RunSpec(target=WorkflowTarget(22, 10))
    status = wait(
        client,
        spec,
        Launch("tasks", job, {}),
        timeout=30,
        progress=lambda *args: seen.append(args),
    )
    late = time.time() - epoch(status["finished_at"])
    assert late < 0.5, late
    assert status["status"] == "completed"
    assert 2 <= len(seen) <= 2 + int(RUN_S / POLL_CAP) + 1, seen
    assert seen[-1][:3] == ("completed", 1, 1)


def test_a_held_poll_rests_between_status_computations(
    slow: tuple[LocalPipelines, PipelinesClient],
) -> None:
    """A status costs O(tasks): a holder recomputing it at every settle made a count=1000 run
    take 18 s instead of 5. Here 200 settles arrive while each computation costs 10 ms: the
    holder rests between computations instead of making one per settle."""

    local, _ = slow
    assert local.state is not None
    engine = local.state.engine
    computed = 0
    settles = 200

    def compute() -> dict[str, Any]:
        nonlocal computed
        computed += 1
        time.sleep(0.01)
        return {"status": "running"}

    def settle() -> None:
        for _ in range(settles):
            engine._notify_settled()
            time.sleep(0.002)

    notifier = threading.Thread(target=settle)
    notifier.start()
    engine.hold(compute, 0.5)
    notifier.join()
    # resting 4x a computation's cost allows at most one computation per ~50 ms (+ the first);
    # one per settle would be far more (every settle changes the generation it waits on)
    assert computed <= 0.5 / 0.05 + 2, computed
