"""xdist wall time: 8 variants with 1 s model latency, at ``-n 0`` and ``-n 4``.

Generates, in a temporary directory, one eval test with ``pipelines_variants`` of 8 variants on
the demo workflow; every variant swaps the plan node to a model that takes 1 s per call (so one
variant's run lasts a bit over 1 s). The suite runs in local mode (the embedded backend starts
once, on the controller, and xdist workers share it). It is run with ``-n 0`` and ``-n 4``,
``--repeat`` times each (default 3), and the script prints the median wall times, the speed-up
and whether both gave the same verdicts. No asserts.

    python benchmarks/bench_xdist.py [--repeat 3] [--workers 4]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = 8
LATENCY = 1.0

INI = """[pytest]
pipelines_env = local
pipelines_demo = true
pipelines_models =
    slow_models:register
pythonpath = .
addopts = -p no:cacheprovider
"""

MODELS = f"""
from pytest_pipelines.local.models import ModelRegistry, ModelRequest


def slow_planner(request: ModelRequest) -> str:
    return "Day 1: Colosseum and the Roman Forum.\\nDay 2: Vatican Museums."


def register(registry: ModelRegistry) -> None:
    for n in range({VARIANTS}):
        registry.register(f"slow-planner-{{n}}", slow_planner, latency={LATENCY})
"""

TEST = f"""
import pytest

VARIANTS = {{
    f"v{{n}}": {{"models": [{{"nodeId": "plan", "modelSlug": f"slow-planner-{{n}}"}}]}}
    for n in range({VARIANTS})
}}


@pytest.mark.pipelines_workflow(project=22, workflow=10, count=1)
@pytest.mark.pipelines_variants(**VARIANTS)
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0)
def test_variants(pipelines_run):
    assert len(pipelines_run.tasks) == 1
"""


def generate(root: Path) -> None:
    """The ini file, the slow models and the variants test."""
    (root / "pytest.ini").write_text(INI)
    (root / "slow_models.py").write_text(MODELS)
    (root / "test_variants.py").write_text(TEST)


def run(root: Path, workers: int) -> tuple[float, list[str]]:
    """Wall time of one pytest run and its per-item outcomes (sorted)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PIPELINES_"))}
    cmd = [sys.executable, "-m", "pytest", "-rA", "-q", "-n", str(workers)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    outcomes = sorted(re.findall(r"^(PASSED|FAILED|ERROR) (\S+)", proc.stdout, re.MULTILINE))
    if proc.returncode != 0 or len(outcomes) != VARIANTS:
        raise SystemExit(f"pytest -n {workers} failed ({proc.returncode}):\n{proc.stdout}")
    return elapsed, [f"{nodeid} {outcome}" for outcome, nodeid in outcomes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per setting (median kept)")
    parser.add_argument("--workers", type=int, default=4, help="xdist workers to compare")
    args = parser.parse_args()
    try:
        import xdist  # noqa: F401
    except ImportError:
        raise SystemExit("needs pytest-xdist: pip install -e '.[local,xdist]'") from None

    with tempfile.TemporaryDirectory(prefix="bench-xdist-") as tmp:
        root = Path(tmp)
        generate(root)
        times: dict[int, list[float]] = {0: [], args.workers: []}
        verdicts: dict[int, list[str]] = {}
        for _ in range(args.repeat):
            for n in times:
                elapsed, outcomes = run(root, n)
                times[n].append(elapsed)
                verdicts[n] = outcomes

    print(f"{VARIANTS} variants, {LATENCY:g} s model latency, {args.repeat} runs each (median)")
    for n, values in times.items():
        print(
            f"  -n {n}: {statistics.median(values):6.2f} s   (runs: {', '.join(f'{v:.2f}' for v in values)})"
        )
    serial, parallel = statistics.median(times[0]), statistics.median(times[args.workers])
    print(f"speed-up -n 0 / -n {args.workers}: {serial / parallel:.2f}x")
    same = verdicts[0] == verdicts[args.workers]
    print(f"same verdicts at -n 0 and -n {args.workers}: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
