"""The local backend's job pool: what more workers buy I/O-bound tasks and cost CPU-bound ones.

For each pool size (``--workers``, default 8 32 64), a fresh interpreter starts a local backend
with that many workers and runs, on a one-node workflow (an input, an LLM field, a
``contains_keywords`` criterion):

- an **I/O-bound** run: ``--tasks`` tasks (default 64) whose model waits ``--latency`` seconds
  (default 0.5, a provider's answer time) and is priced, so the run's cost is known;
- a **CPU-bound** run: ``--tasks`` tasks whose model burns ``--cpu-ms`` of this thread's CPU time
  in pure Python (default 20 ms, a Python tool or criterion), while a probe thread times a cheap
  request (``GET /api/auth/me``) every 10 ms: how long a poll waits behind the busy threads.

Printed per pool size: each run's wall time, the p95 of the tasks' model time (what
``pipelines_budget(max_latency_p95=...)`` judges), the run's cost (what the budgets add up), the
probe's p50/p95 during the CPU-bound run against the probe on the idle backend (same process,
just before), the job threads alive after the runs and the resident memory they added
(``VmRSS`` before the backend starts and after the runs): medians of ``--repeat`` runs (default
3, the sizes alternated). Wall times are also given as ratios to the first pool size's,
measured in the same invocation. No asserts (see benchmarks/README.md).

    python benchmarks/bench_pool.py [--workers 8 32 64] [--tasks 64] [--latency 0.5] [--cpu-ms 20]
                                    [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

TERMINAL = (
    "completed",
    "failed",
    "cancelled",
    "partially_cancelled",
    "completed_with_partial_results",
)
PRICE = (1.0, 2.0)  # USD per million input / output tokens of the I/O-bound model


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def _burn(seconds: float) -> None:
    """Spend ``seconds`` of this thread's CPU time in pure Python (holding the GIL)."""
    until = time.thread_time() + seconds
    total = 0
    while time.thread_time() < until:
        total += sum(range(200))


def measure(workers: int, tasks: int, latency: float, cpu_ms: float) -> dict[str, Any]:
    """One pool size, in this process: the figures :func:`main` prints."""
    import httpx

    from pytest_pipelines.local import LocalPipelines
    from pytest_pipelines.local.models import ModelRequest

    rss_before = _rss_kib()
    # (a caller's own backends have job threads too: only the ones started here are counted)
    others = {t.ident for t in threading.enumerate() if t.name.startswith("pipelines-local-job")}

    def answer(request: ModelRequest) -> str:
        return "Day 1: Rome, the Colosseum."

    def busy(request: ModelRequest) -> str:
        _burn(cpu_ms / 1000)
        return "Day 1: Rome, the Colosseum."

    with LocalPipelines(workers=workers) as local:
        local.registry.register("bench-io", answer, latency=latency)
        local.registry.register("bench-cpu", busy)
        local.registry.set_price("bench-io", *PRICE)
        headers = {"Authorization": f"Bearer {local.api_key}"}
        with httpx.Client(base_url=local.base_url, headers=headers, timeout=300) as http:
            criterion = http.post(
                "/api/criteria",
                json={
                    "name": "rome",
                    "display_label": "rome",
                    "type": "programmatic",
                    "config": {
                        "subtype": "contains_keywords",
                        "keywords": ["Rome"],
                        "mode": "any",
                    },
                    "output_schema": {"type": "boolean"},
                },
            ).json()
            evaluation = http.post(
                "/api/evaluations",
                json={"name": "pool", "criteria": [{"criterion_id": criterion["id"]}]},
            ).json()
            project = http.post("/api/projects", json={"name": "pool"}).json()
            result: dict[str, Any] = {"workers": workers}
            for kind in ("io", "cpu"):
                workflow = http.post(
                    f"/api/projects/{project['id']}/workflows",
                    json={
                        "name": f"pool {kind}",
                        "definition": {
                            "nodes": [
                                {
                                    "id": "n",
                                    "fields": [
                                        {"id": "city", "type": "input", "default": "Rome"},
                                        {
                                            "id": "answer",
                                            "type": "llm",
                                            "prompt_text": "Plan {{city}}",
                                            "model": f"bench-{kind}",
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
                probes: list[float] = []
                idle: list[float] = []
                stop = threading.Event()

                def probe(into: list[float], stop: threading.Event = stop) -> None:
                    while True:  # one request at least, however short the run
                        started = time.perf_counter()
                        http.get("/api/auth/me").raise_for_status()
                        into.append(time.perf_counter() - started)
                        if stop.wait(0.01):
                            return

                if kind == "cpu":  # the probe on the idle backend: the baseline
                    idler = threading.Thread(target=probe, args=(idle,))
                    idler.start()
                    time.sleep(1.0)
                    stop.set()
                    idler.join()
                    stop.clear()
                prober = threading.Thread(target=probe, args=(probes,))
                started = time.perf_counter()
                job = http.post(
                    f"{base}/seeded-data/create-tasks-async", json={"count": tasks}
                ).json()
                if kind == "cpu":
                    prober.start()
                while True:
                    status = http.get(
                        f"{base}/seeded-data/create-tasks-status/{job['job_id']}"
                    ).json()
                    if status["status"] in TERMINAL:
                        break
                    time.sleep(0.02)
                wall = time.perf_counter() - started
                stop.set()
                if prober.is_alive():
                    prober.join()
                model_ms = []
                cost = 0.0
                for task_id in status["task_ids"]:
                    usage = http.get(f"{base}/tasks/{task_id}").json().get("usage") or {}
                    model_ms.append(float(usage.get("latency_ms") or 0.0))
                    cost += float(usage.get("cost_usd") or 0.0)
                result[kind] = {
                    "wall": wall,
                    "completed": status["completed"],
                    "model_p95_ms": _p(model_ms, 0.95),
                    "cost_usd": cost,
                }
                if kind == "cpu":
                    result[kind]["probe_p50_ms"] = 1000 * statistics.median(probes)
                    result[kind]["probe_p95_ms"] = 1000 * _p(probes, 0.95)
                    result[kind]["idle_p50_ms"] = 1000 * statistics.median(idle)
                    result[kind]["idle_p95_ms"] = 1000 * _p(idle, 0.95)
        result["threads"] = sum(
            t.name.startswith("pipelines-local-job") and t.ident not in others
            for t in threading.enumerate()
        )
        result["rss_added_mib"] = (_rss_kib() - rss_before) / 1024
    return result


def median_figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Every number of several runs' figures replaced by its median over the runs."""
    first = runs[0]
    if isinstance(first, dict):
        return {key: median_figures([run[key] for run in runs]) for key in first}
    if isinstance(first, int):  # counts stay whole
        return statistics.median_low(runs)
    return statistics.median(runs) if isinstance(first, float) else first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--tasks", type=int, default=64, help="tasks per run (default 64)")
    parser.add_argument("--latency", type=float, default=0.5, help="I/O model seconds (0.5)")
    parser.add_argument("--cpu-ms", type=float, default=20.0, help="CPU model ms per call (20)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median kept)")
    parser.add_argument("--only", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only is not None:  # the child: one pool size, one JSON line
        print(json.dumps(measure(args.only, args.tasks, args.latency, args.cpu_ms)))
        return
    runs: dict[int, list[dict[str, Any]]] = {w: [] for w in args.workers}
    for _ in range(args.repeat):
        for workers in args.workers:  # alternated: drift in load hits every size alike
            cmd = [sys.executable, __file__, "--only", str(workers), "--tasks", str(args.tasks)]
            cmd += ["--latency", str(args.latency), "--cpu-ms", str(args.cpu_ms)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise SystemExit(f"pool size {workers} failed:\n{proc.stderr}")
            runs[workers].append(json.loads(proc.stdout.splitlines()[-1]))
    rows = [median_figures(runs[w]) for w in args.workers]
    print(
        f"{args.tasks} tasks per run; I/O-bound model {args.latency:g} s, CPU-bound model "
        f"{args.cpu_ms:g} ms of CPU per call; ratios against {rows[0]['workers']} workers"
    )
    first = rows[0]
    for row in rows:
        io, cpu = row["io"], row["cpu"]
        ideal = math.ceil(args.tasks / row["workers"]) * args.latency
        print(f"workers {row['workers']}:")
        print(
            f"  I/O-bound  wall {io['wall']:6.2f} s ({io['wall'] / first['io']['wall']:.2f}x; "
            f"rounds of the pool alone: {ideal:.2f} s), model time p95 "
            f"{io['model_p95_ms']:.0f} ms, cost ${io['cost_usd']:.6f}, "
            f"completed {io['completed']}/{args.tasks}"
        )
        print(
            f"  CPU-bound  wall {cpu['wall']:6.2f} s ({cpu['wall'] / first['cpu']['wall']:.2f}x; "
            f"the CPU alone: {args.tasks * args.cpu_ms / 1000:.2f} s), model time p95 "
            f"{cpu['model_p95_ms']:.0f} ms, completed {cpu['completed']}/{args.tasks}"
        )
        print(
            f"  a request during the CPU-bound run: p50 {cpu['probe_p50_ms']:.1f} ms, p95 "
            f"{cpu['probe_p95_ms']:.1f} ms (idle backend: p50 {cpu['idle_p50_ms']:.1f} ms, "
            f"p95 {cpu['idle_p95_ms']:.1f} ms)"
        )
        print(
            f"  job threads alive after the runs: {row['threads']}, resident memory added "
            f"{row['rss_added_mib']:.1f} MiB"
        )


if __name__ == "__main__":
    main()
