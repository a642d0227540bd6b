"""Runs launched ahead (issue 12 point 1): same verdicts as one run at a time, no run twice,
runs of tests that never ran cancelled, nothing left running on the backend.

Every eval test of the suite swaps the plan node to its own model slug, so each job the backend
created names its test (its ``config_overrides``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_pipelines._overlap import BAD_MAX_CONCURRENT_RUNS, OVERLAP_KEY
from pytest_pipelines._session import STATE_KEY, PipelinesState

LATENCY = 0.3
SLUGS = [f"slow-{n}" for n in range(10)]

MODELS = """
from pytest_pipelines.local.models import ModelRequest


def good(request: ModelRequest) -> str:
    return "Day 1: Colosseum and the Roman Forum.\\nDay 2: Vatican Museums."


def bad(request: ModelRequest) -> str:
    return "No plan today."
"""

SUITE = """
import os

import pytest

pytestmark = [
    pytest.mark.pipelines_workflow(22, 10, count=1),
    pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0),
]


def swap(slug):
    return pytest.mark.pipelines_model_swap("plan", slug)


@pytest.fixture(scope="session")
def rows():
    return [{"city": "Rome", "days": 2}]


@pytest.fixture
def per_test():
    return "function-scoped: the run waits for the setup"


@swap("slow-0")
def test_a(pipelines_run):
    pass


@swap("slow-1")
@pytest.mark.pipelines_workflow(22, 10, count=1, inputs="rows")
def test_rows_1(pipelines_run):
    pass


@swap("slow-2")
def test_b(pipelines_run):
    if os.environ.get("OVERLAP_INTERRUPT"):
        raise KeyboardInterrupt


@swap("slow-3")
@pytest.mark.pipelines_workflow(22, 10, count=1, inputs="rows")
def test_rows_2(pipelines_run):
    pass


@pytest.mark.pipelines_variants(
    x={"models": [{"nodeId": "plan", "modelSlug": "slow-4"}]},
    y={"models": [{"nodeId": "plan", "modelSlug": "slow-5"}]},
)
def test_c(pipelines_run):
    pass


@swap("slow-6")
def test_fixture(per_test, pipelines_run):
    pass


@swap("slow-7")
@pytest.mark.skip(reason="never runs")
def test_skipped(pipelines_run):
    pass


@swap("slow-8")
def test_body_error(pipelines_run):
    assert False, "the body fails"


@swap("slow-9")
def test_last(pipelines_run):
    pass
"""

# each xdist worker writes how many runs it launched ahead
LAUNCHED_CONFTEST = """
import os
from pathlib import Path

from pytest_pipelines._overlap import OVERLAP_KEY

def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput"):
        launched = session.config.stash[OVERLAP_KEY].launched
        Path(f"launched-{os.getpid()}").write_text(str(launched))
"""

SERIAL = {
    "test_suite.py::test_a": "passed",
    "test_suite.py::test_rows_1": "passed",
    "test_suite.py::test_b": "failed",
    "test_suite.py::test_rows_2": "passed",
    "test_suite.py::test_c[x]": "passed",
    "test_suite.py::test_c[y]": "passed",
    "test_suite.py::test_fixture": "passed",
    "test_suite.py::test_skipped": "skipped",
    "test_suite.py::test_body_error": "failed",
    "test_suite.py::test_last": "passed",
}


@pytest.fixture(scope="module")
def slow_backend() -> Iterator[Any]:
    """A demo backend where slow-N answer after LATENCY s (slow-2 fails the gate), 8 workers."""
    from pytest_pipelines.local import LocalPipelines
    from pytest_pipelines.local.models import default_registry

    registry = default_registry(demo=True)
    namespace: dict[str, Any] = {}
    exec(MODELS, namespace)
    for n, slug in enumerate(SLUGS):
        registry.register(slug, namespace["bad" if n == 2 else "good"], latency=LATENCY)
    # 8 workers, not the default 32: the sweep test needs tasks still queued when it comes
    with LocalPipelines(demo=True, registry=registry, workers=8) as local:
        local.job_log = JobLog.attach(local.state.engine)  # type: ignore[attr-defined]
        yield local


@dataclass
class JobLog:
    """Every job the engine created (id, plan model) and cancelled, in order.

    Read from the engine, not the database: an experiment's jobs go with its workflow copy.
    """

    created: list[tuple[str, str]] = field(default_factory=list)
    cancelled: set[str] = field(default_factory=set)

    @classmethod
    def attach(cls, engine: Any) -> JobLog:
        log = cls()
        create, cancel = engine.create_job, engine.cancel_job

        def create_job(**kwargs: Any) -> dict[str, Any]:
            job: dict[str, Any] = create(**kwargs)
            log.created.append((str(job["job_id"]), _slug(job)))
            return job

        def cancel_job(job: dict[str, Any]) -> Any:
            log.cancelled.add(str(job["job_id"]))
            return cancel(job)

        engine.create_job, engine.cancel_job = create_job, cancel_job
        return log


def _jobs(local: Any) -> dict[int, dict[str, Any]]:
    return {int(j["id"]): j for j in local.state.db.query("job")}


def _slug(job: dict[str, Any]) -> str:
    """The plan node's model in the job's definition (the swap or the variant applied)."""
    plan = next(n for n in job["definition"]["nodes"] if n["id"] == "plan")
    return str(next(f["model"] for f in plan["fields"] if f.get("type") == "llm"))


def _copies(local: Any) -> list[str]:
    """The experiments' workflow copies the backend still holds."""
    return [str(w["name"]) for w in local.state.db.query("workflow") if w.get("experiment_id")]


def session(
    pytester: pytest.Pytester, local: Any, *args: str
) -> tuple[dict[str, str], Any, dict[str, int], set[str]]:
    """One inner session: outcomes, its Overlap, jobs per slug, and slugs of cancelled jobs.

    Waits until the backend is idle, then checks that nothing is left queued or running.
    """
    log: JobLog = local.job_log
    before = len(log.created)
    reprec = pytester.inline_run(
        f"--pipelines-env={local.base_url}",
        f"--pipelines-api-key={local.api_key}",
        "-p",
        "no:cacheprovider",
        *args,
        no_reraise_ctrlc=True,
    )
    outcomes: dict[str, str] = {}
    for report in reprec.getreports("pytest_runtest_logreport"):
        if report.failed:
            outcomes[report.nodeid] = "failed" if report.when == "call" else "error"
        else:
            outcomes.setdefault(report.nodeid, report.outcome)
    overlap = reprec.getcall("pytest_sessionfinish").session.config.stash[OVERLAP_KEY]
    local.state.engine.wait_idle()
    new = log.created[before:]
    per_slug: dict[str, int] = {}
    for _, slug in new:
        per_slug[slug] = per_slug.get(slug, 0) + 1
    left = local.state.db.query("task", where={"status": ["queued", "running"]})
    assert left == [], left
    assert _copies(local) == []  # no experiment left a workflow copy
    return outcomes, overlap, per_slug, {slug for job, slug in new if job in log.cancelled}


@pytest.mark.parametrize("mode", ["tasks", "experiment"])
def test_overlap_keeps_verdicts_runs_once_and_cancels_what_did_not_run(
    pytester: pytest.Pytester, slow_backend: Any, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    # experiment mode: every item runs its own one-variant experiment in a workflow copy, which
    # a run launched ahead and not used must delete, as the test's teardown does
    pytester.makepyfile(test_suite=SUITE.replace("count=1", f"count=1, mode={mode!r}"))
    (pytester.path / "conftest.py").write_text("")

    # one run at a time: nothing launched ahead, every eval test that runs makes one job
    outcomes, overlap, jobs, cancelled = session(
        pytester, slow_backend, "-o", "pipelines_max_concurrent_runs=1"
    )
    assert outcomes == SERIAL
    assert (overlap.launched, cancelled) == (0, set())
    every = {s: 1 for s in SLUGS if s != "slow-7"}  # the skipped test launches nothing
    assert jobs == every

    # launched ahead: the same verdicts and the same jobs, once each. Not ahead: test_fixture
    # (a function-scoped fixture), test_skipped, test_rows_1 (its session fixture is set up by
    # its own setup); test_rows_2 is, once test_rows_1 set `rows` up.
    outcomes, overlap, jobs, cancelled = session(pytester, slow_backend)
    assert outcomes == SERIAL
    assert (overlap.launched, overlap.cancelled, cancelled) == (7, 0, set())
    assert jobs == every

    # -x stops after test_b: the runs launched for the tests after it are cancelled
    outcomes, overlap, jobs, cancelled = session(pytester, slow_backend, "-x")
    assert outcomes == {k: SERIAL[k] for k in list(SERIAL)[:3]}
    assert cancelled == {"slow-3", "slow-4", "slow-5", "slow-8", "slow-9"}
    assert jobs == {s: 1 for s in SLUGS if s not in ("slow-6", "slow-7")}

    # --maxfail=2 stops after test_body_error: only test_last's run is cancelled
    outcomes, overlap, jobs, cancelled = session(pytester, slow_backend, "--maxfail=2")
    assert outcomes == {k: v for k, v in SERIAL.items() if k != "test_suite.py::test_last"}
    assert cancelled == {"slow-9"}
    assert jobs == every

    # -k: deselected tests are never launched
    outcomes, overlap, jobs, cancelled = session(
        pytester, slow_backend, "-k", "test_a or test_last"
    )
    assert outcomes == {k: SERIAL[k] for k in ("test_suite.py::test_a", "test_suite.py::test_last")}
    assert (jobs, cancelled) == ({"slow-0": 1, "slow-9": 1}, set())

    # a keyboard interrupt in test_b's body: every run not finished with is cancelled
    monkeypatch.setenv("OVERLAP_INTERRUPT", "1")
    outcomes, overlap, jobs, cancelled = session(pytester, slow_backend)
    # (test_b reports only its setup, which passed: the interrupt ends the session in its body)
    assert outcomes == {
        **{k: SERIAL[k] for k in list(SERIAL)[:2]},
        "test_suite.py::test_b": "passed",
    }
    assert cancelled == {"slow-2", "slow-3", "slow-4", "slow-5", "slow-8", "slow-9"}
    assert max(jobs.values()) == 1


@pytest.mark.parametrize("value", ["0", "lots", "+8", "١٢"])
def test_a_bad_bound_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("-o", f"pipelines_max_concurrent_runs={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{BAD_MAX_CONCURRENT_RUNS.format(value=value)}*"])


def run_on_two_workers(
    pytester: pytest.Pytester, backend: Any
) -> tuple[pytest.RunResult, dict[str, str]]:
    """Run the suite at ``-n 2`` against ``backend`` in a subprocess (a worker may crash), wait
    for the backend's jobs to settle; the result and each test's PASSED/FAILED/ERROR."""
    result = pytester.runpytest_subprocess(
        f"--pipelines-env={backend.base_url}",
        f"--pipelines-api-key={backend.api_key}",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        "-rA",
    )
    backend.state.engine.wait_idle()
    outcomes = {
        line.split()[1]: line.split()[0]
        for line in result.stdout.lines
        if line.startswith(("PASSED ", "FAILED ", "ERROR "))
    }
    return result, outcomes


# the crashing test's body: note the runs its worker launched ahead and had not started, then die
CRASH = """
    from pathlib import Path
    from pytest_pipelines._overlap import OVERLAP_KEY

    runs = request.config.stash[OVERLAP_KEY].runs.values()
    Path("ahead-at-crash").write_text("\\n".join(a.nodeid for a in runs if not a.taken))
    os._exit(1)
"""


def per_slug_since(log: JobLog, before: int) -> dict[str, int]:
    """Jobs the engine created after the first ``before``, counted by their plan node's model."""
    per_slug: dict[str, int] = {}
    for _, slug in log.created[before:]:
        per_slug[slug] = per_slug.get(slug, 0) + 1
    return per_slug


def assert_ran_elsewhere(pytester: pytest.Pytester, outcomes: dict[str, str]) -> None:
    """The crashed worker had launched ahead a test it had not started, and that test ran (on
    the other worker): the case where a second launch would run it twice."""
    ahead = (pytester.path / "ahead-at-crash").read_text().split()
    assert ahead, "the crashed worker had launched nothing ahead"
    assert all(nodeid in outcomes for nodeid in ahead), (ahead, outcomes)


def assert_nothing_left(backend: Any) -> None:
    assert backend.state.db.query("task", where={"status": ["queued", "running"]}) == []
    assert _copies(backend) == []  # the adopting worker's teardown or the sweep deleted them


@pytest.mark.parametrize("mode", ["tasks", "experiment"])
def test_xdist_and_a_crashed_worker_run_each_test_once(
    pytester: pytest.Pytester, slow_backend: Any, mode: str
) -> None:
    # each test swaps to its own slug; the last test's worker dies in its body
    lines = ["import os", "import pytest", ""]
    lines += [
        "pytestmark = [",
        f"    pytest.mark.pipelines_workflow(22, 10, count=1, mode={mode!r}),",
        '    pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0),',
        "]",
    ]
    for n in range(10):
        if n == 7:
            continue
        lines += [
            "",
            f'@pytest.mark.pipelines_model_swap("plan", "slow-{n}")',
            f"def test_{n}(request, pipelines_run):",
            CRASH.strip("\n") if n == 4 else "    pass",
        ]
    pytester.makepyfile(test_suite="\n".join(lines) + "\n")
    pytester.makeconftest(LAUNCHED_CONFTEST)
    log: JobLog = slow_backend.job_log
    before = len(log.created)
    result, outcomes = run_on_two_workers(pytester, slow_backend)
    result.stdout.fnmatch_lines(["*crashed*"])
    # the same verdicts as serial: slow-2 misses its gate, the crash fails test_4
    expected = {f"test_suite.py::test_{n}": "PASSED" for n in range(10) if n not in (2, 4, 7)}
    expected |= {"test_suite.py::test_2": "FAILED", "test_suite.py::test_4": "FAILED"}
    assert outcomes == expected
    assert_ran_elsewhere(pytester, outcomes)
    # a test the crashed worker launched ahead and another worker ran replayed its job or its
    # experiment (same Idempotency-Key, same variant name in experiment mode): no run twice
    assert per_slug_since(log, before) == {s: 1 for s in SLUGS if s != "slow-7"}
    assert_nothing_left(slow_backend)
    if mode == "experiment":
        # test_4's copy, found by its name; the adopting worker deleted the other one's
        result.stdout.fnmatch_lines(
            [
                "pipelines: swept 1 object(s) left by this run: "
                "workflow * 'Italy - Experiment pytest-*-x*-1-baseline'"
            ]
        )
    # the workers that lived launched runs ahead from their own queues
    assert sum(int(p.read_text()) for p in pytester.path.glob("launched-*")) > 0


def test_xdist_in_experiment_mode_runs_each_test_once_and_leaves_no_copy(
    pytester: pytest.Pytester, slow_backend: Any
) -> None:
    pytester.makepyfile(test_suite=SUITE.replace("count=1", 'count=1, mode="experiment"'))
    pytester.makeconftest(LAUNCHED_CONFTEST)
    log: JobLog = slow_backend.job_log
    before = len(log.created)
    _, outcomes = run_on_two_workers(pytester, slow_backend)
    assert outcomes == {k: v.upper() for k, v in SERIAL.items() if v != "skipped"}
    new = log.created[before:]
    per_slug: dict[str, int] = {}
    for _, slug in new:
        per_slug[slug] = per_slug.get(slug, 0) + 1
    assert per_slug == {s: 1 for s in SLUGS if s != "slow-7"}
    # each worker launched ahead only what it then ran: nothing to cancel, no copy left
    assert {job for job, _ in new} & log.cancelled == set()
    assert _copies(slow_backend) == []
    # and the workers did launch experiments ahead
    assert sum(int(p.read_text()) for p in pytester.path.glob("launched-*")) > 0


COMPARE_SUITE = """
import os

import pytest

pytestmark = [
    pytest.mark.pipelines_workflow(22, 10, count=1, mode="experiment"),
    pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0),
    pytest.mark.pipelines_compare("Mentions Rome Highlights", min_difference=-1.0),
]


def pair(control, new):
    return pytest.mark.pipelines_variants(
        control={"models": [{"nodeId": "plan", "modelSlug": control}]},
        new={"models": [{"nodeId": "plan", "modelSlug": new}]},
    )


@pair("slow-0", "slow-1")
def test_a(pipelines_run):
    pass


@pair("slow-2", "slow-3")
def test_b(pipelines_run):
    if os.environ.get("OVERLAP_INTERRUPT"):
        raise KeyboardInterrupt


@pair("slow-4", "slow-5")
def test_c(pipelines_run):
    pass


@pair("slow-6", "slow-8")
def test_d(pipelines_run):
    pass
"""

# slow-2 (test_b's control) misses the gate
COMPARED = {
    "test_suite.py::test_a": "passed",
    "test_suite.py::test_b": "failed",
    "test_suite.py::test_c": "passed",
    "test_suite.py::test_d": "passed",
}


def test_pipelines_compare_experiments_are_launched_ahead_too(
    pytester: pytest.Pytester, slow_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # each test runs ONE experiment of its two variants: one job per slug
    pytester.makepyfile(test_suite=COMPARE_SUITE)
    every = {s: 1 for s in SLUGS if s not in ("slow-7", "slow-9")}
    outcomes, overlap, jobs, cancelled = session(
        pytester, slow_backend, "-o", "pipelines_max_concurrent_runs=1"
    )
    assert (outcomes, overlap.launched, jobs, cancelled) == (COMPARED, 0, every, set())

    outcomes, overlap, jobs, cancelled = session(pytester, slow_backend)
    assert (outcomes, overlap.launched, overlap.cancelled) == (COMPARED, 4, 0)
    assert (jobs, cancelled) == (every, set())

    # -x stops after test_b: test_c's and test_d's experiments are cancelled, copies deleted
    outcomes, overlap, jobs, cancelled = session(pytester, slow_backend, "-x")
    assert outcomes == {k: COMPARED[k] for k in list(COMPARED)[:2]}
    assert (jobs, cancelled) == (every, {"slow-4", "slow-5", "slow-6", "slow-8"})

    # -k: deselected tests are never launched
    outcomes, overlap, jobs, cancelled = session(pytester, slow_backend, "-k", "test_d")
    assert (outcomes, jobs, cancelled) == (
        {"test_suite.py::test_d": "passed"},
        {"slow-6": 1, "slow-8": 1},
        set(),
    )

    # a keyboard interrupt in test_b's body: every experiment not finished with is cancelled
    monkeypatch.setenv("OVERLAP_INTERRUPT", "1")
    outcomes, overlap, jobs, cancelled = session(pytester, slow_backend)
    assert outcomes == {"test_suite.py::test_a": "passed", "test_suite.py::test_b": "passed"}
    assert cancelled == {"slow-2", "slow-3", "slow-4", "slow-5", "slow-6", "slow-8"}
    assert max(jobs.values()) == 1


def test_xdist_runs_each_compare_experiment_once(
    pytester: pytest.Pytester, slow_backend: Any
) -> None:
    pytester.makepyfile(test_suite=COMPARE_SUITE)
    pytester.makeconftest(LAUNCHED_CONFTEST)
    log: JobLog = slow_backend.job_log
    before = len(log.created)
    _, outcomes = run_on_two_workers(pytester, slow_backend)
    assert outcomes == {k: v.upper() for k, v in COMPARED.items()}
    new = log.created[before:]
    assert sorted(slug for _, slug in new) == sorted(
        s for s in SLUGS if s not in ("slow-7", "slow-9")
    )
    assert {job for job, _ in new} & log.cancelled == set()
    assert _copies(slow_backend) == []
    assert sum(int(p.read_text()) for p in pytester.path.glob("launched-*")) > 0


CRASH_COMPARE_SUITE = (
    COMPARE_SUITE.replace(
        "def test_c(pipelines_run):\n    pass", "def test_c(request, pipelines_run):" + CRASH
    ).replace('@pair("slow-6", "slow-8")', '@pair("slow-6", "slow-7")')
    + """

@pair("slow-8", "slow-9")
def test_e(pipelines_run):
    pass
"""
)


def test_a_crashed_worker_s_compare_experiments_run_once(
    pytester: pytest.Pytester, slow_backend: Any
) -> None:
    # five tests at -n 2: one worker runs test_c with test_d queued (launched ahead) and dies
    pytester.makepyfile(test_suite=CRASH_COMPARE_SUITE)
    pytester.makeconftest(LAUNCHED_CONFTEST)
    log: JobLog = slow_backend.job_log
    before = len(log.created)
    result, outcomes = run_on_two_workers(pytester, slow_backend)
    result.stdout.fnmatch_lines(["*crashed*"])
    assert outcomes == {
        "test_suite.py::test_a": "PASSED",
        "test_suite.py::test_b": "FAILED",
        "test_suite.py::test_c": "FAILED",
        "test_suite.py::test_d": "PASSED",
        "test_suite.py::test_e": "PASSED",
    }
    assert_ran_elsewhere(pytester, outcomes)
    # one experiment per test: each slug ran once, the crashed worker's ahead one adopted
    assert per_slug_since(log, before) == dict.fromkeys(SLUGS, 1)
    assert_nothing_left(slow_backend)
    # test_c's two copies, found by their names; the adopting worker deleted test_d's
    result.stdout.fnmatch_lines(
        [
            "pipelines: swept 2 object(s) left by this run: "
            "workflow * 'Italy - Experiment pytest-*-x*-1-*', workflow *"
        ]
    )


def test_experiment_names_are_the_same_in_every_process_and_new_per_execution(
    pytestconfig: pytest.Config,
) -> None:
    settings = pytestconfig.stash[STATE_KEY].settings

    def state(worker: str, scope: str = "") -> PipelinesState:
        return PipelinesState(
            settings=settings,
            run_id="0123456789ab",
            worker=worker,
            is_worker=True,
            name_scope=scope,
        )

    gw0, gw1 = state("gw0"), state("gw1")
    node = "tests/test_x.py::test_y[new]"
    name = gw0.experiment_name(node, 1, "new")
    assert name == gw1.experiment_name(node, 1, "new")
    assert name.startswith(gw0.run_prefix)
    assert name.endswith("-1-new")
    assert len(name) == len("pytest-0123456789ab-x0123456789-1-new")
    assert gw0.experiment_name(node, 2, "new") != name
    assert gw0.experiment_name(node.replace("new", "old"), 1, "new") != name
    # --dist each: every worker runs every test, each its own experiment
    assert state("gw0", "gw0").experiment_name(node, 1, "new") != state(
        "gw1", "gw1"
    ).experiment_name(node, 1, "new")
    # an execution counts once it is used
    assert (gw0.next_execution(node), gw0.next_execution(node)) == (1, 1)
    gw0.executed(node, 1)
    assert (gw0.next_execution(node), gw1.next_execution(node)) == (2, 1)


def test_dist_each_runs_an_experiment_on_every_worker(
    pytester: pytest.Pytester, slow_backend: Any
) -> None:
    # each worker runs the test: one worker's teardown must not delete the copies of an
    # experiment the other one reads, so they do not share it
    pytester.makepyfile(
        test_suite="""
import pytest

@pytest.mark.pipelines_workflow(22, 10, count=1, mode="experiment")
@pytest.mark.pipelines_model_swap("plan", "slow-0")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0)
def test_each(pipelines_run):
    pass
"""
    )
    log: JobLog = slow_backend.job_log
    before = len(log.created)
    result = pytester.runpytest_subprocess(
        f"--pipelines-env={slow_backend.base_url}",
        f"--pipelines-api-key={slow_backend.api_key}",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        "--dist",
        "each",
    )
    slow_backend.state.engine.wait_idle()
    result.assert_outcomes(passed=2)
    assert per_slug_since(log, before) == {"slow-0": 2}
    assert_nothing_left(slow_backend)


# each xdist worker writes, at every test's setup, the runs it has launched ahead and not used
AHEAD_CONFTEST = """
import os
from pathlib import Path

from pytest_pipelines._overlap import OVERLAP_KEY

def pytest_runtest_setup(item):
    runs = item.config.stash[OVERLAP_KEY].runs
    ahead = sorted(n for n, a in runs.items() if not a.taken and n != item.nodeid)
    with Path(f"ahead-{os.getpid()}").open("a") as f:
        f.write(" ".join(ahead) + "\\n")
"""


def test_worksteal_launches_ahead_only_the_next_test(
    pytester: pytest.Pytester, slow_backend: Any
) -> None:
    # worksteal hands each worker half the tests at once and moves queued ones to an idle
    # worker: a run launched ahead for a queued test could be run elsewhere and then cancelled
    # by the worker it was taken from; only the next test, which it cannot take, is launched
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeconftest(AHEAD_CONFTEST)
    result = pytester.runpytest_subprocess(
        f"--pipelines-env={slow_backend.base_url}",
        f"--pipelines-api-key={slow_backend.api_key}",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        "--dist",
        "worksteal",
    )
    slow_backend.state.engine.wait_idle()
    result.assert_outcomes(passed=7, failed=2, skipped=1)
    seen = [
        line.split() for p in pytester.path.glob("ahead-*") for line in p.read_text().splitlines()
    ]
    assert seen, "no worker wrote what it launched ahead"
    assert max(len(ahead) for ahead in seen) <= 1, seen  # at most the next test
    assert any(seen), "nothing was launched ahead"


def test_the_sweep_cancels_a_run_a_crashed_worker_launched_ahead(slow_backend: Any) -> None:
    from pytest_pipelines._ledger import sweep_ledger

    with slow_backend.client() as client:
        # 20 tasks of 0.3 s on 8 backend workers: most are still queued when the sweep comes
        job = client.create_tasks_async(
            22,
            10,
            {
                "count": 20,
                "configOverrides": {"models": [{"nodeId": "plan", "modelSlug": "slow-0"}]},
            },
        )["job_id"]
        swept = sweep_ledger(client, [{"kind": "run", "project": 22, "workflow": 10, "id": job}])
        assert swept == [f"run {job}"]
        slow_backend.state.engine.wait_idle()
        status = client.get_create_tasks_status(22, 10, job)
    assert status["status"] in ("cancelled", "partially_cancelled")
    assert status["cancelled"] > 0
