"""What local mode adds before the first eval test, and what a background start of the backend
saves: one eval test against one plain test, alone and after a realistic collection.

Run: ``.venv/bin/python benchmarks/bench_local_start.py [--repeat 5] [--files 50]
[--sections small,suite,xdist]``.

It generates, in a temporary directory with its own ``pytest.ini`` (local mode, demo data),
``--files`` plain test files of 20 tests each, one plain test and one eval test (the demo
workflow, one task), then times fresh ``pytest`` processes, alternating the order, median of
``--repeat`` runs (after one warm-up run of each, so pytest's rewritten ``.pyc`` files exist):

- ``small``: the eval test alone against the plain test alone;
- ``suite``: the plain files plus the eval test against the plain files plus the plain test;
- each eval case three ways: ``sync`` (what ships without xdist: the backend starts when the
  first test needs it), ``bg-item`` (a background start when collection meets the first test
  that needs the backend) and ``bg-eager`` (a background start at ``pytest_configure``). The
  two background ways are switched on by a small plugin this script writes (``-p``), which
  calls the plugin's own ``begin_local``;
- with xdist (``-n 2``, section ``xdist``): ``after`` (what ships: the controller starts the
  backend in the background while workers start and collect) against ``before`` (the plugin
  that makes the controller wait for the start before it configures the first worker, as the
  start used to be synchronous there).

Every figure is printed with the plain baseline of the same run and the difference; nothing is
asserted (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS_PER_FILE = 20
PLUGIN = "bench_start_plugin"
PLUGIN_SOURCE = '''
"""Switches for bench_local_start.py (BENCH_START: item, eager or before-xdist)."""
import os

import pytest

from pytest_pipelines._session import STATE_KEY, begin_local, start_local

MODE = os.environ.get("BENCH_START", "")


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    if MODE == "eager":
        begin_local(config.stash[STATE_KEY])


def pytest_itemcollected(item):
    if MODE == "item" and "pipelines_run" in getattr(item, "fixturenames", ()):
        begin_local(item.config.stash[STATE_KEY])


@pytest.hookimpl(tryfirst=True)
def pytest_configure_node(node):
    if MODE == "before-xdist":
        start_local(node.config.stash[STATE_KEY])
'''
EVAL_TEST = """import pytest


@pytest.mark.pipelines_workflow(22, 10, count=1)
def test_eval(pipelines_run):
    assert len(pipelines_run.tasks) == 1
"""


def generate(root: Path, files: int) -> None:
    """The ini, ``files`` plain files under ``suite/``, one plain and one eval test, the plugin."""
    (root / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider\npipelines_env = local\npipelines_demo = true\n"
    )
    suite = root / "suite"
    suite.mkdir()
    for f in range(files):
        body = "\n\n".join(
            f"def test_{f}_{t}():\n    assert {t} + 1 == {t + 1}" for t in range(TESTS_PER_FILE)
        )
        (suite / f"test_plain_{f:03d}.py").write_text(body + "\n")
    (root / "test_one_plain.py").write_text("def test_plain():\n    pass\n")
    (root / "test_one_eval.py").write_text(EVAL_TEST)
    (root / f"{PLUGIN}.py").write_text(PLUGIN_SOURCE)


def environment(root: Path, mode: str) -> dict[str, str]:
    """The caller's environment without pytest/pipelines settings, with the switch plugin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PIPELINES_"))}
    # rewritten .pyc files are cached after the warm-up run, as on a developer's machine
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    env["BENCH_START"] = mode
    return env


def timed(args: list[str], root: Path, mode: str) -> float:
    """Wall time of one pytest process (which must pass)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", PLUGIN, *args]
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=root, env=environment(root, mode), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-3000:]}")
    return elapsed


def medians(cases: dict[str, tuple[list[str], str]], root: Path, repeat: int) -> dict[str, float]:
    """Median wall time per case; cases alternate order between repetitions."""
    names = list(cases)
    for args, mode in cases.values():
        timed(args, root, mode)  # warm-up: caches, rewritten .pyc
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(repeat):
        for name in names if i % 2 == 0 else reversed(names):
            args, mode = cases[name]
            samples[name].append(timed(args, root, mode))
    return {name: statistics.median(values) for name, values in samples.items()}


def report(title: str, times: dict[str, float], baseline: str) -> None:
    """Each case against the baseline: seconds, added seconds, ratio."""
    base = times[baseline]
    print(title)
    for name, value in times.items():
        print(
            f"  {name:<24} {value:7.2f} s   added {value - base:+6.2f} s   ratio {value / base:5.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (median is kept)")
    parser.add_argument("--files", type=int, default=50, help="plain test files (20 tests each)")
    parser.add_argument(
        "--sections",
        default="small,suite,xdist",
        help="comma-separated: small, suite (both -n 0), xdist (-n 2); default all three",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-local-start-") as tmp:
        root = Path(tmp)
        generate(root, args.files)
        print(f"{args.repeat} repetitions, median wall time of a fresh pytest process")
        sections = set(args.sections.split(","))
        for label, paths in (("small", []), ("suite", ["suite"])):
            if label not in sections:
                continue
            # the one test first: collected first, so bg-item overlaps the plain files
            cases = {
                "plain": (["test_one_plain.py", *paths], ""),
                "eval sync (shipped)": (["test_one_eval.py", *paths], ""),
                "eval bg-item": (["test_one_eval.py", *paths], "item"),
                "eval bg-eager": (["test_one_eval.py", *paths], "eager"),
            }
            title = f"{label}: {'no plain files' if not paths else f'{args.files} plain files'}"
            report(f"{title} + one test, -n 0", medians(cases, root, args.repeat), "plain")
        if "xdist" in sections:
            cases = {
                "plain": (["-n", "2", "test_one_plain.py", "suite"], ""),
                "eval before (sync)": (["-n", "2", "test_one_eval.py", "suite"], "before-xdist"),
                "eval after (shipped)": (["-n", "2", "test_one_eval.py", "suite"], ""),
            }
            report(
                f"suite: {args.files} plain files + one test, -n 2",
                medians(cases, root, args.repeat),
                "plain",
            )


if __name__ == "__main__":
    main()
