"""The regression and comparison outcomes as pure functions: which series a gate compares, the
direction of "worse", missing entries and criteria, the unpaired fallback."""

from __future__ import annotations

from typing import Any

from pytest_pipelines import _baseline as bl
from pytest_pipelines._markers import Compare, Gate
from pytest_pipelines._regression import (
    NO_BASELINE_CRITERION,
    NO_ENTRY,
    NO_RUN_CRITERION,
    STRICT_SUFFIX,
    Series,
    compare_outcomes,
    regression_outcomes,
    series_of,
)
from pytest_pipelines._results import RunResult, parse_task


def _task(task_id: int, city: str, results: dict[str, tuple[str, Any, bool | None]]) -> Any:
    return parse_task(
        {
            "id": task_id,
            "status": "completed",
            "inputs": {"city": city},
            "nodes": [
                {
                    "id": task_id,
                    "node_id": "review",
                    "outputs": {},
                    "evaluation_results": [
                        {
                            "field_id": "quality",
                            "criterion_name": name,
                            "output_type": kind,
                            "status": "completed",
                            "value": value,
                            "passed": passed,
                        }
                        for name, (kind, value, passed) in results.items()
                    ],
                }
            ],
        }
    )


def run(
    passes: list[bool], latency: list[float] | None = None, variant: str | None = None
) -> RunResult:
    latency = latency or [1.0] * len(passes)
    tasks = tuple(
        _task(
            i + 1,
            f"c{i}",
            {"ok": ("boolean", p, p), "latency": ("numeric", lat, None)},
        )
        for i, (p, lat) in enumerate(zip(passes, latency, strict=True))
    )
    return RunResult(22, 10, "experiment" if variant else "tasks", variant, tasks)


def test_a_gate_compares_the_series_of_its_thresholds() -> None:
    assert series_of(Gate("ok", min_pass_rate=0.8), "boolean") == [Series("pass_rate", "boolean")]
    assert series_of(Gate("q", min_mean=3, min_value=1), "rating") == [Series("mean", "numeric")]
    # an upper bound: lower is better, so a rise is the regression
    assert series_of(Gate("lat", max_mean=2.0), "numeric") == [
        Series("mean", "numeric", higher_is_better=False)
    ]
    assert series_of(Gate("ok", max_drop=0.1), "boolean") == [Series("pass_rate", "boolean")]
    assert series_of(Gate("q", max_drop=0.1), "rating") == [Series("mean", "numeric")]


def _entry(result: RunResult) -> bl.Entry:
    return bl.entry_from_result("t.py::test", result, updated="u")


def test_a_drop_is_a_regression_and_the_same_results_are_no_change() -> None:
    before = run([True] * 30)
    after = run([True] * 15 + [False] * 15)
    [same] = regression_outcomes(
        before, Gate("ok", max_drop=0.05), _entry(before), max_drop=0.05, confidence=0.95, path="f"
    )
    assert same.decision == "no_change"
    assert same.passed
    [drop] = regression_outcomes(
        after, Gate("ok", max_drop=0.05), _entry(before), max_drop=0.05, confidence=0.95, path="f"
    )
    assert drop.decision == "regression"
    assert not drop.passed
    assert drop.kind == "regression"
    assert drop.baseline == 1.0
    assert drop.observed == 0.5
    assert drop.delta == -0.5
    assert drop.method == "mcnemar-mid-p"
    assert "vs baseline 1" in drop.note


def test_lower_is_better_for_an_upper_bound() -> None:
    fast = run([True] * 30, latency=[1.0] * 30)
    slow = run([True] * 30, latency=[3.0] * 30)
    gate = Gate("latency", max_mean=5.0, max_drop=0.5)
    [outcome] = regression_outcomes(
        slow, gate, _entry(fast), max_drop=0.5, confidence=0.95, path="f"
    )
    assert outcome.decision == "regression"
    [better] = regression_outcomes(
        fast, gate, _entry(slow), max_drop=0.5, confidence=0.95, path="f"
    )
    assert better.decision == "improvement"
    assert better.passed


def test_missing_entry_and_criteria() -> None:
    now = run([True] * 5)
    gate = Gate("ok", max_drop=0.05)
    [lenient] = regression_outcomes(now, gate, None, max_drop=0.05, confidence=0.95, path="b.json")
    assert lenient.passed
    assert lenient.note == NO_ENTRY.format(path="b.json")
    [strict] = regression_outcomes(
        now, gate, None, max_drop=0.05, confidence=0.95, path="b.json", strict=True
    )
    assert not strict.passed
    assert strict.note.endswith(STRICT_SUFFIX)
    entry = _entry(now)
    [no_base] = regression_outcomes(
        now, Gate("other", max_drop=0.1), entry, max_drop=0.1, confidence=0.95, path="f"
    )
    assert no_base.passed
    assert no_base.note == NO_BASELINE_CRITERION.format(criterion="other", known="latency, ok")
    # the baseline has the criterion, the run does not: nothing to compare is a failure
    gone = RunResult(22, 10, "tasks", None, ())
    [no_run] = regression_outcomes(
        gone, Gate("ok", max_drop=0.1), entry, max_drop=0.1, confidence=0.95, path="f"
    )
    assert not no_run.passed
    assert no_run.note == NO_RUN_CRITERION.format(criterion="ok")


def test_inputs_that_do_not_pair_fall_back_and_say_so() -> None:
    before = run([True] * 20)
    other_inputs = RunResult(
        22,
        10,
        "tasks",
        None,
        tuple(
            _task(i, f"elsewhere{i}", {"ok": ("boolean", i % 2 == 0, i % 2 == 0)})
            for i in range(20)
        ),
    )
    [outcome] = regression_outcomes(
        other_inputs,
        Gate("ok", max_drop=0.05),
        _entry(before),
        max_drop=0.05,
        confidence=0.95,
        path="f",
    )
    assert "do not pair" in outcome.note
    assert outcome.decision == "regression"


def test_compare_outcomes_per_variant() -> None:
    control = run([True] * 10 + [False] * 10, variant="control")
    better = run([True] * 20, variant="better")
    same = run([True] * 10 + [False] * 10, variant="same")
    both = RunResult(
        22,
        10,
        "experiment",
        None,
        control.tasks + better.tasks + same.tasks,
        variant_results=(control, better, same),
    )
    diff = both.compare("better", "control", "ok")
    assert diff.difference == 0.5
    assert diff.n_pairs == 20
    assert diff.paired
    outcomes = compare_outcomes(both, Compare("ok", baseline="control", min_difference=0.0))
    assert [o.subject for o in outcomes] == ["ok [better - control]", "ok [same - control]"]
    # "same" never differs from control on these 20 inputs, but that does not show it is not
    # worse on others: its interval is about +-0.09, so ">= 0" is not shown (inconclusive)
    assert [o.decision for o in outcomes] == ["pass", "inconclusive"]
    assert [o.passed for o in outcomes] == [True, False]
    # "not worse by more than 0.1" (non-inferiority) is shown
    loose = compare_outcomes(both, Compare("ok", baseline="control", min_difference=-0.1))
    assert [o.decision for o in loose] == ["pass", "pass"]
    assert outcomes[0].observed == 0.5
    assert outcomes[0].baseline == 0.5
    # asking for a real improvement: "better" shows it, "same" confidently does not
    strict = compare_outcomes(both, Compare("ok", baseline="control", min_difference=0.1))
    assert [o.decision for o in strict] == ["pass", "fail"]
    assert strict[1].high is not None
    assert 0 < strict[1].high < 0.1
    assert "not confidently >= min_difference=0.1" in strict[1].note
    # a little noise around the same rate straddles a positive bar: inconclusive, a failure
    noisy = run([True] * 9 + [False] + [True] + [False] * 9, variant="noisy")
    pair = RunResult(22, 10, "experiment", None, (), variant_results=(control, noisy))
    [unsure] = compare_outcomes(pair, Compare("ok", baseline="control", min_difference=0.0))
    assert unsure.decision == "inconclusive"
    assert not unsure.passed
    assert both.for_variant("same") is same
    assert set(both.variants) == {"control", "better", "same"}
    assert "variant='better'" in repr(both)
