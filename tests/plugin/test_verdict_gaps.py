"""The verdict work's loose ends (issue 8): tool-gate severity, bad input at collection, the
adaptive timeout, a failing body's regression row, warnings under filterwarnings=error."""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pipelines import PipelinesGateWarning
from pytest_pipelines._gates import Gates, apply_gates, check_tool_gate, emit_warnings
from pytest_pipelines._markers import ToolGate
from pytest_pipelines._results import RunResult, ToolCorrectness, parse_task

if TYPE_CHECKING:
    from pytest_pipelines.local import LocalPipelines
    from pytest_pipelines.local.models import ModelRequest


def _tool_run(scores: list[float]) -> RunResult:
    tasks = []
    for i, score in enumerate(scores, start=1):
        task = parse_task({"id": i, "status": "completed", "inputs": {"n": i}, "nodes": []})
        check = ToolCorrectness(i, "plan", i, "itinerary", score, score >= 1.0, 1.0)
        tasks.append(replace(task, tool_correctness=(check,)))
    return RunResult(22, 10, "tasks", None, tuple(tasks))


# --- 1. a tool gate's severity, and the arguments it refuses ---------------------------------


def test_tool_gate_severity_warn_reports_a_miss_without_failing() -> None:
    run = _tool_run([1.0, 0.5, 1.0])
    blocking = check_tool_gate(ToolGate("itinerary"), run)
    assert (blocking.passed, blocking.verdict, blocking.warning) == (False, "MISS", "")
    watched = check_tool_gate(ToolGate("itinerary", severity="warn"), run)
    assert watched.passed
    assert watched.verdict == "miss (warn)"
    assert watched.observed == 0.5
    assert "tools itinerary min_score = 0.5 misses >= 1 (severity='warn'" in watched.warning
    assert [e.task_id for e in watched.examples] == [2, 1, 3]
    # a field no task has is a miss too: reported, not failed
    absent = check_tool_gate(ToolGate("notes", severity="warn"), run)
    assert absent.passed
    assert "no task has LLM field 'notes'" in absent.warning
    # the verdict passes and the warning is a PipelinesGateWarning in pytest's summary
    verdict = apply_gates(run, Gates(tools=(ToolGate("itinerary", severity="warn"),)))
    assert verdict.passed
    assert verdict.warnings == (watched.warning,)
    with pytest.warns(PipelinesGateWarning, match="severity='warn'"):
        emit_warnings(verdict)
    # a clean run warns of nothing
    clean = apply_gates(
        _tool_run([1.0, 1.0]), Gates(tools=(ToolGate("itinerary", severity="warn"),))
    )
    assert clean.passed
    assert clean.warnings == ()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        emit_warnings(clean)


# --- 8. bad input: a collection error naming test, marker, argument and valid values ----------

WF = "@pytest.mark.pipelines_workflow(22, 10)"
VARIANTS = (
    "@pytest.mark.pipelines_variants(control={}, "
    "new={'models': [{'nodeId': 'plan', 'modelSlug': 'm'}]})"
)
#: file -> (markers, [marker, argument, valid values, the bad value])
BAD_INPUT = {
    "test_confidence_high": (
        WF + "\n@pytest.mark.pipelines_gate('C', min_pass_rate=0.8, confidence=1.5)",
        ["pipelines_gate", "'confidence'", "strictly between 0 and 1", "1.5"],
    ),
    "test_confidence_zero": (
        WF + "\n@pytest.mark.pipelines_gate('C', min_pass_rate=0.8, confidence=0)",
        ["pipelines_gate", "'confidence'", "strictly between 0 and 1", "got 0"],
    ),
    "test_compare_confidence": (
        "@pytest.mark.pipelines_workflow(22, 10, mode='experiment')\n"
        + VARIANTS
        + "\n@pytest.mark.pipelines_compare('C', baseline='control', confidence=-0.5)",
        ["pipelines_compare", "'confidence'", "strictly between 0 and 1", "-0.5"],
    ),
    "test_reduce": (
        WF + "\n@pytest.mark.pipelines_gate('C', min_pass_rate=0.8, reduce='best')",
        ["pipelines_gate", "'reduce'", "'mean', 'all', 'any', 'majority'", "'best'"],
    ),
    "test_repeat": (
        "@pytest.mark.pipelines_workflow(22, 10, repeat=0)",
        ["pipelines_workflow", "'repeat'", "an int >= 1", "got 0"],
    ),
    "test_max_count": (
        "@pytest.mark.pipelines_workflow(22, 10, count=20, max_count=5)",
        ["pipelines_workflow", "'max_count' (5)", "less than 'count' (20)", "max_count >= count"],
    ),
    "test_max_drop_high": (
        WF + "\n@pytest.mark.pipelines_gate('C', max_drop=1.5)",
        ["pipelines_gate", "'max_drop'", "between 0 and 1", "1.5"],
    ),
    "test_max_drop_negative": (
        WF + "\n@pytest.mark.pipelines_gate('C', max_drop=-0.05)",
        ["pipelines_gate", "'max_drop'", "between 0 and 1", "-0.05"],
    ),
    "test_compare_variant": (
        "@pytest.mark.pipelines_workflow(22, 10, mode='experiment')\n"
        + VARIANTS
        + "\n@pytest.mark.pipelines_compare('C', baseline='contrl')",
        ["pipelines_compare", "'baseline'", "its variants: 'control', 'new'", "'contrl'"],
    ),
    "test_tool_confidence": (
        WF + "\n@pytest.mark.pipelines_tool_gate('itinerary', confidence=0.95)",
        [
            "pipelines_tool_gate",
            "'confidence' does not apply to a tool gate",
            "Valid arguments: field, node, min_score, evaluation_params, exact, ordering, severity",
            "pipelines_gate(criterion, min_pass_rate=..., confidence=...)",
        ],
    ),
    "test_tool_inconclusive": (
        WF + "\n@pytest.mark.pipelines_tool_gate('itinerary', on_inconclusive='warn')",
        ["pipelines_tool_gate", "'on_inconclusive' does not apply to a tool gate"],
    ),
}


def test_bad_input_is_a_collection_error_naming_test_marker_argument_and_valid_values(
    pytester: pytest.Pytester,
) -> None:
    for name, (markers, _) in BAD_INPUT.items():
        body = f"import pytest\n\n{markers}\ndef test_eval(pipelines_run):\n    pass\n"
        pytester.makepyfile(**{name: body})
    # one inner session for every case: collection alone, no backend needed
    result = pytester.runpytest("--collect-only", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=len(BAD_INPUT))
    out = result.stdout.str()
    assert "Traceback" not in out
    for name, (_, fragments) in BAD_INPUT.items():
        # the error's own block: from "<file>::test_eval: @pytest.mark." to its signature line
        start = out.index(f"{name}.py::test_eval: @pytest.mark.")
        block = out[start : out.index("signature: ", start)]
        for fragment in fragments:
            assert fragment in block, (name, fragment, block)


# --- 2. adaptive sampling: the timeout is the whole item's budget ----------------------------


class _Batches:
    """Stand-ins for launch/wait/gather: every batch takes ``seconds`` of a fake clock."""

    def __init__(self, seconds: float) -> None:
        self.now = 0.0
        self.seconds = seconds
        self.timeouts: list[float] = []
        self.sizes: list[int] = []

    def clock(self) -> float:
        return self.now

    def payload(self, spec: Any, resolve: Any, **kw: Any) -> dict[str, Any]:
        return {"count": kw.get("n_inputs") or spec.target.count, "first": kw.get("first_input", 0)}

    def launch(self, client: Any, spec: Any, payload: dict[str, Any], key: str) -> Any:
        from pytest_pipelines._run import Launch

        self.sizes.append(int(payload["count"]))
        return Launch("tasks", str(len(self.sizes)), payload)

    def wait(
        self, client: Any, spec: Any, started: Any, *, timeout: float, progress: Any, **kw: Any
    ) -> Any:
        from pytest_pipelines._run import RunTimedOut

        self.timeouts.append(timeout)
        if self.seconds > timeout:
            self.now += timeout
            raise RunTimedOut("batch timed out")
        self.now += self.seconds
        return {"status": "completed", "payload": started.payload}

    def gather(self, client: Any, spec: Any, started: Any, status: Any, **kw: Any) -> RunResult:
        first, count = started.payload["first"], started.payload["count"]
        tasks = tuple(
            parse_task(
                {
                    "id": first + i + 1,
                    "status": "completed",
                    "inputs": {"n": first + i},
                    "nodes": [],
                }
            )
            for i in range(count)
        )
        return RunResult(22, 10, "tasks", None, tasks)


def _adaptive(monkeypatch: pytest.MonkeyPatch, seconds: float, timeout: float) -> Any:
    from pytest_pipelines import _run
    from pytest_pipelines._markers import RunSpec, WorkflowTarget

    batches = _Batches(seconds)
    for name in ("launch", "wait", "gather"):
        monkeypatch.setattr(_run, name, getattr(batches, name))
    monkeypatch.setattr(_run, "build_payload", batches.payload)
    spec = RunSpec(WorkflowTarget(22, 10, count=2, max_count=16))

    def run() -> RunResult:
        return _run.execute(
            None,
            spec,
            resolve_fixture=lambda name: None,
            key=lambda payload: "k",
            timeout=timeout,
            undecided=lambda result: True,  # a gate that never decides: sampling runs on
            clock=batches.clock,
        )

    return batches, run


def test_an_adaptive_items_batches_share_one_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_pipelines._run import ADAPTIVE_TIMED_OUT, RunBroken

    # 10 s batches, a 25 s budget: the third batch gets the 5 s the first two left
    batches, run = _adaptive(monkeypatch, seconds=10, timeout=25)
    with pytest.raises(RunBroken) as info:
        run()
    assert batches.timeouts == [25, 15, 5]
    assert batches.sizes == [2, 2, 4]
    assert str(info.value) == ADAPTIVE_TIMED_OUT.format(
        what="workflow 10", timeout=25, batch=3, done=4, max_count=16
    )
    assert "the whole item's budget, every batch of adaptive sampling included" in str(info.value)
    # a budget that covers every batch: the schedule runs to max_count, each batch waiting at
    # most for what is left
    batches, run = _adaptive(monkeypatch, seconds=10, timeout=100)
    result = run()
    assert batches.sizes == [2, 2, 4, 8]
    assert batches.timeouts == [100, 90, 80, 70]
    assert (result.tasks_used, result.batches) == (16, 4)


# --- 3. a failing body keeps its regression row ------------------------------------------------

N_INPUTS = 40


def coin(rate: float, seed: int) -> Callable[[ModelRequest], str]:
    """A model that writes a day plan with probability ``rate``, drawn per prompt and seed (the
    same input gets the same answer, as at temperature 0)."""

    def model(request: ModelRequest) -> str:
        digest = hashlib.sha256(f"{seed}:{request.prompt}".encode()).digest()
        return (
            "Day 1: Colosseum" if int.from_bytes(digest[:8], "big") < rate * 2**64 else "No plan."
        )

    return model


@pytest.fixture
def gap_models(backend: LocalPipelines) -> None:
    """Two coins on the same draws: 0.9 and 0.6 make a paired 30-point drop."""
    backend.registry.register("gaps-coin-90", coin(0.90, 1))
    backend.registry.register("gaps-coin-60", coin(0.60, 1))


def regression_suite(model: str, body: str = "pass") -> str:
    return f"""
import pytest

INPUTS = [{{"city": f"City {{i}}", "days": 2}} for i in range({N_INPUTS})]

@pytest.mark.pipelines_workflow(22, 10, inputs=INPUTS, count={N_INPUTS})
@pytest.mark.pipelines_model_swap("plan", "{model}")
@pytest.mark.pipelines_gate("Has Day Number", max_drop=0.05)
def test_quality(pipelines_run):
    {body}
"""


def test_a_failing_body_still_reports_the_regression(
    pytester: pytest.Pytester, remote_args: list[str], gap_models: None
) -> None:
    from pytest_pipelines._hooks import BODY_FAILED_VERDICT

    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_q=regression_suite("gaps-coin-90"))
    pytester.runpytest(*remote_args, "--pipelines-baseline-update").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_q=regression_suite("gaps-coin-60", body="assert False, 'the body says no'")
    )
    result = pytester.runpytest(*remote_args)
    result.assert_outcomes(failed=1)
    # the failure is the body's, and the regression is shown beside it
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: the body says no*",
            "*- Captured pipelines verdict call -*",
            BODY_FAILED_VERDICT,
            "*Has Day Number*pass_rate*0.6*drop <= 0.05*",
            "*regression: worse than the baseline by more than max_drop=0.05*",
        ]
    )
    # the record the reports render: the body failed, the regression outcome is there
    [call] = [r for r in result.reprec.getreports("pytest_runtest_logreport") if r.when == "call"]
    record = call.pipelines_record
    assert record.body == "failed"
    [drop] = [g for g in record.gates if g.kind == "regression"]
    assert (drop.decision, drop.passed) == ("regression", False)
    assert drop.baseline == pytest.approx(0.9, abs=0.1)
    print("record:", drop)


# --- 6. pytest-pipelines' warnings in a suite with filterwarnings = error ---------------------

UNSURE = """
import pytest

# three tasks cannot show a pass rate >= 0.8 at 95 %: inconclusive, which warns by default
@pytest.mark.pipelines_workflow(22, 10, count=3)
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8, confidence=0.95)
def test_unsure(pipelines_run):
    pass

@pytest.mark.filterwarnings("default::pytest_pipelines.PipelinesWarning")
@pytest.mark.pipelines_workflow(22, 10, count=3)
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8, confidence=0.95)
def test_allowed(pipelines_run):
    pass
"""


def test_filterwarnings_error_fails_a_warning_gate_with_a_message_that_says_how_to_allow_it(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    from pytest_pipelines._gates import WARNING_BECAME_ERROR

    pytester.makepyfile(test_unsure=UNSURE)
    pytester.makeini("[pytest]\nfilterwarnings =\n    error\n")
    strict = pytester.runpytest(*remote_args)
    # the user asked for warnings to be errors: the unallowed one fails, the allowed one warns
    strict.assert_outcomes(failed=1, passed=1, warnings=1)
    advice = WARNING_BECAME_ERROR.split("{category}")[1].split("\n")[0]
    strict.stdout.fnmatch_lines(
        [
            "*_ test_unsure _*",
            "pipelines: Mentions Rome Highlights pass_rate = 1 (interval * at 95% confidence over "
            "3 task(s)) neither clears nor misses >= 0.8: inconclusive.*",
            f"pipelines: this PipelinesInconclusiveWarning{advice}",
            "*default::pytest_pipelines.PipelinesWarning",
            "*on_inconclusive='fail' or 'pass'*",
            "*warnings summary*",
            "*test_allowed*",
            "*PipelinesInconclusiveWarning: pipelines: Mentions Rome Highlights*",
        ]
    )
    # no traceback through the plugin's code: the message is the failure
    assert "_gates.py" not in strict.stdout.str()
    # the documented allow line, after `error`, keeps them warnings for the whole suite
    pytester.makeini(
        "[pytest]\nfilterwarnings =\n    error\n    default::pytest_pipelines.PipelinesWarning\n"
    )
    allowed = pytester.runpytest(*remote_args)
    allowed.assert_outcomes(passed=2, warnings=2)


# --- 4. -n 2: a pipelines_compare item and its multi-variant baseline entries -----------------

COMPARE_SUITE = """
import pytest

INPUTS = [{"city": f"City {i}", "days": 2} for i in range(12)]

@pytest.mark.pipelines_workflow(22, 10, inputs=INPUTS, count=12, mode="experiment")
@pytest.mark.pipelines_variants(
    control={"models": [{"nodeId": "plan", "modelSlug": "gaps-coin-60"}]},
    better={"models": [{"nodeId": "plan", "modelSlug": "gaps-coin-90"}]},
)
@pytest.mark.pipelines_compare("Has Day Number", baseline="control", min_difference=-0.5)
@pytest.mark.pipelines_gate("Has Day Number", max_drop=0.2)
def test_compare(pipelines_run):
    diff = pipelines_run.compare("better", "control", "Has Day Number")
    print("DIFF", diff.difference, diff.n_pairs)

@pytest.mark.pipelines_workflow(22, 10, inputs=INPUTS[:4], count=4)
@pytest.mark.pipelines_gate("Has Day Number", max_drop=0.2)
def test_plain(pipelines_run):
    pass
"""

COUNT_WRITES = """
import pytest_pipelines._baseline as bl

real = bl.write

def counted(path, entries):
    with open(str(path) + ".writes", "a") as fh:
        fh.write("w\\n")
    return real(path, entries)

def pytest_configure(config):
    bl.write = counted
"""


def test_xdist_runs_a_compare_item_and_writes_its_variant_entries_once(
    pytester: pytest.Pytester, remote_args: list[str], gap_models: None
) -> None:
    from pytest_pipelines import _baseline as bl

    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_c=COMPARE_SUITE)
    path = pytester.path / bl.DEFAULT_FILE
    writes = Path(str(path) + ".writes")
    serial = pytester.runpytest(*remote_args, "--pipelines-baseline-update", "-n", "0")
    serial.assert_outcomes(passed=2)
    serial_text = path.read_text()
    path.unlink()
    # a subprocess: the conftest's patched write must not outlive the run in this process
    pytester.makeconftest(COUNT_WRITES)
    distributed = pytester.runpytest_subprocess(
        *remote_args, "--pipelines-baseline-update", "-n", "2"
    )
    distributed.assert_outcomes(passed=2)
    assert writes.read_text() == "w\n"  # once, by the controller
    (pytester.path / "conftest.py").unlink()
    entries = bl.load(path)
    assert entries is not None
    assert sorted(entries) == [
        "test_c.py::test_compare@better",
        "test_c.py::test_compare@control",
        "test_c.py::test_plain",
    ]
    assert entries["test_c.py::test_compare@better"].variant == "better"
    assert len(entries["test_c.py::test_compare@control"].criteria["Has Day Number"].passed) == 12

    def untimed(text: str) -> str:
        # the two runs differ only in when they wrote their entries
        return re.sub(r'"updated": "[^"]*"', '"updated": "t"', text)

    assert untimed(path.read_text()) == untimed(serial_text)
    # compared with that baseline under -n 2: the one compare item judges both variants, and
    # each variant's regression gate finds its own entry (the same answers: no change)
    written = path.read_text()
    compared = pytester.runpytest(*remote_args, "-n", "2")
    compared.assert_outcomes(passed=2)
    assert "no baseline entry" not in compared.stdout.str()
    compared.stdout.fnmatch_lines(["*test_c.py::test_compare*Has Day Number ?better - control?*"])
    assert path.read_text() == written  # a run without --pipelines-baseline-update writes nothing
