"""Gate outcomes that compare two sets of results: a run with its baseline, a variant with another.

The statistics are ``_decide``'s (paired on input keys; Newcombe's interval with a mid-p
McNemar p-value for pass/fail, paired bootstrap for scores, an unpaired fallback that says so);
this module only picks the series to compare and turns each decision into a
:class:`~pytest_pipelines._gates.GateOutcome` that every report renders. No pytest, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_pipelines._baseline import Entry, criterion_series
from pytest_pipelines._gates import GateOutcome
from pytest_pipelines._results import RunResult, fmt

NO_ENTRY = (
    "no baseline entry for this test in {path}; create it with `pytest "
    "--pipelines-baseline-update` and commit the file"
)
NO_BASELINE_CRITERION = (
    "the baseline entry has no results of criterion {criterion!r} (it has: {known}); refresh it "
    "with `pytest --pipelines-baseline-update`"
)
NO_RUN_CRITERION = "this run has no completed results of criterion {criterion!r} to compare"
STRICT_SUFFIX = " (a failure under --pipelines-baseline-strict)"
IMPROVED = (
    "better than the baseline: record it with `pytest --pipelines-baseline-update` so later "
    "runs are compared with it"
)
REGRESSED = "regression: worse than the baseline by more than max_drop={max_drop}"
NO_CHANGE = "no significant change from the baseline"
EVIDENCE = (
    "{metric} {current} vs baseline {baseline} (change {delta}, {level:g}% interval {low} to "
    "{high}, p={p}, {method}, {n} input(s))"
)
COMPARE_SHORT = (
    "the difference is not confidently >= min_difference={minimum} (interval {low} to {high})"
)
_EPS = 1e-9


@dataclass(frozen=True)
class Series:
    """What one regression or comparison looks at: a metric, its kind and its direction."""

    metric: str
    kind: str
    higher_is_better: bool = True


def series_of(gate: Any, output_type: str | None) -> list[Series]:
    """The series a gate compares: one per kind of threshold it sets.

    ``min_pass_rate`` compares pass/fail; ``min_mean``/``min_value`` compare values, higher is
    better; ``max_mean``/``max_value`` values, lower is better. A gate with no threshold (only
    ``max_drop``) compares pass/fail for a boolean criterion, values otherwise.
    """
    out: list[Series] = []
    for metric, op, _ in gate.thresholds():
        one = (
            Series("pass_rate", "boolean")
            if metric == "pass_rate"
            else Series("mean", "numeric", higher_is_better=op == ">=")
        )
        if one not in out:
            out.append(one)
    if not out:
        out.append(
            Series("pass_rate", "boolean")
            if output_type == "boolean"
            else Series("mean", "numeric")
        )
    return out


def _pick(passed: Any, values: Any, kind: str) -> dict[str, Sequence[float]]:
    if kind == "boolean":
        return dict(passed)
    return dict(values) if values else dict(passed)


def regression_outcomes(
    result: RunResult,
    gate: Any,
    entry: Entry | None,
    *,
    max_drop: float,
    confidence: float,
    path: str,
    strict: bool = False,
    label: str = "",
) -> list[GateOutcome]:
    """The regression outcomes of one gate: this run against its baseline entry.

    *regression* fails the test; *improvement* passes with a hint to update the baseline;
    *no_change* passes. A missing entry (or criterion in it) passes with a note saying how to
    create it, or fails under ``strict``.

    :param label: prefix of the subject (a variant's name in a multi-variant item); default "".
    """
    from pytest_pipelines._decide import decide_regression

    criterion = gate.criterion
    subject = f"{label}{criterion}"
    stats = result.criteria.get(criterion)
    kinds = series_of(gate, stats.output_type if stats is not None else None)
    threshold = f"drop <= {fmt(max_drop)}"

    def missing(metric: str, note: str, passed: bool) -> GateOutcome:
        return GateOutcome(subject, metric, None, threshold, passed, note=note, kind="regression")

    if entry is None:
        note = NO_ENTRY.format(path=path) + (STRICT_SUFFIX if strict else "")
        return [missing(s.metric, note, not strict) for s in kinds]
    base = entry.criteria.get(criterion)
    passed_now, values_now = criterion_series(result, criterion)
    out: list[GateOutcome] = []
    for s in kinds:
        current = _pick(passed_now, values_now, s.kind)
        before = base.series(s.kind) if base is not None else {}
        if not before:
            known = ", ".join(sorted(entry.criteria)) or "none"
            note = NO_BASELINE_CRITERION.format(criterion=criterion, known=known)
            out.append(missing(s.metric, note + (STRICT_SUFFIX if strict else ""), not strict))
            continue
        if not current:
            out.append(missing(s.metric, NO_RUN_CRITERION.format(criterion=criterion), False))
            continue
        d = decide_regression(
            current,
            before,
            kind=s.kind,
            max_drop=max_drop,
            confidence=confidence,
            higher_is_better=s.higher_is_better,
        )
        head = {
            "regression": REGRESSED.format(max_drop=fmt(max_drop)),
            "improvement": IMPROVED,
        }.get(d.outcome, NO_CHANGE)
        # the decision's bounds are one-sided at `confidence`: as an interval, 2c-1 two-sided
        level = d.interval_confidence if d.interval_confidence is not None else confidence
        evidence = EVIDENCE.format(
            metric=s.metric,
            current=fmt(d.current),
            baseline=fmt(d.baseline),
            delta=fmt(d.value),
            level=level * 100,
            low=fmt(d.low),
            high=fmt(d.high),
            p=fmt(d.p_value),
            method=d.method,
            n=d.n_inputs,
        )
        out.append(
            GateOutcome(
                subject=subject,
                metric=s.metric,
                observed=d.current,
                threshold=threshold,
                passed=d.outcome != "regression",
                note="; ".join(x for x in (head, evidence, d.note) if x),
                kind="regression",
                decision=d.outcome,
                low=d.low,
                high=d.high,
                confidence=level,
                n=d.n,
                n_inputs=d.n_inputs,
                baseline=d.baseline,
                delta=d.value,
                p_value=d.p_value,
                method=d.method,
            )
        )
    return out


def compare_outcomes(result: RunResult, compare: Any) -> list[GateOutcome]:
    """One outcome per variant: its paired difference from the baseline variant.

    Passes when the whole interval of ``variant - baseline`` lies at or above
    ``min_difference`` (*pass*); *fail* when it lies wholly below, *inconclusive* (also a
    failure: the claim is not shown) when it straddles. A negative ``min_difference`` asks for
    non-inferiority: "not worse by more than this".
    """
    out: list[GateOutcome] = []
    control = result.for_variant(compare.baseline)
    stats = control.criteria.get(compare.criterion)
    kind = "boolean" if stats is not None and stats.output_type == "boolean" else "numeric"
    metric = "pass_rate" if kind == "boolean" else "mean"
    minimum = float(compare.min_difference)
    for name in result.variants:
        if name == compare.baseline:
            continue
        subject = f"{compare.criterion} [{name} - {compare.baseline}]"
        threshold = f">= {fmt(minimum)}"
        try:
            r = result.compare(
                name, compare.baseline, compare.criterion, confidence=compare.confidence
            )
        except KeyError as exc:
            out.append(
                GateOutcome(
                    subject, metric, None, threshold, False, note=str(exc.args[0]), kind="compare"
                )
            )
            continue
        if r.low >= minimum - _EPS:
            decision = "pass"
        elif r.high < minimum - _EPS:
            decision = "fail"
        else:
            decision = "inconclusive"
        notes = []
        if decision != "pass":
            notes.append(
                COMPARE_SHORT.format(minimum=fmt(minimum), low=fmt(r.low), high=fmt(r.high))
            )
        if not r.paired:
            notes.append("inputs do not pair: an unpaired comparison was used")
        base_stats = control.criteria.get(compare.criterion)
        base_value = base_stats.metric(metric) if base_stats is not None else None
        out.append(
            GateOutcome(
                subject=subject,
                metric=metric,
                # the threshold is on the difference, so the difference is what is observed
                observed=r.difference,
                threshold=threshold,
                passed=decision == "pass",
                note="; ".join(notes),
                kind="compare",
                decision=decision,
                low=r.low,
                high=r.high,
                confidence=compare.confidence,
                n=r.n_pairs,
                n_inputs=r.n_pairs,
                baseline=base_value,
                delta=r.difference,
                p_value=r.p_value,
                method=r.method,
            )
        )
    return out
