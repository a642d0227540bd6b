"""Collecting a count=1000 run's results: one GET per task against the bulk export.

Starts the local backend with the demo data, runs 1,000 tasks of the demo workflow (the plan
node swapped to the instant ``echo`` model) and counts every HTTP request of the run: the launch,
the polls of the client's adaptive waiter and the collection. Then collects the same tasks three
ways, alternating the order over the repeats:

- ``sequential GETs``: one GET per task, one after another (what the plugin did before);
- ``concurrent GETs``: the plugin's fallback for a deployment whose export has no task details
  (``collect_details`` over a client whose export answer lost its ``details``), 8 in flight;
- ``bulk export``: the plugin's path on the local backend (``collect_details``).

Prints the median collection time and the requests of each, the ratios against the sequential
GETs, and the requests of the whole run with the bulk export. No asserts: timings are a
measurement, not a test.

    python benchmarks/bench_collect.py [--count 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx

from pytest_pipelines import PipelinesClient
from pytest_pipelines._collect import collect_details
from pytest_pipelines.local import LocalPipelines

ECHO = {"models": [{"nodeId": "plan", "modelSlug": "echo"}]}


class Requests:
    """Counts the requests an httpx client sends."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, request: httpx.Request) -> None:
        self.n += 1


class NoDetails:
    """A client whose export answer lacks task details (a deployment without the bulk shape)."""

    def __init__(self, client: PipelinesClient) -> None:
        self.client = client

    def export_tasks(self, *args: Any) -> Any:
        response = dict(self.client.export_tasks(*args))
        response.pop("details", None)
        return response

    def get_task(self, *args: Any) -> Any:
        return self.client.get_task(*args)


def counted_client(local: LocalPipelines) -> tuple[PipelinesClient, Requests]:
    """A client of ``local`` and the counter of its requests."""
    counter = Requests()
    http = httpx.Client(timeout=60.0, event_hooks={"request": [counter]})
    return PipelinesClient(
        api_key=local.api_key, base_url=local.base_url, http_client=http
    ), counter


def sequential(client: PipelinesClient, ids: list[int]) -> None:
    """One GET per task, one after another."""
    for tid in ids:
        client.get_task(22, 10, tid)


def measure(
    local: LocalPipelines, ids: list[int], how: Callable[[PipelinesClient, list[int]], Any]
) -> tuple[float, int]:
    """Seconds and requests of one collection with a fresh client (detection included)."""
    client, counter = counted_client(local)
    with client:
        client.get_me()  # the connection is open before the clock starts
        before = counter.n
        began = time.perf_counter()
        how(client, ids)
        return time.perf_counter() - began, counter.n - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="tasks in the run")
    parser.add_argument("--repeat", type=int, default=3, help="collections per path")
    args = parser.parse_args()

    ways: dict[str, Callable[[PipelinesClient, list[int]], Any]] = {
        "sequential GETs": sequential,
        "concurrent GETs": lambda c, ids: collect_details(NoDetails(c), 22, 10, ids),
        "bulk export": lambda c, ids: collect_details(c, 22, 10, ids),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    requests: dict[str, int] = {}
    with LocalPipelines(demo=True) as local:
        client, counter = counted_client(local)
        with client:
            began = time.perf_counter()
            job = client.create_tasks_async(22, 10, {"count": args.count, "configOverrides": ECHO})
            status = client.wait_for_create_tasks(22, 10, job["job_id"])
            ran = time.perf_counter() - began
            run_requests = counter.n
        ids = [int(t) for t in status["task_ids"]]
        assert status["status"] == "completed", status  # a broken run would measure nothing
        assert len(ids) == args.count, status
        for r in range(args.repeat):
            order = list(ways) if r % 2 == 0 else list(reversed(ways))
            for name in order:
                seconds, n = measure(local, ids, ways[name])
                times[name].append(seconds)
                requests[name] = n

    base = statistics.median(times["sequential GETs"])
    print(f"collecting a count={args.count} run ({args.repeat} collections per path, medians)")
    print(f"{'path':<16}  {'time':>8}  {'requests':>8}  {'time ratio':>10}")
    for name in ways:
        median = statistics.median(times[name])
        print(f"{name:<16}  {median:>7.3f}s  {requests[name]:>8}  {median / base:>9.3f}x")
    print(
        f"the run itself: {ran:.2f}s, {run_requests} requests (launch and polls); with the bulk "
        f"export the whole run takes {run_requests + requests['bulk export']} requests, with "
        f"sequential GETs {run_requests + requests['sequential GETs']}"
    )


if __name__ == "__main__":
    main()
