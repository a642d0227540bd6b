"""Benchmark of the model-call cache: a 200-task run live against a slow provider, then replayed.

Run: ``.venv/bin/python benchmarks/bench_model_cache.py [--tasks 200] [--latency 0.05]``.

A fake OpenAI-protocol server on 127.0.0.1 answers every call after ``--latency`` seconds (50 ms
by default, a fast hosted model). The demo workflow runs with its planner and researcher served
by that server (three model calls per task: the plan, and the researcher's tool round and answer;
the judge stays the local demo program), ``--tasks`` tasks with distinct inputs, three ways in
the same process:

- ``live``: no cache, every call goes to the server (the baseline);
- ``record``: every call goes to the server and is written to the cache;
- ``replay``: every call is answered from the cache; the server is stopped first;
- ``demo``: the demo programs instead of provider models: the backend's own floor.

Printed: the wall time of each, ``live / replay`` (how many times faster a replayed suite runs),
``record / live`` (what recording costs) and ``replay / demo`` (what replaying costs over models
that are local Python programs). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._demo.fake_provider import FakeProvider


def run_once(
    tasks: int, mode: str, cache_dir: Path, base_url: str, workers: int
) -> tuple[float, dict[str, object]]:
    """Wall seconds of one ``tasks``-task run of the demo workflow, and its first task's usage."""
    common = f"openai-compatible:fake-model,base_url={base_url}/v1"
    specs = [f"{common},as=demo-planner", f"{common},as=demo-researcher"]
    # replay registers the recorded models itself; "demo" keeps the local demo programs
    models = [] if mode in ("replay", "demo") else specs
    cache_mode = "off" if mode == "demo" else mode
    inputs = [{"city": f"City{i}", "days": 1 + i % 5} for i in range(tasks)]
    with (
        LocalPipelines(
            demo=True, models=models, cache_mode=cache_mode, cache_dir=cache_dir, workers=workers
        ) as local,
        local.client(timeout=600) as client,
    ):
        started = time.perf_counter()
        result = client.create_tasks(22, 10, {"count": tasks, "inputs": inputs})
        elapsed = time.perf_counter() - started
        if result["status"] != "completed":
            failed = client.get_task(22, 10, result["task_ids"][0])
            raise SystemExit(f"{mode}: the run did not complete: {failed.get('error')}")
        detail: dict[str, Any] = dict(client.get_task(22, 10, result["task_ids"][0]))
    return elapsed, dict(detail["usage"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        with FakeProvider(models=("fake-model",), latency=args.latency) as fake:
            live, _ = run_once(args.tasks, "off", cache, fake.base_url, args.workers)
            record, _ = run_once(args.tasks, "record", cache, fake.base_url, args.workers)
            calls = len(fake.requests)
        replay, usage = run_once(args.tasks, "replay", cache, fake.base_url, args.workers)
        demo, _ = run_once(args.tasks, "demo", cache, fake.base_url, args.workers)
        entries = sum(1 for _ in (cache / "calls").rglob("*.json"))

    print(
        f"tasks={args.tasks} provider latency={args.latency * 1000:.0f} ms "
        f"workers={args.workers} provider calls (live + record)={calls} cache entries={entries}"
    )
    print(f"live    {live:8.2f} s")
    print(f"record  {record:8.2f} s   record / live = {record / live:.2f}")
    print(f"replay  {replay:8.2f} s   live / replay = {live / replay:.1f}x")
    print(f"demo    {demo:8.2f} s   replay / demo = {replay / demo:.2f}  (no provider at all)")
    replayed = usage.get("replayed_calls")
    print(f"first replayed task: {replayed} of {usage.get('calls')} model calls from the cache")


if __name__ == "__main__":
    main()
