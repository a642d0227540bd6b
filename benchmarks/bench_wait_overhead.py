"""Wait overhead after a run completes: adaptive polling against a fixed 2 s poll.

A run of the demo workflow is made to take a known time (the plan node's model sleeps; the
durations below are spread so that they do not line up with any poll schedule). For each
duration, the run is waited for twice: with the client's adaptive waiter (``poll_interval=None``:
50 ms growing x1.5 up to 2 s, the schedule the pytest plugin's run fixture uses too) and with a
fixed 2 s poll. The overhead of one wait is the time from the job's ``finished_at`` (as the
backend records it) to the moment the waiter returns.

Prints, per strategy, the median and worst overhead and the ratio fixed/adaptive. No asserts:
timings are a measurement, not a test.

    python benchmarks/bench_wait_overhead.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime

from pytest_pipelines import PipelinesClient
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local.models import ModelRegistry, ModelRequest, default_registry

DURATIONS = (0.15, 0.45, 0.8, 1.3, 2.1, 3.3)
FIXED_POLL = 2.0


def planner(request: ModelRequest) -> str:
    """A deterministic itinerary; the registered latency makes the run last."""
    return "Day 1: Colosseum and the Roman Forum.\nDay 2: Vatican Museums."


def registry() -> ModelRegistry:
    """The demo models plus one slow planner per duration."""
    reg = default_registry(demo=True)
    for seconds in DURATIONS:
        reg.register(f"planner-{seconds}s", planner, latency=seconds)
    return reg


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def one_wait(client: PipelinesClient, seconds: float, poll_interval: float | None) -> float:
    """Launch a run lasting about ``seconds`` and return the wait's overhead in seconds."""
    overrides = {"models": [{"nodeId": "plan", "modelSlug": f"planner-{seconds}s"}]}
    job = client.create_tasks_async(22, 10, {"count": 1, "configOverrides": overrides})
    status = client.wait_for_create_tasks(22, 10, job["job_id"], poll_interval=poll_interval)
    returned = time.time()
    assert status["status"] == "completed", status  # a broken run would measure nothing
    finished = dict(status)["finished_at"]  # local-shapes.md job status; not in the TypedDict
    return returned - _epoch(str(finished))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="rounds over all durations")
    args = parser.parse_args()

    results: dict[str, list[float]] = {"adaptive": [], "fixed 2 s": []}
    with (
        LocalPipelines(demo=True, registry=registry()) as local,
        PipelinesClient(api_key=local.api_key, base_url=local.base_url) as client,
    ):
        one_wait(client, DURATIONS[0], None)  # warm-up (imports, first connection)
        for _ in range(args.repeat):
            for seconds in DURATIONS:
                results["adaptive"].append(one_wait(client, seconds, None))
                results["fixed 2 s"].append(one_wait(client, seconds, FIXED_POLL))

    print(f"wait overhead after the run completes ({len(results['adaptive'])} runs each,")
    print(f"run durations {', '.join(f'{d:g}' for d in DURATIONS)} s)")
    print(f"{'strategy':<10}  {'median':>8}  {'mean':>8}  {'worst':>8}")
    for name, values in results.items():
        print(
            f"{name:<10}  {statistics.median(values) * 1000:>6.0f}ms  "
            f"{statistics.fmean(values) * 1000:>6.0f}ms  {max(values) * 1000:>6.0f}ms"
        )
    adaptive = statistics.median(results["adaptive"])
    fixed = statistics.median(results["fixed 2 s"])
    print(f"ratio fixed/adaptive (median overhead): {fixed / max(adaptive, 1e-6):.1f}x")


if __name__ == "__main__":
    main()
