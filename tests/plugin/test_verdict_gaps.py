"""The verdict work's loose ends (issue 8): tool-gate severity, bad input at collection, the
adaptive timeout, a failing body's regression row, warnings under filterwarnings=error."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import pytest

from pytest_pipelines import PipelinesGateWarning
from pytest_pipelines._gates import Gates, apply_gates, check_tool_gate, emit_warnings
from pytest_pipelines._markers import ToolGate
from pytest_pipelines._results import RunResult, ToolCorrectness, parse_task


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

    def wait(self, client: Any, spec: Any, started: Any, *, timeout: float, progress: Any) -> Any:
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
