"""Benchmark of the local backend: request throughput and a 1,000-task run with 5 criteria.

Run: ``.venv/bin/python benchmarks/bench_local.py [--tasks 1000] [--requests 300]``.

Absolute numbers depend on the machine, so every figure is also printed as a ratio against a
baseline measured in the same run: one ``GET /_local/health`` round trip. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from pytest_pipelines.local import LocalPipelines


def timed(n: int, call: Callable[[], Any]) -> float:
    """Mean seconds per call over ``n`` calls."""
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.fmean(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    with (
        LocalPipelines(demo=True, workers=args.workers) as local,
        httpx.Client(
            base_url=local.base_url,
            headers={"Authorization": f"Bearer {local.api_key}"},
            timeout=120,
        ) as http,
    ):
        n = args.requests
        baseline = timed(n, lambda: http.get("/_local/health").raise_for_status())
        rows = [("GET /_local/health (baseline)", baseline)]
        rows.append(
            ("GET /api/auth/me", timed(n, lambda: http.get("/api/auth/me").raise_for_status()))
        )
        rows.append(
            (
                "GET /api/prompts?page_size=20",
                timed(
                    n, lambda: http.get("/api/prompts", params={"page_size": 20}).raise_for_status()
                ),
            )
        )
        counter = iter(range(10**9))
        rows.append(
            (
                "POST /api/prompts",
                timed(
                    n,
                    lambda: http.post(
                        "/api/prompts", json={"name": f"bench {next(counter)}", "prompt_text": "x"}
                    ).raise_for_status(),
                ),
            )
        )
        rows.append(
            (
                "GET .../configurable-fields",
                timed(
                    n,
                    lambda: http.get(
                        "/api/projects/22/workflows/10/configurable-fields"
                    ).raise_for_status(),
                ),
            )
        )

        print(f"request latency and throughput ({n} sequential requests each)")
        print(f"{'request':36} {'mean ms':>9} {'req/s':>9} {'x baseline':>11}")
        for name, mean in rows:
            print(f"{name:36} {mean * 1000:9.2f} {1 / mean:9.0f} {mean / baseline:11.2f}")

        # Concurrent throughput: 8 clients at once.
        clients = 8
        per_client = max(1, n // clients)

        def hammer() -> None:
            with httpx.Client(
                base_url=local.base_url, headers={"Authorization": f"Bearer {local.api_key}"}
            ) as own:
                for _ in range(per_client):
                    own.get("/api/prompts", params={"page_size": 20}).raise_for_status()

        threads = [threading.Thread(target=hammer) for _ in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        total = clients * per_client
        print(
            f"{clients} concurrent clients, GET /api/prompts: {total / wall:.0f} req/s "
            f"({total / wall * baseline:.2f} x the sequential baseline rate)"
        )

        # A 1,000-task run with 5 criteria on a zero-latency model.
        criteria = [
            (
                "programmatic",
                {"subtype": "contains_keywords", "keywords": ["Rome"], "mode": "any"},
                {"type": "boolean"},
            ),
            (
                "programmatic",
                {"subtype": "regex_match", "pattern": r"Day\s+\d"},
                {"type": "boolean"},
            ),
            (
                "programmatic",
                {"subtype": "exact_match", "case_sensitive": False},
                {"type": "boolean"},
            ),
            ("programmatic", {"subtype": "json_validity"}, {"type": "boolean"}),
            (
                "llm_judge",
                {
                    "model": "demo-judge",
                    "prompt_template": "Score the answer from 1 to 5. Return only the number.",
                },
                {"type": "rating", "range": [1, 5]},
            ),
        ]
        ids = []
        for i, (ctype, config, output) in enumerate(criteria):
            created = http.post(
                "/api/criteria",
                json={
                    "name": f"bench criterion {i}",
                    "display_label": f"c{i}",
                    "type": ctype,
                    "config": config,
                    "output_schema": output,
                },
            )
            created.raise_for_status()
            ids.append(created.json()["id"])
        evaluation = http.post(
            "/api/evaluations",
            json={"name": "bench", "criteria": [{"criterion_id": i} for i in ids]},
        ).json()
        project = http.post("/api/projects", json={"name": "bench"}).json()
        workflow = http.post(
            f"/api/projects/{project['id']}/workflows",
            json={
                "name": "bench",
                "definition": {
                    "nodes": [
                        {
                            "id": "n",
                            "fields": [
                                {"id": "city", "type": "input", "default": "Rome"},
                                {
                                    "id": "answer",
                                    "type": "llm",
                                    "prompt_text": "Day 1 in {{city}}",
                                    "model": "echo",
                                },
                            ],
                        },
                        {
                            "id": "r",
                            "fields": [
                                {
                                    "id": "q",
                                    "type": "evaluation",
                                    "evaluation_id": evaluation["id"],
                                    "target": {"node_id": "n", "field_id": "answer"},
                                }
                            ],
                        },
                    ]
                },
            },
        ).json()
        base = f"/api/projects/{project['id']}/workflows/{workflow['id']}"
        started = time.perf_counter()
        job = http.post(
            f"{base}/seeded-data/create-tasks-async",
            json={"count": args.tasks, "expected_outputs": ["day 1 in rome"]},
        ).json()
        queued = time.perf_counter() - started
        polls = 0
        while True:
            status = http.get(f"{base}/seeded-data/create-tasks-status/{job['job_id']}").json()
            polls += 1
            if status["status"] in (
                "completed",
                "failed",
                "cancelled",
                "partially_cancelled",
                "completed_with_partial_results",
            ):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        print()
        print(f"{args.tasks}-task run, 5 criteria, zero-latency model, {args.workers} workers")
        print(
            f"  status {status['status']}: completed {status['completed']}, failed {status['failed']}, evaluated {status['evaluated']}"
        )
        print(
            f"  create-tasks-async answered in {queued * 1000:.1f} ms ({queued / baseline:.1f} x baseline)"
        )
        print(
            f"  whole run {elapsed:.2f} s = {args.tasks / elapsed:.0f} tasks/s = {elapsed / args.tasks * 1000:.2f} ms/task "
            f"({elapsed / args.tasks / baseline:.1f} x baseline per task), {polls} status polls"
        )


if __name__ == "__main__":
    main()
