"""``pipelines_local_workers`` sizes the embedded backend's job pool, and in local mode the default
``pipelines_max_concurrent_runs`` is that pool shared by the processes using it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from pytest_pipelines._overlap import DEFAULT_MAX_CONCURRENT_RUNS, default_limit
from pytest_pipelines._settings import BAD_LOCAL_WORKERS

INI = """[pytest]
pipelines_env = local
pipelines_demo = true
pipelines_default_gate = none
pipelines_models =
    wide_models:register
pythonpath = .
"""

# Each call waits until TARGET calls are inside the model at once (or 10 s): the most seen at
# once is then exactly what the pool and the bound allow, without racing a fixed sleep.
MODELS = """
import os
import threading
from pathlib import Path

TARGET = int(os.environ["WIDE_TARGET"])
state = {"now": 0, "peak": 0}
settled = threading.Condition()


def wide(request):
    with settled:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        Path("peak").write_text(str(state["peak"]))
        settled.notify_all()
        settled.wait_for(lambda: state["peak"] >= TARGET, timeout=10)
        state["now"] -= 1
    return "Day 1: Colosseum."


def register(registry):
    registry.register("wide", wide)
"""

CONFTEST = """
from pathlib import Path


def pytest_sessionfinish(session):
    from pytest_pipelines._overlap import OVERLAP_KEY

    config = session.config
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return  # the xdist controller runs no test
    # (not $PYTEST_XDIST_WORKER: an outer xdist worker running this suite sets it too)
    name = config.workerinput["workerid"] if hasattr(config, "workerinput") else "main"
    Path(f"limit-{name}").write_text(str(session.config.stash[OVERLAP_KEY].limit))
"""

SUITE = """
import pytest

pytestmark = pytest.mark.pipelines_model_swap("plan", "wide")


@pytest.mark.pipelines_workflow(22, 10, count=6)
def test_wide(pipelines_run):
    assert len(pipelines_run.tasks) == 6


@pytest.mark.pipelines_workflow(22, 10, count=1)
@pytest.mark.parametrize("n", range(6))
def test_one(pipelines_run, n):
    assert len(pipelines_run.tasks) == 1
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(wide_models=MODELS, test_suite=SUITE)
    return pytester


def inner(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, target: int, *args: str
) -> tuple[int, dict[str, int]]:
    """Run the suite in a subprocess: the most model calls at once, and each process's bound."""
    for path in [*pytester.path.glob("limit-*"), pytester.path / "peak"]:
        path.unlink(missing_ok=True)
    monkeypatch.setenv("WIDE_TARGET", str(target))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    assert result.ret == 0, result.stdout.str()
    limits = {p.name[len("limit-") :]: int(p.read_text()) for p in pytester.path.glob("limit-*")}
    return int((pytester.path / "peak").read_text()), limits


def test_the_ini_key_sizes_the_pool_and_the_bound(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one run of 6 tasks: the pool of 2 runs 2 at once; the bound follows the pool
    peak, limits = inner(
        suite, monkeypatch, 2, "-p", "no:xdist", "-o", "pipelines_local_workers=2", "-k", "wide"
    )
    assert (peak, limits) == (2, {"main": 2})
    # the default pool (32) runs all 6 at once
    peak, limits = inner(suite, monkeypatch, 6, "-p", "no:xdist", "-k", "wide")
    assert (peak, limits) == (6, {"main": 32})


def test_six_one_task_tests_run_at_once_by_default(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # each run is launched ahead of its test, so the six one-task runs are in the pool together;
    # were they one after another, no call would see six at once and each would wait 10 s
    peak, limits = inner(suite, monkeypatch, 6, "-p", "no:xdist", "-k", "one")
    assert (peak, limits) == (6, {"main": 32})


def test_under_xdist_the_workers_share_the_pool(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 3 local workers between 2 xdist workers: each launches at most 2 runs ahead
    peak, limits = inner(suite, monkeypatch, 3, "-n", "2", "-o", "pipelines_local_workers=3")
    assert peak == 3
    assert limits == {"gw0": 2, "gw1": 2}


@pytest.mark.parametrize("value", ["0", "-3", "1025", "lots", "2.5", "+8", "1_0", "١٢"])
def test_a_bad_pool_size_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("-o", f"pipelines_local_workers={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{BAD_LOCAL_WORKERS.format(value=value)}*"])


def _config(workercount: int | None) -> Any:
    if workercount is None:
        return SimpleNamespace()
    return SimpleNamespace(workerinput={"workercount": workercount})


@pytest.mark.parametrize(
    ("mode", "workers", "workercount", "limit"),
    [
        ("local", 32, None, 32),
        ("local", 32, 4, 8),
        ("local", 32, 3, 11),  # rounded up: the pool is kept busy
        ("local", 32, 64, 1),  # more processes than workers: nothing launched ahead
        ("local", 5, None, 5),
        ("remote", 32, None, DEFAULT_MAX_CONCURRENT_RUNS),
        ("remote", 2, 4, DEFAULT_MAX_CONCURRENT_RUNS),
    ],
)
def test_the_default_bound(mode: str, workers: int, workercount: int | None, limit: int) -> None:
    settings = SimpleNamespace(mode=mode, local_workers=workers)
    assert default_limit(_config(workercount), settings) == limit  # type: ignore[arg-type]


def test_an_explicit_bound_wins_over_the_pool(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    peak, limits = inner(
        suite,
        monkeypatch,
        3,
        "-p",
        "no:xdist",
        "-o",
        "pipelines_max_concurrent_runs=3",
        "-k",
        "one",
    )
    assert (peak, limits) == (3, {"main": 3})
