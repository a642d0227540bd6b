"""Nothing is left on the backend after a suite whose tests fail, error, are interrupted, or
whose xdist worker crashes (each test inspects a fresh LocalPipelines of its own)."""

from __future__ import annotations

from typing import Any

import pytest

CREATE_ALL = """
import os
import pytest

@pytest.fixture
def objects(pipelines_prompt, pipelines_criterion, pipelines_evaluation, pipelines_tool_endpoint,
            pipelines_tool_binding, pipelines_tool_ground_truth):
    prompt = pipelines_prompt("Plan {{days}} days in {{city}}.", name="p")
    crit = pipelines_criterion("C", config={"subtype": "contains_keywords", "keywords": ["Rome"]})
    ev = pipelines_evaluation([crit])
    ep = pipelines_tool_endpoint(config={"tools": [{"name": "lookup", "response": "ok"}]})
    binding = pipelines_tool_binding(10, node_id="plan", field_id="itinerary", endpoint=ep, selected_tools=["lookup"])
    truth = pipelines_tool_ground_truth(10, node_id="plan", field_id="itinerary", expected_tools=["lookup"])
    return {"prompt": prompt, "criterion": crit, "evaluation": ev, "endpoint": ep, "binding": binding, "truth": truth}
"""


def args_for(local: Any) -> list[str]:
    return [
        f"--pipelines-env={local.base_url}",
        f"--pipelines-api-key={local.api_key}",
        "-p",
        "no:cacheprovider",
    ]


@pytest.fixture
def leftovers(names_with_prefix: Any) -> Any:
    """The function listing what an inner run left on a backend."""

    def find(local: Any) -> list[str]:
        return _leftovers(local, names_with_prefix)

    return find


def _leftovers(local: Any, names_with_prefix: Any) -> list[str]:
    with local.client() as client:
        found = names_with_prefix(client)
        found += [
            f"binding {b['id']}"
            for b in client.iter_tool_bindings(10)
            if b.get("node_id") == "plan"
        ]
        found += [
            f"truth {g['id']}"
            for g in client.iter_tool_ground_truths(10)
            if g.get("node_id") == "plan"
        ]
    return found


def test_factories_create_unique_objects_and_delete_them(
    pytester: pytest.Pytester, fresh: Any, leftovers: Any
) -> None:
    pytester.makepyfile(
        CREATE_ALL
        + """
def test_names(objects, pipelines_client):
    names = [objects[k]["name"] for k in ("prompt", "criterion", "evaluation", "endpoint")]
    assert len({n.rsplit("-", 1)[0] for n in names}) == 4  # distinct sequence numbers
    for n in names:
        assert n.startswith("pytest-") and "-main-" in n
    assert names[1].endswith("-C")
    assert objects["binding"]["endpoint_id"] == objects["endpoint"]["id"]
    assert pipelines_client.get_prompt(objects["prompt"]["id"])["name"] == names[0]
"""
    )
    pytester.runpytest(*args_for(fresh)).assert_outcomes(passed=1)
    assert leftovers(fresh) == []


def test_nothing_left_after_failures_and_errors(
    pytester: pytest.Pytester, fresh: Any, leftovers: Any
) -> None:
    pytester.makepyfile(
        CREATE_ALL
        + """
def test_fails(objects):
    assert False

@pytest.fixture
def broken(objects):
    raise RuntimeError("setup broke after creating objects")

def test_errors(broken):
    pass

@pytest.mark.pipelines_workflow(22, 10)
@pytest.mark.pipelines_model_swap("plan", "no-such-model")
def test_broken_run(objects, pipelines_run):
    pass
"""
    )
    result = pytester.runpytest(*args_for(fresh))
    result.assert_outcomes(failed=1, errors=2)
    assert leftovers(fresh) == []


def test_nothing_left_after_interrupt(
    pytester: pytest.Pytester, fresh: Any, leftovers: Any
) -> None:
    pytester.makepyfile(
        CREATE_ALL
        + """
def test_interrupted(objects):
    raise KeyboardInterrupt

def test_never_runs():
    pass
"""
    )
    result = pytester.runpytest_subprocess(*args_for(fresh))
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert leftovers(fresh) == []


def test_sweep_removes_what_a_crashed_worker_left(
    pytester: pytest.Pytester, fresh: Any, leftovers: Any
) -> None:
    pytester.makepyfile(
        CREATE_ALL
        + """
def test_crash(objects):
    os._exit(1)

def test_ok():
    pass
"""
    )
    result = pytester.runpytest_subprocess(*args_for(fresh), "-n", "2")
    result.stdout.fnmatch_lines(["*crashed*", "pipelines: swept 6 object(s) left by this run: *"])
    assert leftovers(fresh) == []


def test_sweep_only_touches_this_runs_prefix(
    pytester: pytest.Pytester, fresh: Any, names_with_prefix: Any
) -> None:
    with fresh.client() as client:
        other = client.create_prompt(
            {
                "name": "pytest-000000000000-main-1-other-run",
                "prompt_text": "x",
                "scope_type": "org",
                "org_id": 2,
            }
        )
        pytester.makepyfile(CREATE_ALL + "\ndef test_crash(objects):\n    os._exit(1)\n")
        pytester.runpytest_subprocess(*args_for(fresh), "-n", "1")
        assert names_with_prefix(client) == ["pytest-000000000000-main-1-other-run"]
        client.delete_prompt(other["id"])


def test_no_sweep_when_a_serial_session_never_used_the_api(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")
    # an address where nothing listens: a sweep would have to report a connection failure
    result = pytester.runpytest(
        "--pipelines-env=http://127.0.0.1:9", "--pipelines-api-key=pk_x", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
    assert "pipelines: the sweep" not in result.stdout.str()
    assert "swept" not in result.stdout.str()


EXPERIMENTS = """
import os
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1, mode="experiment")
ECHO = {"models": [{"nodeId": "plan", "modelSlug": "echo"}]}

@pytest.mark.pipelines_variants(baseline={}, echo=ECHO)
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)
def test_gated(pipelines_run):
    pass

def test_body_fails(pipelines_run):
    assert pipelines_run.run_workflow_id == 10

@pytest.mark.pipelines_model_swap("plan", "no-such-model")
def test_broken(pipelines_run):
    pass
"""


def _workflows(local: Any) -> dict[int, str]:
    with local.client() as client:
        return {
            int(wf["id"]): str(wf["name"])
            for project in client.iter_projects()
            for wf in client.iter_project_workflows(project["id"])
        }


def test_experiment_copies_are_deleted_at_teardown(pytester: pytest.Pytester, fresh: Any) -> None:
    before = _workflows(fresh)
    pytester.makepyfile(EXPERIMENTS)
    result = pytester.runpytest(*args_for(fresh), "-rA")
    # test_gated[echo] misses its gate, test_body_fails fails; test_broken's run is an error
    result.assert_outcomes(passed=1, failed=2, errors=1)
    assert "swept" not in result.stdout.str()  # teardown deleted them, not the sweep
    assert _workflows(fresh) == before


def test_sweep_removes_experiment_copies_a_crashed_worker_left(
    pytester: pytest.Pytester, fresh: Any
) -> None:
    before = _workflows(fresh)
    pytester.makepyfile(
        """
import os
import pytest

@pytest.mark.pipelines_workflow(22, 10, count=1, mode="experiment")
def test_crash(pipelines_run, pipelines_client):
    copy = pipelines_client.get_workflow(22, pipelines_run.run_workflow_id)
    assert copy["name"].startswith("Italy - Experiment pytest-")
    os._exit(1)

def test_ok():
    pass
"""
    )
    result = pytester.runpytest_subprocess(*args_for(fresh), "-n", "2")
    result.stdout.fnmatch_lines(
        [
            "*crashed*",
            "pipelines: swept 1 object(s) left by this run: workflow * 'Italy - Experiment pytest-*",
        ]
    )
    assert _workflows(fresh) == before


def test_experiment_copies_are_deleted_after_a_timeout(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        slowexp="""
import time

def slowexp(request):
    time.sleep(1.0)
    return "Day 1: Colosseum"
"""
    )
    pytester.syspathinsert()
    pytester.makepyfile(
        test_timeout="""
import pytest

@pytest.mark.pipelines_workflow(22, 10, count=1, timeout=0.3, mode="experiment")
@pytest.mark.pipelines_model_swap("plan", "slowexp")
def test_slow(pipelines_run):
    pass

def test_no_copy_left(pipelines_client):
    names = [wf["name"] for wf in pipelines_client.iter_project_workflows(22)]
    assert names == ["Italy"]
"""
    )
    result = pytester.runpytest(
        "--pipelines-env=local",
        "--pipelines-demo",
        "--pipelines-model=slowexp:slowexp",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*did not finish within 0.3s*"])


def test_janitor_keeps_deleting_after_an_unexpected_error() -> None:
    from pytest_pipelines._fixtures import _Janitor

    done: list[str] = []

    def boom() -> None:
        raise RuntimeError("socket closed")

    janitor = _Janitor()
    janitor.add("prompt 1", lambda: done.append("prompt 1"))
    janitor.add("prompt 2", boom)
    janitor.add("prompt 3", lambda: done.append("prompt 3"))
    with pytest.raises(pytest.fail.Exception) as info:
        janitor.clean()
    assert done == ["prompt 3", "prompt 1"]
    assert "prompt 2: RuntimeError: socket closed" in str(info.value)


# The session is sent SIGTERM while a test that made objects runs, as a CI's cancel or timeout
# does; the marker file says the test got that far.
TERMINATED_SUITE = """
import signal
import time

def test_terminated(objects):
    open("reached", "w").close()
    {kill}
    time.sleep(60)

def test_never_runs():
    pass
"""


def test_nothing_left_after_sigterm(pytester: pytest.Pytester, fresh: Any, leftovers: Any) -> None:
    from pytest_pipelines._sigterm import TERMINATED

    pytester.makepyfile(
        CREATE_ALL + TERMINATED_SUITE.format(kill="os.kill(os.getpid(), signal.SIGTERM)")
    )
    result = pytester.runpytest_subprocess(*args_for(fresh), timeout=120)
    assert (pytester.path / "reached").exists()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"*{TERMINATED[:60]}*"])
    assert "test_never_runs" not in result.stdout.str()
    assert leftovers(fresh) == []


def test_sigterm_to_the_controller_and_a_worker_leaves_nothing(
    pytester: pytest.Pytester, fresh: Any, leftovers: Any
) -> None:
    # a CI signals the whole process group: the worker's parent is the xdist controller
    kill = "os.kill(os.getppid(), signal.SIGTERM); os.kill(os.getpid(), signal.SIGTERM)"
    pytester.makepyfile(CREATE_ALL + TERMINATED_SUITE.format(kill=kill))
    result = pytester.runpytest_subprocess(*args_for(fresh), "-n", "2", timeout=120)
    assert (pytester.path / "reached").exists()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert leftovers(fresh) == []


def test_with_the_setting_off_sigterm_kills_as_by_default(
    pytester: pytest.Pytester, fresh: Any, leftovers: Any
) -> None:
    pytester.makepyfile(
        CREATE_ALL + TERMINATED_SUITE.format(kill="os.kill(os.getpid(), signal.SIGTERM)")
    )
    # the killed session cannot remove its ledger directory: it goes in this test's own
    # temporary directory, not the machine's
    tmp = pytester.path / "tmp"
    tmp.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", str(tmp))
        result = pytester.runpytest_subprocess(
            *args_for(fresh), "-o", "pipelines_handle_sigterm=false", timeout=120
        )
    assert result.ret == -15
    # nothing ran after the signal: what the test made is still there, and its ledger
    assert len(leftovers(fresh)) == 6
    assert [p.name.startswith("pytest-pipelines-ledger-") for p in tmp.iterdir()] == [True]
