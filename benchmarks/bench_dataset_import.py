"""Benchmark of the local backend's dataset import: is it linear in the number of rows?

Run: ``.venv/bin/python benchmarks/bench_dataset_import.py [--rows 60000] [--repeat 1]``.

Imports CSV files of ``rows/4``, ``rows/2`` and ``rows`` rows (about 50 bytes a row: 60,000 rows
are ~3 MB) through ``POST /api/datasets/import/file`` and waits for the import job. Absolute times
depend on the machine; the ratio of the largest import to the smallest is the figure that says
whether the import is linear (a ratio near 4) or quadratic (near 16). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from pytest_pipelines.local import LocalPipelines


def csv_rows(n: int) -> bytes:
    """A CSV of ``n`` rows: a question, an answer, an expected answer and a score."""
    lines = ["question,answer,expected,score"]
    lines += [f"Capital of country {i}?,City {i},City {i},{i % 5}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def import_seconds(http: httpx.Client, content: bytes, timeout: float = 600.0) -> float:
    """Seconds from the upload to the import job's completion."""
    started = time.perf_counter()
    job = http.post(
        "/api/datasets/import/file",
        files={"file": ("rows.csv", content, "text/csv")},
        data={"name": f"bench {len(content)}"},
    )
    job.raise_for_status()
    url = f"/api/datasets/import/jobs/{job.json()['job_id']}"
    deadline = started + timeout
    while True:
        status = http.get(url).json()
        if status["status"] in ("completed", "failed", "cancelled"):
            break
        if time.perf_counter() > deadline:
            raise TimeoutError(f"import of {len(content)} bytes still {status['status']}")
        time.sleep(0.05)
    if status["status"] != "completed":
        raise RuntimeError(f"import ended {status['status']}: {status.get('error')}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    sizes = [args.rows // 4, args.rows // 2, args.rows]
    with (
        LocalPipelines(demo=True) as local,
        httpx.Client(
            base_url=local.base_url,
            headers={"Authorization": f"Bearer {local.api_key}"},
            timeout=600,
        ) as http,
    ):
        times: dict[int, float] = {}
        for n in sizes:
            content = csv_rows(n)
            times[n] = statistics.median(import_seconds(http, content) for _ in range(args.repeat))
            print(f"{n:>8} rows  {len(content) / 1e6:6.2f} MB  {times[n]:8.2f} s", flush=True)
    ratio = times[sizes[-1]] / times[sizes[0]]
    print(f"{sizes[-1]} / {sizes[0]} rows: time ratio {ratio:.1f} (4 = linear, 16 = quadratic)")


if __name__ == "__main__":
    main()
