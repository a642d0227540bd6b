"""What local mode adds before the first eval test, and what a background start of the backend
saves: one eval test against one plain test, alone and after a realistic collection.

Run: ``.venv/bin/python benchmarks/bench_local_start.py [--repeat 5] [--files 50]
[--sections small,suite,xdist,breakdown] [--before DIR]``.

It generates, in a temporary directory with its own ``pytest.ini`` (local mode, demo data),
``--files`` plain test files of 20 tests each, one plain test and one eval test (the demo
workflow, one task), then times fresh ``pytest`` processes, alternating the order, median of
``--repeat`` runs (after one warm-up run of each, so pytest's rewritten ``.pyc`` files exist):

- ``small``: the eval test alone against the plain test alone;
- ``suite``: the plain files plus the eval test against the plain files plus the plain test;
- each eval case four ways: ``sync`` (what ships without xdist: the backend starts when the
  first test needs it), ``no exit freeze`` (the same with ``pipelines_freeze_at_exit = false``:
  the interpreter's shutdown collects the whole heap, see ``pytest_pipelines/_exit.py``),
  ``bg-item`` (a background start when collection meets the first test
  that needs the backend) and ``bg-eager`` (a background start at ``pytest_configure``). The
  two background ways are switched on by a small plugin this script writes (``-p``), which
  calls the plugin's own ``begin_local``;
- with xdist (``-n 2``, section ``xdist``): ``after`` (what ships: the controller starts the
  backend in the background while workers start and collect) against ``before`` (the plugin
  that makes the controller wait for the start before it configures the first worker, as the
  start used to be synchronous there);
- where the added CPU time goes (section ``breakdown``): the plain and the eval test alone,
  with a plugin (``-p``) that notes ``time.process_time()`` at pytest's phases and the time of
  every garbage collection (``gc.callbacks``), and the process's CPU time after its last
  ``atexit`` handler (the interpreter's shutdown, which collects the heap four times). Medians
  of each phase, plain and eval, and the difference.

With ``--before DIR`` (a source tree of an earlier commit, e.g. ``git archive <commit>
pytest_pipelines | tar -x -C DIR``), the ``small`` and ``suite`` sections also time the plain
and the eval test with that tree's ``pytest_pipelines`` first on ``PYTHONPATH``, in the same
run: before and after against the same baseline, under the same load.

Every figure is printed with the plain baseline of the same run and the difference, as wall
time and as CPU time (user + system of the pytest process and its children): on a shared,
loaded machine the CPU time of a mostly CPU-bound start moves far less than its wall time.
Nothing is asserted (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

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
BREAKDOWN = "bench_breakdown_plugin"
BREAKDOWN_SOURCE = '''
"""Phase marks for bench_local_start.py's breakdown: process_time at pytest's phases, gc time."""
import atexit, gc, json, os, time

import pytest

MARKS = {"plugin": time.process_time()}
GC = {"automatic": 0.0, "end of session": 0.0}
_started = []
_ending = []


def _on_gc(phase, info):
    if phase == "start":
        _started.append(time.process_time())
    else:
        GC["end of session" if _ending else "automatic"] += time.process_time() - _started.pop()


gc.callbacks.append(_on_gc)


def _mark(name):
    MARKS.setdefault(name, time.process_time())


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session):
    _mark("collected")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _mark("setup")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    _mark("call")


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config):
    _mark("unconfigure")
    _ending.append(True)


def _write():
    _mark("atexit")
    with open(os.environ["BENCH_BREAKDOWN_OUT"], "w") as out:
        json.dump({"marks": MARKS, "gc": GC, "objects": len(gc.get_objects())}, out)


atexit.register(_write)  # registered early: runs after the handlers registered later
'''
PHASES = (
    "interpreter and pytest start",
    "configure and collect",
    "collected -> first setup (imports, backend start, launch)",
    "setup -> call (wait for the run, collect results)",
    "call -> unconfigure",
    "unconfigure -> atexit (pytest's end-of-session gc)",
    "after atexit (interpreter shutdown)",
    "  gc within the phases above: automatic, until unconfigure",
    "  gc within the phases above: from unconfigure to atexit",
)
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
    (root / f"{BREAKDOWN}.py").write_text(BREAKDOWN_SOURCE)


class Case(NamedTuple):
    """One timed pytest command: its arguments, the switch plugin's mode, and a source tree
    put first on ``PYTHONPATH`` (empty: the installed package)."""

    args: list[str]
    mode: str = ""
    source: str = ""


def environment(root: Path, mode: str, source: str = "") -> dict[str, str]:
    """The caller's environment without pytest/pipelines settings, with the switch plugin
    (and ``source`` first on the path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PIPELINES_"))}
    # rewritten .pyc files are cached after the warm-up run, as on a developer's machine
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [source, str(root), env.get("PYTHONPATH", "")])
    )
    env["BENCH_START"] = mode
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(case: Case, root: Path) -> tuple[float, float]:
    """Wall time and CPU time of one pytest process (which must pass)."""
    # the switch plugin only where a background mode needs it: a --before tree older than
    # begin_local (the tree of the commit before issue 12, say) runs without it
    switch = ["-p", PLUGIN] if case.mode else []
    cmd = [sys.executable, "-m", "pytest", "-q", *switch, *case.args]
    env = environment(root, case.mode, case.source)
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-3000:]}")
    return elapsed, _children_cpu() - cpu


def medians(cases: dict[str, Case], root: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """Median wall time and median CPU time per case; cases alternate order between
    repetitions."""
    names = list(cases)
    for case in cases.values():
        timed(case, root)  # warm-up: caches, rewritten .pyc
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for i in range(repeat):
        for name in names if i % 2 == 0 else reversed(names):
            samples[name].append(timed(cases[name], root))
    return {
        name: (
            statistics.median(wall for wall, _ in values),
            statistics.median(cpu for _, cpu in values),
        )
        for name, values in samples.items()
    }


def report(title: str, times: dict[str, tuple[float, float]], baseline: str) -> None:
    """Each case against the baseline: seconds, added seconds, ratio; wall and CPU time."""
    wall_base, cpu_base = times[baseline]
    print(title)
    for name, (wall, cpu) in times.items():
        print(
            f"  {name:<24} wall {wall:6.2f} s  added {wall - wall_base:+6.2f} s  "
            f"ratio {wall / wall_base:5.2f}   cpu {cpu:6.2f} s  added {cpu - cpu_base:+6.2f} s  "
            f"ratio {cpu / cpu_base:5.2f}"
        )


def phases(test: str, root: Path) -> tuple[list[float], int]:
    """CPU seconds of each of :data:`PHASES` in one pytest process running ``test``, and the
    objects the garbage collector tracks at exit."""
    out = root / "breakdown.json"
    env = environment(root, "")
    env["BENCH_BREAKDOWN_OUT"] = str(out)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", BREAKDOWN, test]
    cpu = _children_cpu()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    total = _children_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-3000:]}")
    data = json.loads(out.read_text())
    m, gc_time = data["marks"], data["gc"]
    seconds = [
        m["plugin"],
        m["collected"] - m["plugin"],
        m["setup"] - m["collected"],
        m["call"] - m["setup"],
        m["unconfigure"] - m["call"],
        m["atexit"] - m["unconfigure"],
        total - m["atexit"],
        gc_time["automatic"],
        gc_time["end of session"],
    ]
    return seconds, int(data["objects"])


def breakdown(root: Path, repeat: int) -> None:
    """Median CPU seconds of each phase, plain and eval test, and the difference."""
    runs: dict[str, list[tuple[list[float], int]]] = {"plain": [], "eval": []}
    tests = {"plain": "test_one_plain.py", "eval": "test_one_eval.py"}
    for test in tests.values():
        phases(test, root)  # warm-up
    for _ in range(repeat):
        for name, test in tests.items():
            runs[name].append(phases(test, root))
    print("breakdown: CPU seconds by phase, one plain test vs one eval test, -n 0")
    print(f"  {'':66} {'plain':>7} {'eval':>7} {'added':>7}")
    for i, label in enumerate(PHASES):
        plain = statistics.median(r[0][i] for r in runs["plain"])
        evaluated = statistics.median(r[0][i] for r in runs["eval"])
        print(f"  {label:66} {plain:7.3f} {evaluated:7.3f} {evaluated - plain:+7.3f}")
    plain_objects = statistics.median(r[1] for r in runs["plain"])
    eval_objects = statistics.median(r[1] for r in runs["eval"])
    print(f"  {'objects the gc tracks at exit':66} {plain_objects:7.0f} {eval_objects:7.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (median is kept)")
    parser.add_argument("--files", type=int, default=50, help="plain test files (20 tests each)")
    parser.add_argument(
        "--sections",
        default="small,suite,xdist",
        help="comma-separated: small, suite (both -n 0), xdist (-n 2), breakdown (CPU by "
        "phase); default small, suite and xdist",
    )
    parser.add_argument(
        "--before",
        default="",
        metavar="DIR",
        help="a source tree of an earlier commit, timed too in the small and suite sections",
    )
    args = parser.parse_args()
    before = str(Path(args.before).resolve()) if args.before else ""
    with tempfile.TemporaryDirectory(prefix="bench-local-start-") as tmp:
        root = Path(tmp)
        generate(root, args.files)
        print(f"{args.repeat} repetitions, medians of a fresh pytest process (wall and CPU time)")
        sections = set(args.sections.split(","))
        for label, paths in (("small", []), ("suite", ["suite"])):
            if label not in sections:
                continue
            # the one test first: collected first, so bg-item overlaps the plain files
            cases = {
                "plain": Case(["test_one_plain.py", *paths]),
                "eval sync (shipped)": Case(["test_one_eval.py", *paths]),
                "eval bg-item": Case(["test_one_eval.py", *paths], "item"),
                "eval bg-eager": Case(["test_one_eval.py", *paths], "eager"),
                # CPython's own shutdown: the heap collected four times over (not frozen)
                "eval no exit freeze": Case(
                    ["test_one_eval.py", *paths, "-o", "pipelines_freeze_at_exit=false"]
                ),
            }
            if before:
                cases["plain (--before)"] = Case(["test_one_plain.py", *paths], source=before)
                cases["eval sync (--before)"] = Case(["test_one_eval.py", *paths], source=before)
            title = f"{label}: {'no plain files' if not paths else f'{args.files} plain files'}"
            report(f"{title} + one test, -n 0", medians(cases, root, args.repeat), "plain")
        if "breakdown" in sections:
            breakdown(root, args.repeat)
        if "xdist" in sections:
            cases = {
                "plain": Case(["-n", "2", "test_one_plain.py", "suite"]),
                "eval before (sync)": Case(
                    ["-n", "2", "test_one_eval.py", "suite"], "before-xdist"
                ),
                "eval after (shipped)": Case(["-n", "2", "test_one_eval.py", "suite"]),
            }
            report(
                f"suite: {args.files} plain files + one test, -n 2",
                medians(cases, root, args.repeat),
                "plain",
            )


if __name__ == "__main__":
    main()
