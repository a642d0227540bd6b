"""Runs overlap: wall time of 20 one-second eval tests and of 8 one-second variants at ``-n 0``.

Generates, in a temporary directory, a suite on the demo workflow whose plan node is swapped to
a model that takes 1 s per call (so one test's run lasts a bit over 1 s): 20 independent eval
tests (``test_many.py``) and one test with 8 ``pipelines_variants`` in tasks mode
(``test_variants.py``). Each is timed at ``-n 0`` in three settings: ``serial`` (every run starts
at its test's setup: ``pipelines_max_concurrent_runs = 1``, 8 local workers), ``ahead-8`` (runs
launched ahead, 8 at most, on a backend running 8 tasks at once: the defaults before the pool
was sized for I/O) and ``ahead`` (the plugin's defaults, or ``--local-workers`` /
``--max-concurrent-runs``), against one such test alone in the same setting (the baseline, same
interpreter start-up and local backend start), ``--repeat`` times each (default 3, medians
kept). Prints the wall times, the ratios to one test alone, and whether every setting gave the
same verdicts. No asserts (see benchmarks/README.md).

    python benchmarks/bench_overlap.py [--repeat 3] [--local-workers N] [--max-concurrent-runs N]
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

TESTS = 20
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
    registry.register("slow-planner", slow_planner, latency={LATENCY})
    for n in range({VARIANTS}):
        registry.register(f"slow-planner-{{n}}", slow_planner, latency={LATENCY})
"""

MANY = f"""
import pytest


@pytest.mark.pipelines_workflow(project=22, workflow=10, count=1)
@pytest.mark.pipelines_model_swap("plan", "slow-planner")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0)
@pytest.mark.parametrize("n", range({TESTS}))
def test_one(pipelines_run, n):
    assert len(pipelines_run.tasks) == 1
"""

VARIANTS_TEST = f"""
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

#: what is timed: name -> (pytest arguments, tests it runs)
CASES = {
    "one test alone": (["test_many.py::test_one[0]"], 1),
    f"{TESTS} tests": (["test_many.py"], TESTS),
    f"{VARIANTS} variants": (["test_variants.py"], VARIANTS),
}


def generate(root: Path) -> None:
    """The ini file, the slow models and the two test files."""
    (root / "pytest.ini").write_text(INI)
    (root / "slow_models.py").write_text(MODELS)
    (root / "test_many.py").write_text(MANY)
    (root / "test_variants.py").write_text(VARIANTS_TEST)


def settings(local_workers: int | None, bound: int | None) -> dict[str, list[str]]:
    """The ini overrides of each setting timed (see the module docstring)."""
    ahead = [f"pipelines_local_workers={local_workers}"] if local_workers else []
    ahead += [f"pipelines_max_concurrent_runs={bound}"] if bound else []
    return {
        "serial": ["pipelines_max_concurrent_runs=1", "pipelines_local_workers=8"],
        "ahead-8": ["pipelines_max_concurrent_runs=8", "pipelines_local_workers=8"],
        "ahead": ahead,
    }


def run(
    root: Path, args: list[str], expected: int, overrides: list[str]
) -> tuple[float, float, list[str]]:
    """Wall time of one pytest run at ``-n 0``, the session time pytest reports (``N passed in
    X s``: without the interpreter's start-up, which a loaded machine stretches), and its
    per-item outcomes (sorted).

    :param overrides: ``key=value`` ini overrides (``-o``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PIPELINES_"))}
    cmd = [sys.executable, "-m", "pytest", "-rA", "-q", "-p", "no:xdist", *args]
    for override in overrides:
        cmd += ["-o", override]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    outcomes = sorted(re.findall(r"^(PASSED|FAILED|ERROR) (\S+)", proc.stdout, re.MULTILINE))
    session = re.search(r" in ([0-9.]+)s", proc.stdout.splitlines()[-1] if proc.stdout else "")
    if proc.returncode != 0 or len(outcomes) != expected or session is None:
        raise SystemExit(f"pytest {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}")
    return elapsed, float(session.group(1)), [f"{nodeid} {outcome}" for outcome, nodeid in outcomes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per setting (median kept)")
    parser.add_argument(
        "--max-concurrent-runs",
        type=int,
        default=None,
        help="the bound of the 'ahead' runs (default: the plugin's default)",
    )
    parser.add_argument(
        "--local-workers",
        type=int,
        default=None,
        help="the local backend's pool in the 'ahead' runs (default: the plugin's default)",
    )
    args = parser.parse_args()
    timed = settings(args.local_workers, args.max_concurrent_runs)
    times: dict[tuple[str, str], list[float]] = {}
    sessions: dict[tuple[str, str], list[float]] = {}
    verdicts: dict[tuple[str, str], list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-overlap-") as tmp:
        root = Path(tmp)
        generate(root)
        for _ in range(args.repeat):
            # alternate the settings inside each repetition: drift in load hits all alike
            for case, (pytest_args, expected) in CASES.items():
                for label, overrides in timed.items():
                    elapsed, session, outcomes = run(root, pytest_args, expected, overrides)
                    times.setdefault((case, label), []).append(elapsed)
                    sessions.setdefault((case, label), []).append(session)
                    verdicts[(case, label)] = outcomes

    print(f"{LATENCY:g} s model latency, -n 0, {args.repeat} runs each (median); settings:")
    for label, overrides in timed.items():
        print(f"  {label:8s} {' '.join(overrides) or '(the plugin defaults)'}")
    for title, measured in (("wall time", times), ("pytest's session time", sessions)):
        medians = {key: statistics.median(values) for key, values in measured.items()}
        print(f"{title}:")
        for (case, label), value in medians.items():
            runs = ", ".join(f"{v:.2f}" for v in measured[(case, label)])
            print(f"  {case:16s} {label:8s} {value:6.2f} s   (runs: {runs})")
        for label in timed:
            one = medians[("one test alone", label)]
            for case in list(CASES)[1:]:
                ratio = medians[(case, label)] / one
                print(f"  {label:8s} {case} / one test alone: {ratio:.2f}x")
    for case in list(CASES)[1:]:
        same = len({tuple(verdicts[(case, label)]) for label in timed}) == 1
        print(f"same verdicts in every setting ({case}): {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
