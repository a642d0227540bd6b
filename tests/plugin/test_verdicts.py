"""Repeats, intervals, three-way decisions, severity and adaptive sampling of gates (issue 8)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from pytest_pipelines._decide import decide_threshold, planned_looks
from pytest_pipelines._gates import (
    Gates,
    PipelinesGateWarning,
    PipelinesInconclusiveWarning,
    PipelinesWarning,
    Verdict,
    apply_gates,
    check_gate,
    emit_warnings,
    failure_table,
)
from pytest_pipelines._markers import Gate, RunSpec, WorkflowTarget
from pytest_pipelines._results import CriterionResult, RunResult, TaskResult, assign_inputs
from pytest_pipelines._run import build_payload
from pytest_pipelines._stats import clustered_proportion_interval, wilson_interval

C = "Correct"


def make_task(
    task_id: int, inputs: dict[str, Any], value: Any, output_type: str = "boolean"
) -> TaskResult:
    passed = value if isinstance(value, bool) else None
    result = CriterionResult(
        task_id=task_id,
        criterion=C,
        criterion_id=1,
        output_type=output_type,
        status="completed",
        value=value,
        passed=passed,
        reason=None,
        error=None,
        node_id="review",
        field_id="quality",
        target_node_id="plan",
        target_field_id="itinerary",
        output=f"output {task_id}",
    )
    return TaskResult(
        id=task_id,
        status="completed",
        inputs=inputs,
        expected_output=None,
        error=None,
        outputs={},
        criteria=(result,),
        tool_calls=(),
        node_db_ids={},
    )


def run_of(values: Sequence[Any], *, repeat: int = 1, output_type: str = "boolean") -> RunResult:
    """A run whose i-th input (row {"i": i}) ran ``repeat`` times, values in creation order."""
    tasks = [make_task(n + 1, {"i": n // repeat}, v, output_type) for n, v in enumerate(values)]
    return RunResult(22, 10, "tasks", None, assign_inputs(tasks, repeat), repeat=repeat)


# --- repeats: input keys and the payload -----------------------------------------------------


def test_input_keys_group_repeats_and_survive_reordering() -> None:
    a, b = {"city": "Rome"}, {"city": "Milan"}
    tasks = [make_task(i, row, True) for i, row in enumerate([a, a, a, b, b, b], 1)]
    keyed = assign_inputs(tasks, 3)
    assert [t.repeat_index for t in keyed] == [0, 1, 2, 0, 1, 2]
    assert len({t.input_key for t in keyed[:3]}) == 1
    assert keyed[0].input_key != keyed[3].input_key
    reordered = assign_inputs(
        [make_task(i, row, True) for i, row in enumerate([b, b, b, a, a, a], 1)], 3
    )
    assert {t.input_key for t in reordered[3:]} == {keyed[0].input_key}
    assert {t.input_key for t in reordered[:3]} == {keyed[3].input_key}
    # identical rows of a dataset stay two inputs; without repeats every task is its own input
    twice = assign_inputs([make_task(i, a, True) for i in (1, 2)], 1)
    assert twice[0].input_key != twice[1].input_key
    assert [t.repeat_index for t in twice] == [0, 0]
    run = RunResult(22, 10, "tasks", None, keyed, repeat=3)
    assert [len(ts) for ts in run.by_input().values()] == [3, 3]
    assert run.tasks_used == 6


def test_repeat_lays_each_input_out_k_times() -> None:
    spec = RunSpec(
        target=WorkflowTarget(
            22,
            10,
            count=3,
            inputs=({"city": "Rome"}, {"city": "Milan"}),
            expected_outputs=("r", "m"),
            repeat=2,
        )
    )
    payload = build_payload(spec, {}.__getitem__)
    rome, milan = {"city": "Rome"}, {"city": "Milan"}
    assert payload["count"] == 6
    assert payload["inputs"] == [rome, rome, milan, milan, rome, rome]
    assert payload["expected_outputs"] == ["r", "r", "m", "m", "r", "r"]
    # a later adaptive batch continues at the next input position
    batch = build_payload(spec, {}.__getitem__, first_input=3, n_inputs=2)
    assert batch["count"] == 4
    assert batch["inputs"] == [milan, milan, rome, rome]
    # without repeats the payload stays what it was (the backend's round-robin)
    plain = build_payload(
        RunSpec(target=WorkflowTarget(22, 10, count=3, inputs=(rome, milan))), {}.__getitem__
    )
    assert plain == {
        "count": 3,
        "inputs": [rome, milan],
        "configOverrides": {"prompts": [], "models": [], "evaluations": []},
    }


# --- intervals and the three-way decision ----------------------------------------------------


def test_confident_pass_fail_and_inconclusive_carry_the_interval() -> None:
    gate = Gate(C, min_pass_rate=0.8, confidence=0.95)
    (clear,) = check_gate(gate, run_of([True] * 50))
    assert (clear.decision, clear.passed) == ("pass", True)
    (bad,) = check_gate(gate, run_of([True] * 2 + [False] * 18))
    assert (bad.decision, bad.passed, bad.verdict) == ("fail", False, "FAIL")
    assert bad.examples
    (unsure,) = check_gate(gate, run_of([True] * 17 + [False] * 3))
    expected = wilson_interval(17, 20, 0.95)
    assert unsure.decision == "inconclusive"
    assert (unsure.low, unsure.high) == pytest.approx((expected.low, expected.high))
    assert (unsure.confidence, unsure.n, unsure.n_inputs) == (0.95, 20, 20)
    assert unsure.observed == pytest.approx(0.85)
    assert unsure.needed_n is not None
    assert unsure.needed_n > 20
    # on_inconclusive="warn" (the default): the test passes, with a warning naming the size
    assert unsure.passed
    assert f"About {unsure.needed_n} tasks would likely decide it" in unsure.warning
    (strict,) = check_gate(
        Gate(C, min_pass_rate=0.8, confidence=0.95, on_inconclusive="fail"),
        run_of([True] * 17 + [False] * 3),
    )
    assert (strict.passed, strict.warning, strict.verdict) == (False, "", "INCONCLUSIVE")
    (lenient,) = check_gate(
        Gate(C, min_pass_rate=0.8, confidence=0.95, on_inconclusive="pass"),
        run_of([True] * 17 + [False] * 3),
    )
    assert (lenient.passed, lenient.warning) == (True, "")


def test_without_confidence_the_point_rule_stays() -> None:
    (point,) = check_gate(Gate(C, min_pass_rate=0.8), run_of([True] * 15 + [False] * 5))
    assert (point.passed, point.decision, point.low, point.verdict) == (False, "", None, "MISS")
    # the session default (--pipelines-confidence / ini) applies to a gate that sets none
    (session,) = check_gate(
        Gate(C, min_pass_rate=0.8), run_of([True] * 15 + [False] * 5), confidence=0.9
    )
    assert session.decision == "inconclusive"
    assert session.confidence == 0.9
    # the gate's own level wins over the session's
    (own,) = check_gate(
        Gate(C, min_pass_rate=0.8, confidence=0.5),
        run_of([True] * 15 + [False] * 5),
        confidence=0.9,
    )
    assert own.confidence == 0.5


def test_repeats_cluster_the_interval_and_reducers_choose_the_value() -> None:
    # 10 inputs x 3 repeats; inputs 0-6 always pass, 7 passes once, 8 and 9 never
    values: list[bool] = []
    for i in range(10):
        values += [True] * 3 if i < 7 else [True, False, False] if i == 7 else [False] * 3
    run = run_of(values, repeat=3)
    (mean,) = check_gate(Gate(C, min_pass_rate=0.5, confidence=0.95), run)
    clusters = [[1.0] * 3] * 7 + [[1.0, 0.0, 0.0]] + [[0.0] * 3] * 2
    expected = clustered_proportion_interval(clusters, 0.95)
    assert mean.observed == pytest.approx(22 / 30)
    assert (mean.low, mean.high) == pytest.approx((expected.low, expected.high))
    assert (mean.n, mean.n_inputs) == (30, 10)
    (pass_k,) = check_gate(Gate(C, min_pass_rate=0.5, reduce="all"), run)
    assert pass_k.observed == pytest.approx(0.7)
    (pass_at_k,) = check_gate(Gate(C, min_pass_rate=0.5, reduce="any"), run)
    assert pass_at_k.observed == pytest.approx(0.8)
    (majority,) = check_gate(Gate(C, min_pass_rate=0.5, reduce="majority"), run)
    assert majority.observed == pytest.approx(0.7)
    scores = run_of([5, 5, 1, 4, 4, 4], repeat=3, output_type="numeric")
    (median,) = check_gate(Gate(C, min_mean=4.5, reduce="median"), scores)
    assert median.observed == pytest.approx(4.5)
    (lowest,) = check_gate(Gate(C, min_mean=2.5, reduce="min"), scores)
    assert lowest.observed == pytest.approx(2.5)
    # min_value stays "the lowest value on any task", whatever the reduction
    (floor,) = check_gate(Gate(C, min_value=2, reduce="median"), scores)
    assert (floor.observed, floor.passed) == (1.0, False)


def test_mean_gate_interval_is_stats_t_interval() -> None:
    run = run_of([3, 4, 5, 4, 4, 5, 3, 4], output_type="numeric")
    (outcome,) = check_gate(Gate(C, min_mean=3.5, confidence=0.9), run)
    d = decide_threshold(
        [[v] for v in (3, 4, 5, 4, 4, 5, 3, 4)],
        metric="mean",
        op=">=",
        threshold=3.5,
        confidence=0.9,
    )
    assert (outcome.low, outcome.high, outcome.method) == (d.low, d.high, d.method)
    assert outcome.decision == d.outcome


# --- severity, warnings, the verdict and its table -------------------------------------------


def test_severity_warn_reports_a_miss_without_failing() -> None:
    run = run_of([True] * 5 + [False] * 5)
    verdict = apply_gates(run, Gates(criteria=(Gate(C, min_pass_rate=0.8, severity="warn"),)))
    assert verdict.passed
    (outcome,) = verdict.outcomes
    assert outcome.severity == "warn"
    assert outcome.verdict == "miss (warn)"
    assert verdict.warnings == (outcome.warning,)
    assert "severity='warn'" in outcome.warning
    with pytest.warns(PipelinesGateWarning, match="misses >= 0.8"):
        emit_warnings(verdict)
    # a confident fail of a severity="warn" gate warns too
    confident = apply_gates(
        run_of([False] * 20),
        Gates(criteria=(Gate(C, min_pass_rate=0.8, confidence=0.95, severity="warn"),)),
    )
    assert confident.passed
    assert confident.outcomes[0].decision == "fail"
    assert confident.warnings


def test_inconclusive_warning_and_failure_table() -> None:
    run = run_of([True] * 17 + [False] * 3)
    verdict = apply_gates(run, Gates(criteria=(Gate(C, min_pass_rate=0.8),), confidence=0.95))
    assert verdict.passed
    assert len(verdict.warnings) == 1
    with pytest.warns(PipelinesInconclusiveWarning, match=r"inconclusive\. About \d+ tasks"):
        emit_warnings(verdict)
    failing = apply_gates(
        run,
        Gates(
            criteria=(Gate(C, min_pass_rate=0.8), Gate("Other", min_mean=1)),
            confidence=0.95,
            on_inconclusive="fail",
        ),
    )
    assert not failing.passed
    assert failing.warnings == ()
    table = failure_table(failing.outcomes)
    lines = table.splitlines()
    assert lines[1].split() == [
        "criterion",
        "metric",
        "observed",
        "interval",
        "threshold",
        "verdict",
    ]
    assert "[0.64, 0.948] @95%" in table
    assert "INCONCLUSIVE" in table
    assert "About" in table  # the note names the sample size that would decide it
    as_dict = failing.outcomes[0].as_dict()
    assert as_dict["decision"] == "inconclusive"
    assert as_dict["needed_n"]
    assert as_dict["low"]


def test_undecided_drives_adaptive_sampling() -> None:
    unsure = replace(run_of([True] * 17 + [False] * 3), tasks_planned=20)
    gates = Gates(criteria=(Gate(C, min_pass_rate=0.8, confidence=0.95),), max_count=160)
    assert gates.undecided(unsure)
    assert not gates.undecided(replace(run_of([True] * 200), tasks_planned=20))
    # a gate without a confidence level never asks for more tasks
    assert not Gates(criteria=(Gate(C, min_pass_rate=0.8),), max_count=160).undecided(unsure)
    # an adaptive item splits the level over the schedule's looks (20, 40, 80, 160: 4 looks)
    assert gates.looks(unsure) == planned_looks(20, 160) == 4
    (adaptive,) = gates.check(gates.criteria[0], unsure)
    (once,) = check_gate(gates.criteria[0], unsure)
    split = wilson_interval(17, 20, 1 - 0.05 / 4)
    assert adaptive.method == "wilson-bonferroni"
    assert (adaptive.low, adaptive.high) == pytest.approx((split.low, split.high))
    assert adaptive.low is not None
    assert once.low is not None
    assert adaptive.low < once.low
    # sequential without a schedule: the anytime-valid confidence sequence
    (anytime,) = Gates(criteria=gates.criteria, sequential=True).check(gates.criteria[0], unsure)
    assert anytime.method == "confidence-sequence"


def test_a_hook_verdicts_own_warning_is_a_pipelines_warning() -> None:
    verdict = Verdict(passed=True, warnings=("judge model is a preview; scores may drift",))
    with pytest.warns(PipelinesWarning, match="judge model is a preview") as record:
        emit_warnings(verdict)
    assert [type(w.message) for w in record] == [PipelinesWarning]


def test_no_warning_is_emitted_for_a_clear_verdict() -> None:
    verdict = apply_gates(
        run_of([True] * 30), Gates(criteria=(Gate(C, min_pass_rate=0.8, confidence=0.95),))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        emit_warnings(verdict)
    assert verdict.passed
    assert verdict.outcomes[0].decision == "pass"


# --- end to end against the shared demo backend ----------------------------------------------

# The outer suite runs with filterwarnings=error, and an in-process inner run inherits that
# filter: the inner runs that expect a pipelines warning let it through as a warning.
SHOW = ("-W", "always::pytest_pipelines.PipelinesWarning")
ROWS = '[{"city": "Rome", "days": 3}, {"city": "Milan", "days": 2}]'


def test_repeat_runs_every_input_k_times(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.pipelines_workflow(22, 10, count=2, repeat=3, inputs={ROWS})
        @pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0.5, reduce="all")
        def test_rep(pipelines_run):
            assert pipelines_run.repeat == 3
            assert pipelines_run.tasks_used == pipelines_run.tasks_planned == 6
            groups = pipelines_run.by_input()
            assert len(groups) == 2
            for tasks in groups.values():
                assert [t.repeat_index for t in tasks] == [0, 1, 2]
                assert len({{t.inputs["city"] for t in tasks}}) == 1
        """
    )
    pytester.runpytest(*remote_args).assert_outcomes(passed=1)


UNSURE = """
import pytest

@pytest.mark.pipelines_workflow(22, 10, count=3)
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8{extra})
def test_unsure(pipelines_run):
    pass
"""


def test_inconclusive_gate_warns_by_default_and_fails_on_request(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makepyfile(test_unsure=UNSURE.format(extra=", confidence=0.95"))
    warned = pytester.runpytest(*remote_args, *SHOW)
    warned.assert_outcomes(passed=1, warnings=1)
    warned.stdout.fnmatch_lines(
        [
            "*PipelinesInconclusiveWarning: pipelines: Mentions Rome Highlights pass_rate = 1 "
            "(interval * to 1 at 95% confidence over 3 task(s)) neither clears nor misses >= 0.8: "
            "inconclusive. About * tasks would likely decide it*"
        ]
    )
    failed = pytester.runpytest(*remote_args, "-o", "pipelines_inconclusive=fail")
    failed.assert_outcomes(failed=1)
    failed.stdout.re_match_lines(
        [
            r"  criterion +metric +observed +interval +threshold +verdict",
            r"  Mentions Rome Highlights  pass_rate  1 +\[0\.439, 1\] @95% +>= 0\.8 +INCONCLUSIVE",
        ]
    )


def test_confidence_option_beats_the_ini_key(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makepyfile(test_unsure=UNSURE.format(extra=""))
    pytester.makeini("[pytest]\npipelines_confidence = 0.5\npipelines_inconclusive = fail\n")
    # three passes of three: the Wilson lower bound clears 0.8 at 50 % (0.87), not at 95 % (0.44)
    from_ini = pytester.runpytest(*remote_args)
    from_ini.assert_outcomes(passed=1)
    from_cli = pytester.runpytest(*remote_args, "--pipelines-confidence=0.95")
    from_cli.assert_outcomes(failed=1)
    from_cli.stdout.fnmatch_lines(["*@95%*INCONCLUSIVE*"])


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--pipelines-confidence=1.5"], "", "--pipelines-confidence is '1.5'"),
        (["--pipelines-confidence=x"], "", "--pipelines-confidence is 'x'"),
        ([], "pipelines_confidence = 0", "ini key pipelines_confidence is '0'"),
        ([], "pipelines_inconclusive = maybe", "ini key pipelines_inconclusive is 'maybe'"),
    ],
)
def test_bad_confidence_or_policy_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_severity_warn_passes_with_a_warning(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10, count=2)
        @pytest.mark.pipelines_model_swap("plan", "echo")
        @pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8, severity="warn")
        def test_watch(pipelines_run):
            pass
        """
    )
    result = pytester.runpytest(*remote_args, *SHOW)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*PipelinesGateWarning: pipelines: Mentions Rome Highlights pass_rate = 0 misses >= 0.8*"]
    )


ADAPTIVE = """
import pytest

@pytest.mark.pipelines_workflow(22, 10, count=3, max_count={max_count})
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate={rate}, confidence=0.95)
def test_adaptive(pipelines_run):
    print("USED", pipelines_run.tasks_planned, pipelines_run.tasks_used, pipelines_run.batches)
"""


def test_adaptive_sampling_runs_more_tasks_until_the_gate_decides(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    # every task passes: the anytime-valid lower bound clears 0.5 at 12 tasks (3, +3, +6)
    pytester.makepyfile(test_adaptive=ADAPTIVE.format(max_count=48, rate=0.5))
    decided = pytester.runpytest(*remote_args, "-s")
    decided.assert_outcomes(passed=1)
    # the results table says how many tasks the item needed
    decided.stdout.fnmatch_lines(["*USED 3 12 3*", "*test_adaptive*(test)*12 tasks of 3*"])
    # a threshold the data cannot clear: stops at max_count, inconclusive (a warning)
    pytester.makepyfile(test_adaptive=ADAPTIVE.format(max_count=6, rate=0.99))
    capped = pytester.runpytest(*remote_args, "-s", *SHOW)
    capped.assert_outcomes(passed=1, warnings=1)
    capped.stdout.fnmatch_lines(["*USED 3 6 2*", "*PipelinesInconclusiveWarning*over 6 task(s)*"])


# --- the point rule flakes on noise, the statistical gate does not ----------------------------

NOISY_CONFTEST = """
import random
import threading

import pytest

SEEDS = range(30)
TASKS = 20
TRUE_RATE = 0.85


def noisy(seed):
    # TASKS seeded draws per model: how many of its tasks mention a Rome highlight is fixed by
    # the seed, whatever order the backend runs them in
    rng = random.Random(seed)
    draws = iter([rng.random() < TRUE_RATE for _ in range(TASKS)])
    lock = threading.Lock()

    def model(request):
        with lock:
            hit = next(draws)
        return "Day 1: the Colosseum at dawn." if hit else "Day 1: a quiet walk by the river."

    return model


@pytest.fixture(scope="session", autouse=True)
def noisy_models(pipelines_local):
    for seed in SEEDS:
        pipelines_local.registry.register(f"noisy-{seed}", noisy(seed))
"""

NOISY_TESTS = """
import pytest

from conftest import SEEDS, TASKS
from pytest_pipelines import Gate
from pytest_pipelines._gates import check_gate

GATE = dict(criterion="Mentions Rome Highlights", min_pass_rate=0.8)


@pytest.mark.pipelines_workflow(22, 10, count=TASKS)
@pytest.mark.pipelines_gate(**GATE, confidence=0.95)
@pytest.mark.parametrize(
    "seed",
    [
        pytest.param(s, marks=pytest.mark.pipelines_model_swap("plan", f"noisy-{s}"), id=f"seed{s}")
        for s in SEEDS
    ],
)
def test_noisy(pipelines_run, seed):
    # the same run under the point rule (the plugin's own gate code, no confidence level)
    (point,) = check_gate(Gate(**GATE), pipelines_run)
    print(f"RATE {seed} {point.observed} {'pass' if point.passed else 'fail'}")
"""


def test_point_rule_flakes_on_noise_and_the_statistical_gate_does_not(
    pytester: pytest.Pytester,
) -> None:
    """A model whose true pass rate (0.85) clears the gate (0.8), 20 tasks, 30 seeds."""
    import random

    pytester.makeconftest(NOISY_CONFTEST)
    pytester.makepyfile(test_noisy=NOISY_TESTS)
    pytester.syspathinsert()
    local = ("--pipelines-env=local", "--pipelines-demo", "-p", "no:cacheprovider", "-s", *SHOW)
    result = pytester.runpytest(*local)
    # the counts the seeds produce: tasks of 20 that pass, per seed
    passes = []
    for seed in range(30):
        rng = random.Random(seed)
        passes.append(sum(rng.random() < 0.85 for _ in range(20)))
    seen = sorted(
        (int(seed), float(rate), word)
        for seed, rate, word in re.findall(r"RATE (\d+) ([0-9.]+) (pass|fail)", result.stdout.str())
    )
    assert [(seed, rate) for seed, rate, _ in seen] == [(s, k / 20) for s, k in enumerate(passes)]
    point_fails = [seed for seed, _, word in seen if word == "fail"]
    assert point_fails == [s for s, k in enumerate(passes) if k < 16]
    print(
        f"point rule: {len(point_fails)} of 30 runs fail (seeds {point_fails}); statistical gate: 0"
    )
    assert len(point_fails) == 4
    # the statistical gate fails none: 29 runs are inconclusive (a warning), one clears 0.8
    result.assert_outcomes(passed=30, warnings=sum(k < 20 for k in passes))
    assert sum(k < 20 for k in passes) == 29


def test_experiment_mode_repeats_and_adapts(
    pytester: pytest.Pytester, remote_args: list[str], backend_client: Any
) -> None:
    """Each adaptive batch of an experiment item is its own experiment; its copies are deleted."""
    before = {w["id"] for w in backend_client.iter_workflows()}
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.pipelines_workflow(
            22, 10, count=2, repeat=2, max_count=8, inputs={ROWS}, mode="experiment"
        )
        @pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0.3, confidence=0.95)
        def test_exp(pipelines_run):
            print("USED", pipelines_run.tasks_planned, pipelines_run.tasks_used, pipelines_run.batches)
            assert all(len(ts) == 2 for ts in pipelines_run.by_input().values())
        """
    )
    result = pytester.runpytest(*remote_args, "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*USED 4 * *"])
    used = next(line for line in result.outlines if "USED" in line).split("USED", 1)[1].split()
    assert int(used[1]) > 4
    assert int(used[2]) > 1
    assert {w["id"] for w in backend_client.iter_workflows()} == before
