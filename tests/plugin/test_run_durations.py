"""Run durations across sessions (pytest_pipelines/_durations.py) and the run waiter using them.

The waiter's timing is tested with a scripted client and a fake clock; the cache round trip with
pytester against the shared demo backend (its held polls time those waits; the durations are
recorded and read all the same).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_pipelines._durations import CACHE_KEY, SessionDurations, deployment, work_digest
from pytest_pipelines._markers import RunSpec, WorkflowTarget
from pytest_pipelines._run import Launch, wait
from pytest_pipelines.client import run_key

CACHE_FILE = Path(".pytest_cache", "v", *CACHE_KEY.split("/"))


class Scripted:
    """A client whose job status turns terminal ``ends_at`` seconds into a fake clock."""

    def __init__(self, ends_at: float, now: float = 100.0) -> None:
        self.now = now
        self.ends_at = now + ends_at
        self.polls: list[float] = []
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def get_create_tasks_status(self, p: Any, w: Any, job: str, **params: Any) -> Any:
        assert params == {}  # the hosted shape: nothing says polls may be held
        self.polls.append(self.now)
        return {"job_id": job, "status": "completed" if self.now >= self.ends_at else "running"}

    get_experiment_status = get_create_tasks_status

    def again(self, ends_at: float) -> Scripted:
        """The same client (and its per-workflow memory) for a new run ending ``ends_at`` on."""
        self.ends_at = self.now + ends_at
        self.sleeps.clear()
        return self


def durations(tmp_config: Any = None) -> SessionDurations:
    class Config:
        pass

    return SessionDurations(tmp_config or Config())  # type: ignore[arg-type]


def test_the_waiter_polls_the_tests_window_and_records_the_run() -> None:
    session = durations()
    history = session.for_test("test_x.py::test_a[baseline]", "https://api.example")
    history.record("tasks", None, 2.9, 3.1)
    client = Scripted(ends_at=3.05)
    spec = RunSpec(WorkflowTarget(22, 10))
    wait(
        client,
        spec,
        Launch("tasks", "job-1", {}),
        timeout=60,
        clock=client.clock,
        sleep=client.sleep,
        history=history,
    )
    # no poll at the launch: to the window's first quarter in two even steps, then the next
    # ones (quarters of 2.9 to 3.15 s: padded)
    q = 0.25 / 4
    assert client.sleeps == pytest.approx([(2.9 + q) / 2, (2.9 + q) / 2, q, q])
    assert client.polls == pytest.approx([100 + (2.9 + q) / 2, *(102.9 + q * j for j in (1, 2, 3))])
    key = "test_x.py::test_a[baseline] | https://api.example | tasks x?"
    assert history.key("tasks", None) == key
    # the run ended between the polls at the second and third quarters: the window narrowed
    assert session.store().window(key) == pytest.approx((2.9 + 2 * q, 2.9 + 3 * q))
    assert session.new[key][-1] == pytest.approx((2.9 + 2 * q, 2.9 + 3 * q))
    # the client's own per-workflow memory learnt it too
    from pytest_pipelines.client import durations_of

    store = durations_of(client)
    assert store is not None
    window = store.window(run_key("tasks", 22, 10, None))
    assert window == pytest.approx((2.9 + 2 * q, 2.9 + 3 * q))


def test_another_tests_runs_do_not_time_this_one() -> None:
    session = durations()
    session.for_test("test_x.py::test_slow", "local").record("tasks", None, 9.9, 10.0)
    client = Scripted(ends_at=0.3)
    wait(
        client,
        RunSpec(WorkflowTarget(22, 10)),
        Launch("tasks", "job-1", {}),
        timeout=60,
        clock=client.clock,
        sleep=client.sleep,
        history=session.for_test("test_x.py::test_quick", "local"),
    )
    assert client.sleeps == pytest.approx([0.2, 0.4])  # nothing known: 0.2 s, 0.6 s, ...


def test_a_run_launched_ahead_is_timed_from_its_launch() -> None:
    session = durations()
    history = session.for_test("test_x.py::test_a", "local")
    history.record("tasks", None, 2.9, 3.0)
    client = Scripted(ends_at=1.0, now=102.0)  # launched at 100, waited for from 102: ends at 103
    wait(
        client,
        RunSpec(WorkflowTarget(22, 10)),
        Launch("tasks", "job-1", {}, launched_at=100.0),
        timeout=60,
        clock=client.clock,
        sleep=client.sleep,
        history=history,
    )
    # 2 s of the run were over: the window's first quarter (2.9 to 3.025 s, padded) is 0.93 s
    # away, slept before the first poll, then its other quarters
    q = 0.125 / 4
    assert client.sleeps == pytest.approx([0.9 + q, q, q, q])
    assert client.now == pytest.approx(client.ends_at + 0.025)  # at the padded end


SLOW = {"count": 1, "configOverrides": {"models": [{"nodeId": "plan", "modelSlug": "slow"}]}}
HOSTED = "https://api.example"


def waited(
    session: SessionDurations,
    nodeid: str,
    payload: dict[str, Any],
    client: Scripted,
    kind: str = "tasks",
) -> Scripted:
    """Wait for ``client``'s scripted run as test ``nodeid`` (hosted statuses: no counts)."""
    wait(
        client,
        RunSpec(WorkflowTarget(22, 10)),
        Launch(kind, "job-1", payload),
        timeout=60,
        clock=client.clock,
        sleep=client.sleep,
        history=session.for_test(nodeid, HOSTED),
    )
    return client


NOTHING_KNOWN = [0.2, 0.4, 0.8, 1.6, 2.0]  # polls at 0.2, 0.6, 1.4, 3 and 5 s


def test_a_new_test_is_timed_by_earlier_runs_of_the_same_payload() -> None:
    session = durations()
    first = waited(session, "t.py::test_a", SLOW, Scripted(ends_at=3.05))
    assert first.sleeps == pytest.approx(NOTHING_KNOWN)  # ended in (3, 5]
    second = waited(session, "t.py::test_b", dict(SLOW), Scripted(ends_at=3.05))
    # the window (3, 5] of test_a's run: its first quarter (3.5125 s, padded) in two steps,
    # after a poll at the launch (the same work's runs may have been the local backend's,
    # whose first status offers held polls: only the test's own unsized runs skip that poll)
    assert second.sleeps == pytest.approx([1.75625, 1.75625])
    assert second.polls == pytest.approx([100.0, 101.75625, 103.5125])
    same = session.for_test("t.py::test_b", HOSTED).same_work("tasks", 22, 10, SLOW)
    assert same is not None
    assert same == f"* | {HOSTED} | tasks 22/10 | {work_digest(SLOW)}"
    assert session.store().window(same) == pytest.approx((3.0, 3.5125))
    assert same in session.new  # kept in the cache with the test's own key


@pytest.mark.parametrize(
    "other",
    [
        {**SLOW, "count": 2},
        {"count": 1, "configOverrides": {"models": [{"nodeId": "plan", "modelSlug": "echo"}]}},
        {**SLOW, "inputs": [{"city": "Rome"}]},
    ],
    ids=["count", "model", "inputs"],
)
def test_runs_of_other_work_on_the_workflow_do_not_time_a_new_test(other: dict[str, Any]) -> None:
    session = durations()
    client = waited(session, "t.py::test_a", SLOW, Scripted(ends_at=3.05))
    # the same client: its per-workflow memory has the run, but a hosted status does not
    # count the tasks, so that key holds runs of every size: not a predictor
    waited(session, "t.py::test_b", other, client.again(3.05))
    assert client.sleeps == pytest.approx(NOTHING_KNOWN)


def test_the_tests_own_runs_come_before_runs_of_the_same_payload() -> None:
    session = durations()
    history = session.for_test("t.py::test_b", HOSTED)
    same = history.same_work("tasks", 22, 10, SLOW)
    session.record(str(same), 9.9, 10.0)
    history.record("tasks", None, 2.9, 3.1)  # test_b's own run
    assert history.window("tasks", None, same) == (2.9, 3.1)
    assert session.for_test("t.py::test_c", HOSTED).window("tasks", None, same) == (9.9, 10.0)
    assert session.for_test("t.py::test_c", HOSTED).window("tasks", None) is None


def test_the_same_work_ignores_run_unique_variant_names_only() -> None:
    def experiment(name: str, model: str = "slow") -> dict[str, Any]:
        overrides = {"models": [{"nodeId": "plan", "modelSlug": model}]}
        return {"count": 3, "variants": [{"name": name, "configOverrides": overrides}]}

    assert work_digest(experiment("pp-1a2b-baseline")) == work_digest(experiment("pp-9z-base"))
    assert work_digest(experiment("pp-1a2b-baseline")) != work_digest(experiment("x", "echo"))
    session = durations()
    waited(session, "t.py::test_v[a]", experiment("pp-1"), Scripted(3.05), "experiment")
    later = waited(session, "t.py::test_w[a]", experiment("pp-2"), Scripted(3.05), "experiment")
    assert later.sleeps == pytest.approx([1.75625, 1.75625])


def test_the_deployment_names_no_credentials() -> None:
    assert deployment("local", "http://127.0.0.1:5123") == "local"
    assert deployment("remote", None) == "local"
    assert (
        deployment("remote", "https://user:pk_live_secret@api.example:8443/v1/?token=x#frag")
        == "https://api.example:8443/v1"
    )


def test_a_hostile_cache_entry_is_ignored(tmp_path: Path) -> None:
    class Cache:
        def get(self, key: str, default: Any) -> Any:
            assert key == CACHE_KEY
            return {"ok": [[1.0, 2.0]], "bad": [[5.0, 1.0]], "7": "nope", "nan": [[0, "x"]]}

    class Config:
        cache = Cache()

    session = durations(Config())
    assert session.store().to_json() == {"ok": [[1.0, 2.0]]}


INNER = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1)

@pytest.fixture(autouse=True)
def seen_windows(monkeypatch):
    from pytest_pipelines import _durations

    seen = []
    window = _durations.TestDurations.window

    def spy(self, kind, size, same=None):
        got = window(self, kind, size, same)
        seen.append((self.key(kind, size), got))
        return got

    monkeypatch.setattr(_durations.TestDurations, "window", spy)
    return seen

@pytest.mark.pipelines_model_swap("plan", "echo")
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_{name}(pipelines_run, seen_windows, request):
    import json, os
    with open(f"seen-{{os.getpid()}}-{name}.json", "w") as out:
        json.dump(seen_windows, out)
"""


def inner(pytester: pytest.Pytester, *names: str) -> None:
    pytester.makepyfile(test_eval="".join(INNER.format(name=n) for n in names))


def saved(pytester: pytest.Pytester) -> dict[str, Any]:
    path = pytester.path / CACHE_FILE
    assert path.is_file(), sorted(p.name for p in pytester.path.iterdir())
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def seen(pytester: pytest.Pytester, name: str) -> list[Any]:
    files = sorted(pytester.path.glob(f"seen-*-{name}.json"))
    assert len(files) == 1, files
    found = json.loads(files[0].read_text())
    files[0].unlink()
    assert isinstance(found, list)
    return found


def test_the_cache_is_written_and_read_by_the_next_session(
    pytester: pytest.Pytester, backend: Any
) -> None:
    args = [f"--pipelines-env={backend.base_url}", f"--pipelines-api-key={backend.api_key}"]
    inner(pytester, "a")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    first = saved(pytester)
    key = f"test_eval.py::test_a | {backend.base_url} | tasks x1"
    # before the first status (its size unknown): the test's runs of no known size would time
    # the first poll; the local backend's statuses count the tasks, so there are none
    unsized = f"test_eval.py::test_a | {backend.base_url} | tasks x?"
    [same] = [k for k in first if k != key]  # the same work's key, for other tests' runs
    assert same.startswith(f"* | {backend.base_url} | tasks 22/10 | ")
    assert first[same] == first[key]
    [[lo, hi]] = first[key]
    assert 0 <= lo <= hi < 30
    assert seen(pytester, "a") == [[unsized, None], [key, None]]  # nothing known yet
    assert backend.api_key not in (pytester.path / CACHE_FILE).read_text()

    # the next session: the first run is timed by the saved interval, then both are kept
    pytester.runpytest(*args).assert_outcomes(passed=1)
    assert seen(pytester, "a") == [[unsized, None], [key, pytest.approx([lo, hi])]]
    second = saved(pytester)
    assert len(second[key]) == 2
    assert second[key][0] == pytest.approx([lo, hi])

    # --cache-clear forgets it; -p no:cacheprovider neither reads nor writes
    pytester.runpytest(*args, "--cache-clear").assert_outcomes(passed=1)
    assert seen(pytester, "a") == [[unsized, None], [key, None]]
    assert len(saved(pytester)[key]) == 1
    before = (pytester.path / CACHE_FILE).read_text()
    pytester.runpytest(*args, "-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert seen(pytester, "a") == [[unsized, None], [key, None]]
    assert (pytester.path / CACHE_FILE).read_text() == before


def test_xdist_workers_send_their_runs_and_the_controller_writes_once(
    pytester: pytest.Pytester, backend: Any
) -> None:
    args = [f"--pipelines-env={backend.base_url}", f"--pipelines-api-key={backend.api_key}"]
    pytester.makepyfile(
        conftest="""
import os
import pytest

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    # a worker that writes the durations' key leaves a file behind
    cache = getattr(config, "cache", None)
    if cache is None or not hasattr(config, "workerinput"):
        return
    original = cache.set
    def spy(key, value):
        if key.startswith("pipelines/"):
            open(f"worker-wrote-{os.getpid()}", "w").close()
        original(key, value)
    cache.set = spy
"""
    )
    # a broken cache file is ignored, then replaced
    path = pytester.path / CACHE_FILE
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    inner(pytester, "a", "b", "c")
    pytester.runpytest_subprocess(*args, "-n", "2").assert_outcomes(passed=3)
    data = saved(pytester)
    tests = [f"test_eval.py::test_{n} | {backend.base_url} | tasks x1" for n in "abc"]
    [same] = sorted(set(data) - set(tests))  # the three tests launch the same payload
    assert sorted(data) == sorted([*tests, same])
    assert all(len(data[k]) == 1 for k in tests)
    assert len(data[same]) == 3
    assert not list(pytester.path.glob("worker-wrote-*"))
    for name in "abc":
        seen(pytester, name)
    pytester.runpytest_subprocess(*args, "-n", "2").assert_outcomes(passed=3)
    again = saved(pytester)
    assert all(len(again[k]) == 2 for k in tests)
    assert len(again[same]) == 5  # DURATIONS_KEPT: the last five of the six
    for name in "abc":
        [_, [_, window]] = seen(pytester, name)
        assert window is not None  # each worker read the cache
