"""``on_status``: every waiter reports each polled status (terminal one included), sync and async.

Also the public poll schedule (``pytest_pipelines.client.poll_delays``).
"""

from __future__ import annotations

import inspect
import itertools
from typing import Any

import httpx
import pytest
from clienttest_helpers import Api, ok

from pytest_pipelines.client import (
    POLL_CAP,
    POLL_FACTOR,
    POLL_START,
    AsyncPipelinesClient,
    PipelinesClient,
    PipelinesConfigError,
    PipelinesTimeoutError,
    is_terminal,
    poll_delays,
)
from pytest_pipelines.client._base import MSG_BAD_POLL_INTERVAL
from pytest_pipelines.client._polls import FIRST_DELAY

pytestmark = pytest.mark.anyio

WAITERS: list[tuple[str, tuple[Any, ...]]] = [
    ("wait_for_create_tasks", (22, 10, "job-1")),
    ("wait_for_experiment", (22, 10, "exp-1")),
    ("wait_for_dataset_import", ("imp-1",)),
    ("wait_for_export_tasks", (22, 10, "exp-job")),
    ("wait_for_seed", (22, 10, "seed-1")),
    ("wait_for_dataset_eval", (4, "eval-1")),
    ("wait_for_test_run", ("tr-1",)),
]


def statuses(*names: str) -> list[httpx.Response]:
    return [ok({"job_id": "job-1", "status": name, "completed": i}) for i, name in enumerate(names)]


@pytest.mark.parametrize(("name", "args"), WAITERS, ids=[w[0] for w in WAITERS])
async def test_every_waiter_reports_every_polled_status(
    api: Api, name: str, args: tuple[Any, ...]
) -> None:
    api.server.reply(*statuses("queued", "running", "running", "completed"))
    seen: list[tuple[str, int, float]] = []

    def record(status: dict[str, Any]) -> None:
        seen.append((status["status"], status["completed"], api.fake.now))

    result = await api.call(name, *args, on_status=record)
    assert [s[:2] for s in seen] == [
        ("queued", 0),
        ("running", 1),
        ("running", 2),
        ("completed", 3),
    ]
    # Called as each poll comes back, before the next sleep: the clock has moved by the
    # delays in between (a run's first polls, client/_polls.py; other jobs: adaptive).
    runs = name in ("wait_for_create_tasks", "wait_for_experiment")
    moved = [0.0, 0.2, 0.6, 1.4] if runs else [0.0, 0.05, 0.125, 0.2375]
    assert [s[2] - 1000.0 for s in seen] == pytest.approx(moved)
    assert result["status"] == "completed"
    assert len(api.server.requests) == 4


async def test_the_terminal_status_object_is_what_the_waiter_returns(api: Api) -> None:
    api.server.reply(*statuses("running", "failed"))
    seen: list[Any] = []
    result = await api.call("wait_for_create_tasks", 1, 2, "job-1", on_status=seen.append)
    assert seen[-1] == result == {"job_id": "job-1", "status": "failed", "completed": 1}
    assert is_terminal(seen[-1])
    assert not is_terminal(seen[0])


async def test_without_a_callback_nothing_changes(api: Api) -> None:
    api.server.reply(*statuses("running", "completed"))
    result = await api.call("wait_for_experiment", 1, 2, "e", on_status=None)
    assert result["status"] == "completed"
    assert api.fake.sleeps == [FIRST_DELAY]


async def test_on_timeout_every_status_was_reported_then_the_timeout_error(api: Api) -> None:
    api.server.handler = lambda request: ok({"status": "running"})
    seen: list[str] = []
    with pytest.raises(PipelinesTimeoutError) as info:
        await api.call(
            "wait_for_create_tasks",
            22,
            10,
            "job-7",
            poll_interval=1.0,
            timeout=3,
            on_status=lambda s: seen.append(s["status"]),
        )
    assert seen == ["running"] * 4  # t=0,1,2,3: the poll at the deadline is reported too
    assert len(api.server.requests) == 4
    message = str(info.value)
    assert "'job-7'" in message
    assert "'running'" in message
    assert "within 3s" in message


async def test_an_error_in_the_callback_stops_the_wait(api: Api) -> None:
    api.server.handler = lambda request: ok({"status": "running"})

    class Stop(Exception):
        pass

    calls: list[dict[str, Any]] = []

    def stop_on_second(status: dict[str, Any]) -> None:
        calls.append(status)
        if len(calls) == 2:
            raise Stop("enough")

    with pytest.raises(Stop, match="enough"):
        await api.call("wait_for_seed", 1, 2, "s", on_status=stop_on_second)
    assert len(api.server.requests) == 2  # no poll after the callback raised


@pytest.mark.parametrize("client_cls", [PipelinesClient, AsyncPipelinesClient])
def test_every_waiter_has_a_keyword_only_on_status_defaulting_to_none(client_cls: type) -> None:
    waiters = [n for n in dir(client_cls) if n.startswith("wait_for_")]
    assert sorted(waiters) == sorted(name for name, _ in WAITERS)
    for name in waiters:
        parameter = inspect.signature(getattr(client_cls, name)).parameters["on_status"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameter.default is None, name


# -- the public schedule -----------------------------------------------------------------------


def test_poll_delays_is_the_adaptive_schedule_by_default() -> None:
    first = list(itertools.islice(poll_delays(), 20))
    assert first[0] == POLL_START == 0.05
    assert all(
        b == pytest.approx(min(a * POLL_FACTOR, POLL_CAP)) for a, b in itertools.pairwise(first)
    )
    assert first[-1] == POLL_CAP == 2.0
    assert first[:4] == pytest.approx([0.05, 0.075, 0.1125, 0.16875])


def test_poll_delays_fixed_interval_repeats() -> None:
    assert list(itertools.islice(poll_delays(0.5), 3)) == [0.5, 0.5, 0.5]
    assert list(itertools.islice(poll_delays(0), 2)) == [0, 0]


def test_poll_delays_rejects_a_negative_interval() -> None:
    with pytest.raises(PipelinesConfigError) as info:
        next(poll_delays(-1))
    assert str(info.value) == MSG_BAD_POLL_INTERVAL.format(value=-1)
    assert "None for the adaptive schedule" in str(info.value)


async def test_waiters_reject_a_negative_poll_interval_before_sleeping(api: Api) -> None:
    api.server.handler = lambda request: ok({"status": "running"})
    with pytest.raises(PipelinesConfigError, match="poll_interval must be"):
        await api.call("wait_for_create_tasks", 1, 2, "j", poll_interval=-0.1)
    assert api.fake.sleeps == []
