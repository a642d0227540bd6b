"""benchmarks/bench_local.py keeps running (tiny sizes; no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_local.py"


def test_bench_local_runs_and_reports_ratios() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--tasks", "20", "--requests", "8"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = done.stdout
    assert "GET /_local/health (baseline)" in out
    assert "x baseline" in out
    assert "20-task run, 5 criteria" in out
    assert "status completed: completed 20, failed 0, evaluated 20" in out
