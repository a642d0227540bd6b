"""``pipelines_freeze_at_exit``: a process that used Pipelines freezes the collector's heap at
exit (pytest_pipelines/_exit.py), after collecting the garbage there is.

Each case runs pytest in a subprocess (the handler runs at interpreter exit). A conftest
registers, at its import, an ``atexit`` probe: registered before the plugin's handler (the
plugin registers when it first makes a client), it runs after it and writes what it sees.
"""

from __future__ import annotations

import json

import pytest

from pytest_pipelines import _exit

# ``PROBE_FILE`` gets the freeze count the probe saw and whether the finalizers ran.
PROBE = """
import atexit, gc, json, os

FINALIZED = []


class Cycle:
    # an object in a reference cycle whose finalizer leaves a trace in a file
    def __init__(self, tag):
        self.tag, self.me, self.path = tag, self, os.environ["TRACE_FILE"]

    # (the module's globals may be None by the time the shutdown finalizes it: bind ``open``)
    def __del__(self, _open=open):
        with _open(self.path, "a") as f:
            f.write(self.tag + "\\n")


# alive (a module global) until the interpreter clears this module at shutdown
KEPT = Cycle("module-global")


def probe():
    with open(os.environ["PROBE_FILE"], "w") as f:
        json.dump({"frozen": gc.get_freeze_count()}, f)


atexit.register(probe)
"""

EVAL = """
import atexit
import pytest
from conftest import Cycle


def garbage_at_exit():
    # an atexit handler registered after the plugin's runs before it: the cycle it drops is
    # garbage, not yet collected, when the plugin's handler runs
    Cycle("garbage")


@pytest.mark.pipelines_workflow(22, 10, count=1)
def test_eval(pipelines_run):
    atexit.register(garbage_at_exit)
    assert len(pipelines_run.tasks) == 1
"""

PLAIN = """
def test_plain():
    pass
"""


def run(pytester: pytest.Pytester, test: str, *args: str) -> tuple[int, list[str]]:
    """Run ``test`` in a subprocess in local mode: the probe's freeze count, the traces."""
    pytester.makeconftest(PROBE)
    pytester.makepyfile(test_it=test)
    probe, trace = pytester.path / "probe.json", pytester.path / "trace.txt"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PROBE_FILE", str(probe))
        mp.setenv("TRACE_FILE", str(trace))
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--pipelines-env=local", "--pipelines-demo", *args
        )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    traces = trace.read_text().split() if trace.exists() else []
    return int(json.loads(probe.read_text())["frozen"]), sorted(traces)


def test_an_eval_session_exits_with_its_heap_frozen(pytester: pytest.Pytester) -> None:
    frozen, traces = run(pytester, EVAL)
    # the client, FastAPI and the rest went to the permanent generation: tens of thousands
    assert frozen > 20_000
    # the garbage there was at exit was collected first: its finalizer ran
    assert "garbage" in traces
    # what the documentation says changes: a cycle still reachable at exit is not finalized
    assert "module-global" not in traces


def test_the_setting_off_keeps_the_interpreters_shutdown(pytester: pytest.Pytester) -> None:
    frozen, traces = run(pytester, EVAL, "-o", "pipelines_freeze_at_exit=false")
    assert frozen == 0
    # CPython's own shutdown collects both cycles
    assert traces == ["garbage", "module-global"]


def test_a_session_without_an_eval_test_changes_nothing(pytester: pytest.Pytester) -> None:
    frozen, traces = run(pytester, PLAIN)
    assert frozen == 0
    assert traces == ["module-global"]


def test_a_bad_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_it=PLAIN)
    result = pytester.runpytest("-o", "pipelines_freeze_at_exit=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*ini key pipelines_freeze_at_exit is 'sometimes'; valid values are true or false.*"]
    )


def test_the_last_session_decides_and_the_handler_is_registered_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registered: list[object] = []
    monkeypatch.setattr(_exit, "_armed", False)
    monkeypatch.setattr(_exit, "_registered", False)
    monkeypatch.setattr(_exit.atexit, "register", registered.append)
    _exit.arm(True)
    _exit.arm(True)
    assert registered == [_exit.freeze_at_exit]
    assert _exit.armed()
    _exit.arm(False)
    assert not _exit.armed()
    # disarmed, the handler does nothing
    calls: list[str] = []
    monkeypatch.setattr(_exit.gc, "collect", lambda: calls.append("collect"))
    monkeypatch.setattr(_exit.gc, "freeze", lambda: calls.append("freeze"))
    _exit.freeze_at_exit()
    assert calls == []
    _exit.arm(True)
    _exit.freeze_at_exit()
    assert calls == ["collect", "freeze"]
    assert registered == [_exit.freeze_at_exit]
