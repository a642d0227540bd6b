"""Collecting a count=1000 run's results: one GET per task against the bulk export.

Starts the local backend with the demo data, runs 1,000 tasks of the demo workflow (the plan
node swapped to the instant ``echo`` model) and counts every HTTP request of the run: the launch,
the polls of the client's adaptive waiter and the collection. Then collects the same tasks four
ways, alternating the order over the repeats:

- ``sequential GETs``: one GET per task, one after another (what the plugin did before);
- ``concurrent GETs``: the plugin's fallback for a deployment whose export has no task details
  (``collect_details`` over a client whose export answer lost its ``details``), 8 in flight;
- ``bulk export``: the plugin's path on the local backend (``collect_details``);
- ``bulk, RunResult``: the same, then every detail read into a ``TaskResult`` (``parse_task``),
  as the plugin does before the gates.

Prints the median collection time, the CPU time of the process in it (client and backend threads
together: less sensitive to other load on the machine than the wall time) and the requests of
each, the ratios against the sequential GETs, and the requests of the whole run with the bulk
export.

Then the whole eval test's run behind a rate limit (issue 12: 10 requests/s, answered with
429 + ``Retry-After``): the plugin's ``execute`` (launch, wait, collect) over a client whose
transport lets at most ``--limit`` requests through per sliding second and answers the rest
with 429 and the whole seconds until a slot frees. Once as shipped (the local status route
holds polls) and once with held polls off (``max_wait`` stripped, as on the hosted API). The
limit lives here, in the benchmark, not in the product. No asserts: timings are a measurement,
not a test.

    python benchmarks/bench_collect.py [--count 1000] [--repeat 3] [--limit 10]
"""

from __future__ import annotations

import argparse
import collections
import math
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from pytest_pipelines import PipelinesClient
from pytest_pipelines._collect import collect_details
from pytest_pipelines._markers import ModelSwap, RunSpec, WorkflowTarget
from pytest_pipelines._results import parse_task
from pytest_pipelines._run import execute
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


class RateLimited(httpx.BaseTransport):
    """At most ``limit`` requests per sliding second reach the server; the rest get a 429 with
    ``Retry-After`` (whole seconds until a slot frees, at least 1). Optionally strips
    ``max_wait`` from status bodies (a deployment without held polls)."""

    def __init__(self, limit: int, *, held_polls: bool = True) -> None:
        self.inner = httpx.HTTPTransport()
        self.limit = limit
        self.held_polls = held_polls
        self.sent: collections.deque[float] = collections.deque()
        self.passed = 0
        self.refused = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            now = time.monotonic()
            while self.sent and now - self.sent[0] >= 1.0:
                self.sent.popleft()
            if len(self.sent) >= self.limit:
                self.refused += 1
                wait = max(1, math.ceil(self.sent[0] + 1.0 - now))
                return httpx.Response(
                    429,
                    json={"detail": "rate limited"},
                    headers={"Retry-After": str(wait)},
                    request=request,
                )
            self.sent.append(now)
            self.passed += 1
        response = self.inner.handle_request(request)
        if self.held_polls or "create-tasks-status" not in request.url.path:
            return response
        response.read()
        body = response.json()
        if isinstance(body, dict):
            body.pop("max_wait", None)
        return httpx.Response(response.status_code, json=body, request=request)

    def close(self) -> None:
        self.inner.close()


def no_fixtures(name: str) -> Any:
    """The run names no fixtures."""
    raise KeyError(name)


def limited_run(
    local: LocalPipelines, count: int, limit: int, *, held_polls: bool
) -> tuple[float, float, int, int]:
    """The plugin's launch, wait and collection of a ``count`` run behind the rate limit:
    (seconds, CPU seconds of the process, requests let through, requests refused with 429)."""
    transport = RateLimited(limit, held_polls=held_polls)
    http = httpx.Client(transport=transport, timeout=60.0)
    spec = RunSpec(
        target=WorkflowTarget(22, 10, count=count), model_swaps=(ModelSwap("plan", "echo"),)
    )
    with PipelinesClient(
        api_key=local.api_key, base_url=local.base_url, http_client=http, max_retries=5
    ) as client:
        began, cpu = time.perf_counter(), time.process_time()
        result = execute(
            client,
            spec,
            resolve_fixture=no_fixtures,
            key=lambda payload: f"bench-collect-{uuid.uuid4().hex}",
            timeout=120.0,
        )
        took, took_cpu = time.perf_counter() - began, time.process_time() - cpu
    assert len(result.tasks) == count, len(result.tasks)  # a broken run would measure nothing
    return took, took_cpu, transport.passed, transport.refused


def sequential(client: PipelinesClient, ids: list[int]) -> None:
    """One GET per task, one after another."""
    for tid in ids:
        client.get_task(22, 10, tid)


def measure(
    local: LocalPipelines, ids: list[int], how: Callable[[PipelinesClient, list[int]], Any]
) -> tuple[float, float, int]:
    """Seconds, CPU seconds of the process (client and backend threads) and requests of one
    collection with a fresh client (detection included)."""
    client, counter = counted_client(local)
    with client:
        client.get_me()  # the connection is open before the clock starts
        before = counter.n
        began, cpu = time.perf_counter(), time.process_time()
        how(client, ids)
        return time.perf_counter() - began, time.process_time() - cpu, counter.n - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="tasks in the run")
    parser.add_argument("--repeat", type=int, default=3, help="collections per path")
    parser.add_argument("--limit", type=int, default=10, help="requests/s of the limited case")
    args = parser.parse_args()

    times: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    requests: dict[str, int] = {}
    with LocalPipelines(demo=True) as local:
        ways: dict[str, Callable[[PipelinesClient, list[int]], Any]] = {
            "sequential GETs": sequential,
            "concurrent GETs": lambda c, ids: collect_details(NoDetails(c), 22, 10, ids),
            "bulk export": lambda c, ids: collect_details(c, 22, 10, ids),
            "bulk, RunResult": lambda c, ids: [
                parse_task(d) for d in collect_details(c, 22, 10, ids)
            ],
        }
        times.update({name: [] for name in ways})
        cpus.update({name: [] for name in ways})
        client, counter = counted_client(local)
        with client:
            began, cpu = time.perf_counter(), time.process_time()
            job = client.create_tasks_async(22, 10, {"count": args.count, "configOverrides": ECHO})
            status = client.wait_for_create_tasks(22, 10, job["job_id"])
            ran, ran_cpu = time.perf_counter() - began, time.process_time() - cpu
            run_requests = counter.n
        ids = [int(t) for t in status["task_ids"]]
        assert status["status"] == "completed", status  # a broken run would measure nothing
        assert len(ids) == args.count, status
        for r in range(args.repeat):
            order = list(ways) if r % 2 == 0 else list(reversed(ways))
            for name in order:
                seconds, cpu_seconds, n = measure(local, ids, ways[name])
                times[name].append(seconds)
                cpus[name].append(cpu_seconds)
                requests[name] = n
        # (label, requests/s, held polls); the unlimited run is the baseline of the same moment
        cases = [
            ("no limit", 10**9, True),
            (f"{args.limit}/s, held polls", args.limit, True),
            (f"{args.limit}/s, no held polls", args.limit, False),
        ]
        limited = {
            label: limited_run(local, args.count, limit, held_polls=held)
            for label, limit, held in cases
        }

    base = statistics.median(times["sequential GETs"])
    print(f"collecting a count={args.count} run ({args.repeat} collections per path, medians)")
    print(f"{'path':<16}  {'time':>8}  {'cpu':>8}  {'requests':>8}  {'time ratio':>10}")
    for name in ways:
        median = statistics.median(times[name])
        cpu_median = statistics.median(cpus[name])
        print(
            f"{name:<16}  {median:>7.3f}s  {cpu_median:>7.3f}s  {requests[name]:>8}  "
            f"{median / base:>9.3f}x"
        )
    print(
        f"the run itself: {ran:.2f}s ({ran_cpu:.2f}s cpu), {run_requests} requests (launch and polls); with the bulk "
        f"export the whole run takes {run_requests + requests['bulk export']} requests, with "
        f"sequential GETs {run_requests + requests['sequential GETs']}"
    )
    print(
        f"the plugin's whole run (launch, wait, collect) of count={args.count}, "
        f"behind {args.limit} requests/s (429 + Retry-After) and without a limit:"
    )
    baseline = limited["no limit"][0]
    for label, (seconds, cpu_seconds, passed, refused) in limited.items():
        print(
            f"  {label:<22} {seconds:>6.2f}s  {seconds / baseline:>5.2f}x  "
            f"{cpu_seconds:>5.2f}s cpu  {passed} requests served, {refused} refused (429)"
        )


if __name__ == "__main__":
    main()
