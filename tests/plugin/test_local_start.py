"""Local mode under xdist: the controller starts the embedded backend in the background while
its workers start and collect; each worker waits for it at its first test that needs it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_pipelines._session import (
    HANDOFF_FILE,
    LOCAL_DEMO_KEY,
    LOCAL_NOT_READY,
    LOCAL_START_FAILED,
    START_THREAD,
    STATE_KEY,
    PipelinesState,
    await_handoff,
    write_handoff,
)

LOCAL_INI = "[pytest]\npipelines_env = local\npipelines_demo = true\n"

EVAL_AND_PLAIN = """
import pytest

@pytest.mark.pipelines_workflow(22, 10, count=1)
def test_eval(pipelines_run):
    assert len(pipelines_run.tasks) == 1

def test_plain():
    pass
"""

# The controller's view: what each worker was told, and which of the plugin's threads are
# still alive when the interpreter exits (daemon threads would be; a leak shows up here).
CONTROLLER_PROBE = """
import atexit, json, threading
import pytest

SEEN = {}

def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        atexit.register(_write)

@pytest.hookimpl(trylast=True)
def pytest_configure_node(node):
    SEEN.setdefault("workerinput", []).append(sorted(node.workerinput))

def _write():
    SEEN["threads"] = sorted(
        t.name for t in threading.enumerate() if t.name.startswith(("pipelines-local", "{thread}"))
    )
    with open("controller.json", "w") as f:
        json.dump(SEEN, f)
""".replace("{thread}", START_THREAD)


def _controller(pytester: pytest.Pytester) -> dict[str, list[object]]:
    data: dict[str, list[object]] = json.loads((pytester.path / "controller.json").read_text())
    return data


def test_workers_start_before_the_backend_is_up_and_use_it(pytester: pytest.Pytester) -> None:
    pytester.makeini(LOCAL_INI)
    pytester.makeconftest(CONTROLLER_PROBE)
    pytester.makepyfile(test_a=EVAL_AND_PLAIN, test_b=EVAL_AND_PLAIN)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=4)
    seen = _controller(pytester)
    # each worker got the handoff file and the key, not a URL: it was not waited for
    for keys in seen["workerinput"]:
        assert isinstance(keys, list)
        assert "pipelines_local_handoff" in keys
        assert "pipelines_api_key" in keys
        assert "pipelines_base_url" not in keys
    assert len(seen["workerinput"]) == 2
    assert seen["threads"] == []  # start thread joined, server stopped


def test_a_start_failure_reaches_the_first_eval_test_not_collection(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(LOCAL_INI + "pipelines_seeds = missing.json\n")
    pytester.makeconftest(CONTROLLER_PROBE)
    pytester.makepyfile(test_a=EVAL_AND_PLAIN)
    expected = LOCAL_START_FAILED.format(
        error="[Errno 2] No such file or directory: 'missing.json'"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([f"*{expected[:60]}*"])
    assert expected in result.stdout.str().replace("\n", "")
    assert _controller(pytester)["threads"] == []
    # without xdist the same message, at the same place (the start there is synchronous);
    # in-process, so without the probe, whose exit handler would run when this process exits
    pytester.makeconftest("")
    single = pytester.runpytest("-p", "no:cacheprovider")
    single.assert_outcomes(passed=1, errors=1)
    assert expected in single.stdout.str().replace("\n", "")


def test_keyboard_interrupt_during_collection_stops_the_start(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(LOCAL_INI)
    pytester.makeconftest(
        CONTROLLER_PROBE
        + """
def pytest_xdist_node_collection_finished(node, ids):
    raise KeyboardInterrupt
"""
    )
    pytester.makepyfile(test_a=EVAL_AND_PLAIN)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert _controller(pytester)["threads"] == []


def _worker_state(pytestconfig: pytest.Config, handoff: Path) -> PipelinesState:
    return PipelinesState(
        settings=pytestconfig.stash[STATE_KEY].settings,
        run_id="r",
        worker="gw0",
        is_worker=True,
        handoff=str(handoff),
    )


def test_a_worker_takes_the_url_or_the_error_from_the_handoff_file(
    pytestconfig: pytest.Config, tmp_path: Path
) -> None:
    path = tmp_path / HANDOFF_FILE
    write_handoff(str(path), {"base_url": "http://127.0.0.1:1234"})
    assert os.listdir(tmp_path) == [HANDOFF_FILE]  # written whole, nothing partial left
    state = _worker_state(pytestconfig, path)
    await_handoff(state, timeout=1)
    assert state.base_url == "http://127.0.0.1:1234"

    message = LOCAL_START_FAILED.format(error="boom")
    write_handoff(str(path), {"error": message})
    state = _worker_state(pytestconfig, path)
    with pytest.raises(pytest.fail.Exception) as info:
        await_handoff(state, timeout=1)
    assert str(info.value) == message
    assert state.base_url is None


def test_a_worker_that_never_hears_from_the_controller_says_so(
    pytestconfig: pytest.Config, tmp_path: Path
) -> None:
    path = tmp_path / HANDOFF_FILE
    state = _worker_state(pytestconfig, path)
    with pytest.raises(pytest.fail.Exception) as info:
        await_handoff(state, timeout=0.05)
    assert str(info.value) == LOCAL_START_FAILED.format(
        error=LOCAL_NOT_READY.format(seconds=0.05, path=path)
    )


def test_the_key_given_to_workers_is_the_backends_demo_key() -> None:
    from pytest_pipelines.local._store.identity import DEMO_KEY

    assert LOCAL_DEMO_KEY == DEMO_KEY
