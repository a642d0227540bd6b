"""Poll timing (``client/_polls.py``) as pure code, and the waiters that use it (mock transport).

The local-backend side (a route that holds ``?wait=`` polls) is tested end to end in
tests/local/test_held_polls.py.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import httpx
import pytest
from clienttest_helpers import Api, ok

from pytest_pipelines.client import POLL_CAP, POLL_START, poll_delays
from pytest_pipelines.client._polls import (
    DURATIONS_KEPT,
    TAIL_FRACTION,
    PollPlan,
    RunDurations,
    held_poll_limit,
    progress_fraction,
    run_size,
)

pytestmark = pytest.mark.anyio


def job(state: str = "running", **counts: Any) -> dict[str, Any]:
    return {"job_id": "job-1", "status": state, **counts}


# -- reading statuses ---------------------------------------------------------------------------


def test_progress_and_size_of_a_job_and_of_an_experiment() -> None:
    assert progress_fraction(job(total=8, completed=3, failed=1)) == 0.5
    assert run_size(job(total=8, completed=3)) == 8
    experiment = {
        "status": "running",
        "variants": [
            {"task_ids": [1, 2], "completed": 2},
            {"task_ids": [3, 4], "completed": 0, "cancelled": 1},
        ],
    }
    assert progress_fraction(experiment) == 0.75
    assert run_size(experiment) == 4
    # the hosted contract promises only `status`: nothing to read, no guess
    assert progress_fraction(job()) is None
    assert run_size(job()) is None
    assert progress_fraction(job(total=0, completed=0)) is None
    assert progress_fraction(job(total=True, completed=1)) is None
    assert progress_fraction("not a status") is None


@pytest.mark.parametrize(
    ("value", "limit"),
    [(30, 30.0), (2.5, 2.5), (0, None), (-1, None), (True, None), ("30", None), (math.nan, None)],
)
def test_held_poll_limit_is_a_positive_finite_number(value: Any, limit: float | None) -> None:
    assert held_poll_limit(job(max_wait=value)) == limit
    assert held_poll_limit(job()) is None


def test_run_durations_keep_the_median_of_the_last_few() -> None:
    durations = RunDurations()
    assert durations.prior("k") is None
    for seconds in (9.0, 1.0, 2.0, 3.0, 4.0, 5.0):
        durations.record("k", seconds)
    # the oldest (9.0) fell out: the median of the last DURATIONS_KEPT
    assert DURATIONS_KEPT == 5
    assert durations.prior("k") == 3.0
    assert durations.prior("other") is None


# -- the plan -----------------------------------------------------------------------------------


def test_without_anything_known_the_adaptive_schedule_is_kept() -> None:
    plan = PollPlan()
    got = [plan.next_poll(job(), t)[0] for t in range(6)]
    assert got == list(itertools.islice(poll_delays(), 6))


def test_progress_predicts_the_end_and_the_plan_sleeps_to_it() -> None:
    plan = PollPlan()
    # a quarter of 8 tasks done after 1 s: the run should end at 4 s
    assert plan.predicted_end(job(total=8, completed=2), 1.0) == 4.0
    assert plan.next_poll(job(total=8, completed=2), 1.0) == (POLL_CAP, 0.0)
    assert plan.next_poll(job(total=8, completed=6), 3.0) == (pytest.approx(1.0), 0.0)


def test_a_prior_times_the_first_poll_and_quick_polls_follow_a_late_end() -> None:
    plan = PollPlan(prior=3.0)
    assert plan.next_poll(job(), 0.01) == (POLL_CAP, 0.0)
    assert plan.next_poll(job(), 2.01) == (pytest.approx(0.99), 0.0)
    # past the predicted end and still running: quick polls, growing from a fraction of it
    first = TAIL_FRACTION * 3.0
    assert plan.next_poll(job(), 3.0)[0] == pytest.approx(first)
    assert plan.next_poll(job(), 3.1)[0] == pytest.approx(first * 1.5)
    # a short prior keeps the shortest delay as the floor
    assert PollPlan(prior=0.2).next_poll(job(), 0.2)[0] == POLL_START


def test_progress_overrides_the_prior() -> None:
    plan = PollPlan(prior=10.0)
    assert plan.predicted_end(job(total=4, completed=2), 1.0) == 2.0
    assert plan.predicted_end(job(total=4, completed=0), 1.0) == 10.0


def test_an_advertised_hold_is_used_and_dropped_when_not_honoured() -> None:
    plan = PollPlan(prior=5.0)
    assert plan.next_poll(job(max_wait=30), 0.0) == (0.0, POLL_CAP)
    assert plan.next_poll(job(max_wait=30), 2.0) == (0.0, POLL_CAP)  # held the full 2 s
    # back after 0.1 s, still running: ?wait= was dropped on the way; no back-to-back polls
    assert plan.next_poll(job(max_wait=30), 2.1) == (POLL_CAP, 0.0)
    assert not plan.holdable


def test_fixed_interval_and_unholdable_routes_never_hold() -> None:
    assert PollPlan(2.0).next_poll(job(max_wait=30), 0.0) == (2.0, 0.0)
    assert PollPlan(holdable=False).next_poll(job(max_wait=30), 0.0) == (POLL_START, 0.0)


def test_duration_is_the_midpoint_of_the_last_two_statuses() -> None:
    plan = PollPlan()
    plan.next_poll(job(), 2.0)
    assert plan.duration(3.0) == 2.5
    assert PollPlan().duration(0.4) == 0.2  # terminal at the first poll


# -- the client's waiters -----------------------------------------------------------------------


def holding(api: Api, *bodies: dict[str, Any]) -> None:
    """Answer with ``bodies`` in turn, each after the hold its request asked for (fake time)."""
    queue = list(bodies)

    def answer(request: httpx.Request) -> httpx.Response:
        api.fake.now += float(request.url.params.get("wait", 0))
        return ok(queue.pop(0))

    api.server.handler = answer


async def test_waiter_holds_polls_where_the_status_offers_it(api: Api) -> None:
    holding(api, job("queued", max_wait=30), job(max_wait=30), job("completed"))
    result = await api.call("wait_for_create_tasks", 22, 10, "job-1")
    assert result["status"] == "completed"
    assert [r.params for r in api.server.requests] == [{}, {"wait": "2.0"}, {"wait": "2.0"}]
    assert api.fake.sleeps == []  # the server did the waiting


async def test_hold_never_outlasts_the_waiters_timeout(api: Api) -> None:
    holding(api, job("queued", max_wait=30), job("completed"))
    await api.call("wait_for_experiment", 22, 10, "exp-1", timeout=0.5)
    assert api.server.requests[1].params == {"wait": "0.5"}


async def test_fixed_poll_interval_and_other_waiters_do_not_hold(api: Api) -> None:
    api.server.reply(ok(job(max_wait=30)), ok(job("completed")))
    await api.call("wait_for_create_tasks", 22, 10, "job-1", poll_interval=2.0)
    api.server.reply(ok(job(max_wait=30)), ok(job("completed")))
    await api.call("wait_for_export_tasks", 22, 10, "exp-job")
    assert all(r.params == {} for r in api.server.requests)
    assert api.fake.sleeps == [2.0, POLL_START]


async def test_a_second_run_of_a_workflow_is_polled_at_its_predicted_end(api: Api) -> None:
    # first run: 8 adaptive polls, ends between 2.4 s and 3.7 s on the fake clock
    first = [ok(job()) for _ in range(9)] + [ok(job("completed"))]
    api.server.reply(*first)
    await api.call("wait_for_create_tasks", 22, 10, "job-1")
    learnt = (sum(itertools.islice(poll_delays(), 8)) + sum(itertools.islice(poll_delays(), 9))) / 2
    api.fake.sleeps.clear()
    api.server.reply(ok(job()), ok(job()), ok(job("completed")))
    await api.call("wait_for_create_tasks", 22, 10, "job-2")
    assert api.fake.sleeps == pytest.approx([POLL_CAP, learnt - POLL_CAP])
    # another workflow learnt nothing from it
    api.fake.sleeps.clear()
    api.server.reply(ok(job()), ok(job("completed")))
    await api.call("wait_for_create_tasks", 22, 11, "job-3")
    assert api.fake.sleeps == [POLL_START]


def test_a_status_without_counts_is_read_from_a_real_response_too() -> None:
    # the hosted shape: only `status` (SHAPES.md); the plan falls back to the schedule
    body = httpx.Response(200, json={"status": "running"}).json()
    assert PollPlan().next_poll(body, 0.0) == (POLL_START, 0.0)
