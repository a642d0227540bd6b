"""Gates: thresholds on criteria and tool correctness, and the default verdict.

A criterion gate's threshold is decided by :func:`pytest_pipelines._decide.decide_threshold`
over the run's per-input values: without a confidence level by the point rule (pass or fail),
with one by an interval (pass, fail or inconclusive). This module maps that decision to the
test's outcome: a gate's ``on_inconclusive`` policy and ``severity`` say whether it blocks.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from pytest_pipelines._markers import Gate, ToolGate
from pytest_pipelines._record import GateFields
from pytest_pipelines._results import RunResult, excerpt, fmt

NO_PASS_FAIL = "has no pass/fail values (a rating or numeric criterion without a threshold); gate on min_mean/min_value instead"
NO_VALUES = "has no numeric values"
NO_TOOL_CHECKS = "no task has LLM field {field!r}{node}; nothing was checked"
NOTHING_TO_JUDGE = (
    "pipelines: nothing to judge: the {tasks} task(s) of workflow {workflow} carry no evaluation "
    "results{pending}, and the test declares no gate; passing would be a false green.\n"
    "Declare a gate (@pytest.mark.pipelines_gate(criterion, min_pass_rate=...) or "
    "pipelines_tool_gate), attach an evaluation to the workflow's evaluation field (or swap one "
    "in with @pytest.mark.pipelines_evaluation_swap(node, field, evaluation)), or set "
    "`pipelines_default_gate = none` in the ini file to let the test body alone decide."
)
NOTHING_SUBJECT = "(evaluation results)"
INCONCLUSIVE = (
    "{subject} {metric} = {value} (interval {low} to {high} at {confidence:.0%} confidence over "
    "{n} task(s)) neither clears nor misses {threshold}: inconclusive. {needed}"
)
NEEDED_HINT = (
    "About {needed_n} tasks would likely decide it (pipelines_workflow(count=...), "
    "repeat=... or max_count=... for adaptive sampling)."
)
NEVER_DECIDES = "The value sits at the threshold: more tasks are unlikely to decide it."
SEVERITY_WARN = (
    "{subject} {metric} = {value} misses {threshold} (severity='warn': reported, not failed)"
)


WARNING_BECAME_ERROR = (
    "{text}\n"
    "pipelines: this {category} reports a gate that does not block, but a warnings filter "
    "(filterwarnings = error, or -W error) turns every warning into an error, so it fails the "
    "test. To keep pytest-pipelines' warnings as warnings, allow them after `error`:\n"
    "    filterwarnings =\n"
    "        error\n"
    "        default::pytest_pipelines.PipelinesWarning\n"
    "or say what the gate should do: on_inconclusive='fail' or 'pass' (ini "
    "pipelines_inconclusive) for an inconclusive gate, severity='error' for a watched one."
)


class PipelinesWarning(UserWarning):
    """Base class of the warnings pytest-pipelines emits for an eval test."""


class PipelinesInconclusiveWarning(PipelinesWarning):
    """A confident gate could not decide (its interval straddles the threshold).

    With ``on_inconclusive="warn"`` (the default) the test passes and this warning names the
    gate, its interval and about how many tasks would decide it.
    """


class PipelinesGateWarning(PipelinesWarning):
    """A gate with ``severity="warn"`` missed its threshold: reported, not failed."""


class PipelinesConfigWarning(PipelinesWarning):
    """A setting of the session does not apply and is ignored (a local-mode setting in a run
    against a deployment); issued once, on the controller, when pytest starts."""


class PipelinesWarningError(Exception):
    """A pytest-pipelines warning that a warnings filter turned into an error."""


@dataclass(frozen=True)
class Example:
    """One of the worst tasks behind a gate's observed value."""

    task_id: int
    output: str
    reason: str


@dataclass(frozen=True)
class GateOutcome(GateFields):
    """One threshold of one gate, checked against the run.

    Its fields are :class:`~pytest_pipelines._record.GateFields`' (``passed`` is the blocking
    bit; ``decision``, ``low``/``high``, ``confidence``, ``n`` and ``needed_n`` describe the
    statistical decision; ``warning`` is the text of the warning it raised, if any), with
    ``examples`` the worst tasks behind the observed value.
    """

    examples: tuple[Example, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (travels on reports)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "examples"}
        data["examples"] = [e.__dict__ for e in self.examples]
        return data

    @property
    def verdict(self) -> str:
        """The word the failure table shows for this outcome."""
        if self.decision == "inconclusive":
            return "inconclusive" if self.passed else "INCONCLUSIVE"
        if self.severity == "warn" and self.warning:
            return "miss (warn)"
        if self.decision == "fail":
            return "FAIL"
        return "pass" if self.passed else "MISS"


@dataclass(frozen=True)
class Verdict:
    """The outcome of an eval test's gates: ``passed`` and the outcomes behind it.

    A ``pytest_pipelines_verdict`` implementation returns one (or a bool). ``warnings`` are
    shown as pytest warnings (an inconclusive gate that passes, a ``severity="warn"`` miss).
    """

    passed: bool
    outcomes: tuple[GateOutcome, ...] = ()
    message: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gates:
    """The gates that apply to one test item, and the session's defaults for them.

    :param confidence: the confidence level of a gate that sets none (``--pipelines-confidence``
        or ini ``pipelines_confidence``); default None: the point rule.
    :param on_inconclusive: what an inconclusive decision does when the gate does not say (ini
        ``pipelines_inconclusive``); default ``"warn"``.
    :param sequential: decide with the anytime-valid confidence sequence (valid for any number
        of looks); default False.
    :param max_count: the item samples adaptively up to this many inputs: it looks at its
        results after every batch, so each decision splits the level over the schedule's planned
        looks (:func:`pytest_pipelines._decide.planned_looks`); default None.
    """

    criteria: tuple[Gate, ...] = ()
    tools: tuple[ToolGate, ...] = ()
    default: str = "all-boolean-pass"
    confidence: float | None = None
    on_inconclusive: str = "warn"
    sequential: bool = False
    max_count: int | None = None

    def nothing_to_judge(self, result: RunResult) -> bool:
        """True when the default gate applies and no task has a completed criterion result."""
        if self.criteria or self.tools or self.default == "none":
            return False
        return all(s.n == 0 for s in result.criteria.values())

    def effective(self, result: RunResult) -> tuple[Gate, ...]:
        """The declared criterion gates, or the default gate when none is declared."""
        if self.criteria or self.tools or self.default == "none":
            return self.criteria
        return tuple(
            Gate(criterion=name, min_pass_rate=1.0, implicit=True)
            for name, s in result.criteria.items()
            if s.output_type == "boolean"
        )

    def check(self, gate: Gate, result: RunResult, examples: int = 3) -> list[GateOutcome]:
        """:func:`check_gate` with this item's defaults."""
        return check_gate(
            gate,
            result,
            examples,
            confidence=self.confidence,
            on_inconclusive=self.on_inconclusive,
            sequential=self.sequential or self.max_count is not None,
            looks=self.looks(result),
        )

    def looks(self, result: RunResult) -> int | None:
        """The most looks the adaptive schedule of ``result`` takes (None: not adaptive)."""
        from pytest_pipelines._decide import planned_looks

        if self.max_count is None:
            return None
        repeat = max(1, result.repeat)
        first = (result.tasks_planned or len(result.tasks)) // repeat
        return planned_looks(min(max(1, first), self.max_count), self.max_count)

    def undecided(self, result: RunResult) -> bool:
        """True while a gate with a confidence level is inconclusive (adaptive sampling goes on)."""
        return any(
            o.decision == "inconclusive"
            for gate in self.effective(result)
            for o in self.check(gate, result, examples=0)
        )


def check_gate(
    gate: Gate,
    result: RunResult,
    examples: int = 3,
    *,
    confidence: float | None = None,
    on_inconclusive: str = "warn",
    sequential: bool = False,
    looks: int | None = None,
) -> list[GateOutcome]:
    """Check every threshold of one criterion gate.

    :param examples: worst tasks to show for a threshold that is not cleared; default 3.
    :param confidence: the level when the gate sets none; default None (the point rule).
    :param on_inconclusive: the policy when the gate sets none; default ``"warn"``.
    :param sequential: the results are looked at repeatedly (adaptive runs); default False.
    :param looks: with ``sequential``, the planned number of looks: the level is split over
        them; default None: the anytime-valid confidence sequence.
    """
    from pytest_pipelines._baseline import criterion_series
    from pytest_pipelines._decide import decide_threshold

    level = gate.confidence if gate.confidence is not None else confidence
    policy = gate.on_inconclusive or on_inconclusive
    warn_only = gate.severity == "warn"
    try:
        stats = result.criterion(gate.criterion)
    except KeyError as exc:
        return [
            _missed(
                GateOutcome(
                    gate.criterion,
                    metric,
                    None,
                    f"{op} {fmt(t)}",
                    False,
                    note=str(exc.args[0]),
                    severity=gate.severity,
                )
            )
            for metric, op, t in gate.thresholds()
        ]
    passes, values = criterion_series(result, gate.criterion)

    def worst(op: str) -> tuple[Example, ...]:
        # a lower bound is missed by the lowest values, an upper bound by the highest
        return tuple(
            Example(
                r.task_id, excerpt(r.output, 120), excerpt(r.reason or f"value={r.value!r}", 160)
            )
            for r in stats.worst(examples, highest=op == "<=")
        )

    out = []
    for metric, op, threshold in gate.thresholds():
        series = passes if metric == "pass_rate" else values
        if not series:
            note = f"criterion {gate.criterion!r} " + (
                NO_PASS_FAIL if metric == "pass_rate" else NO_VALUES
            )
            out.append(
                _missed(
                    GateOutcome(
                        gate.criterion,
                        metric,
                        None,
                        f"{op} {fmt(threshold)}",
                        False,
                        note=note,
                        severity=gate.severity,
                    )
                )
            )
            continue
        if metric in ("pass_rate", "mean"):
            clusters = list(series.values())
            reduce = gate.reduce or "mean"
        else:
            # min/max are over every task ("on any task"), whatever the reduction
            clusters = [[v] for vs in series.values() for v in vs]
            reduce = "mean"
        d = decide_threshold(
            clusters,
            metric=metric,
            op=op,
            threshold=threshold,
            confidence=level,
            reduce=reduce,
            sequential=sequential,
            looks=looks if sequential else None,
        )
        statistical = level is not None and d.low is not None
        outcome = GateOutcome(
            subject=gate.criterion,
            metric=metric,
            observed=d.value,
            threshold=f"{op} {fmt(threshold)}",
            passed=d.outcome == "pass",
            note=d.note,
            decision=d.outcome if statistical else "",
            low=d.low,
            high=d.high,
            confidence=d.confidence if statistical else None,
            n=d.n,
            n_inputs=d.n_inputs,
            needed_n=d.needed_n,
            severity=gate.severity,
            method=d.method,
        )
        if d.outcome == "inconclusive":
            text = INCONCLUSIVE.format(
                subject=gate.criterion,
                metric=metric,
                value=fmt(d.value),
                low=fmt(d.low),
                high=fmt(d.high),
                confidence=level or 0.0,
                n=d.n,
                threshold=outcome.threshold,
                needed=NEEDED_HINT.format(needed_n=d.needed_n)
                if d.needed_n is not None
                else NEVER_DECIDES,
            )
            blocks = policy == "fail" and not warn_only
            outcome = _replace(
                outcome,
                passed=not blocks,
                note="; ".join(x for x in (outcome.note, text) if x),
                warning=text if policy != "pass" and not blocks else "",
            )
        elif d.outcome == "fail":
            outcome = _missed(outcome)
        if not outcome.passed or outcome.decision == "inconclusive" or outcome.warning:
            outcome = _replace(outcome, examples=worst(op))
        out.append(outcome)
    return out


def _replace(outcome: GateOutcome, **changes: Any) -> GateOutcome:
    from dataclasses import replace

    return replace(outcome, **changes)


def _missed(outcome: GateOutcome) -> GateOutcome:
    """A missed threshold: it fails the test, or with ``severity="warn"`` only warns."""
    if outcome.severity != "warn":
        return _replace(outcome, passed=False)
    text = SEVERITY_WARN.format(
        subject=outcome.subject,
        metric=outcome.metric,
        value=fmt(outcome.observed),
        threshold=outcome.threshold,
    )
    if outcome.note:
        text += f": {outcome.note}"
    return _replace(outcome, passed=True, warning=text)


def _compare(observed: float, op: str, threshold: float) -> bool:
    eps = 1e-9
    return observed >= threshold - eps if op == ">=" else observed <= threshold + eps


def check_tool_gate(gate: ToolGate, result: RunResult, examples: int = 3) -> GateOutcome:
    """Check one tool gate: the lowest score over the tasks must reach ``min_score``.

    The point rule always (a worst case has no interval); a miss with ``severity="warn"``
    passes with a warning.
    """
    checks = [
        c
        for c in result.tool_correctness
        if c.field_id == gate.field and (gate.node is None or c.node_id == gate.node)
    ]
    subject = f"tools {gate.node + '.' if gate.node else ''}{gate.field}"
    if not checks:
        return _missed(
            GateOutcome(
                subject,
                "min_score",
                None,
                f">= {fmt(gate.min_score)}",
                False,
                note=NO_TOOL_CHECKS.format(
                    field=gate.field, node=f" on node {gate.node!r}" if gate.node else ""
                ),
                kind="tool",
                severity=gate.severity,
            )
        )
    observed = min(c.score for c in checks)
    passed = _compare(observed, ">=", gate.min_score)
    worst = sorted(checks, key=lambda c: c.score)[:examples]
    outcome = GateOutcome(
        subject,
        "min_score",
        observed,
        f">= {fmt(gate.min_score)}",
        passed,
        examples=()
        if passed
        else tuple(Example(c.task_id, f"score {fmt(c.score)}", c.explain()) for c in worst),
        kind="tool",
        severity=gate.severity,
    )
    # a tool gate is a worst case (the point rule): a miss fails, or with severity="warn" warns
    return outcome if passed else _missed(outcome)


def apply_gates(result: RunResult, gates: Gates) -> Verdict:
    """The default verdict: every effective gate must pass.

    With no gate declared and the default gate on, a run whose tasks carry no completed
    criterion result fails: there was nothing to judge.
    """
    if gates.nothing_to_judge(result):
        pending = [name for name, s in result.criteria.items() if s.pending]
        message = NOTHING_TO_JUDGE.format(
            tasks=len(result.tasks),
            workflow=result.workflow_id,
            pending=f" (pending a human rating: {', '.join(pending)})" if pending else "",
        )
        outcome = GateOutcome(
            subject=NOTHING_SUBJECT,
            metric="results",
            observed=0.0,
            threshold=">= 1",
            passed=False,
            note=message.splitlines()[0].removeprefix("pipelines: "),
        )
        return Verdict(passed=False, outcomes=(outcome,), message=message)
    outcomes: list[GateOutcome] = []
    for gate in gates.effective(result):
        outcomes.extend(gates.check(gate, result))
    for tool_gate in gates.tools:
        outcomes.append(check_tool_gate(tool_gate, result))
    passed = all(o.passed for o in outcomes)
    return Verdict(
        passed=passed,
        outcomes=tuple(outcomes),
        message="" if passed else failure_table(outcomes),
        warnings=tuple(o.warning for o in outcomes if o.warning),
    )


def emit_warnings(verdict: Verdict) -> None:
    """Show the verdict's warnings as pytest warnings (in the warnings summary).

    A warning of an inconclusive outcome is a :class:`PipelinesInconclusiveWarning`, of a
    ``severity="warn"`` miss a :class:`PipelinesGateWarning`; any other (a custom verdict hook's)
    a :class:`PipelinesWarning`.

    :raises PipelinesWarningError: a warnings filter made the warning an error; the message
        says how to allow pytest-pipelines' warnings.
    """
    kinds = {
        o.warning: PipelinesInconclusiveWarning
        if o.decision == "inconclusive"
        else PipelinesGateWarning
        for o in verdict.outcomes
        if o.warning
    }
    for text in verdict.warnings:
        category: type[Warning] = kinds.get(text, PipelinesWarning)
        try:
            warnings.warn(category(f"pipelines: {text}"), stacklevel=2)
        except PipelinesWarning as exc:
            # an "error" filter raised it: say why a passing gate fails, and how to allow it,
            # instead of a traceback through the plugin
            raise PipelinesWarningError(
                WARNING_BECAME_ERROR.format(text=exc, category=type(exc).__name__)
            ) from None


def failure_table(outcomes: Sequence[GateOutcome]) -> str:
    """The table a gate miss fails with: criterion, observed, interval, threshold, decision.

    The interval column appears when some outcome has one; the worst examples follow.
    """
    missed = [o for o in outcomes if not o.passed]
    intervals = any(o.low is not None for o in outcomes)
    head = ["criterion", "metric", "observed"]
    if intervals:
        head.append("interval")
    rows = [(*head, "threshold", "verdict")]
    for o in outcomes:
        cells = [o.subject, o.metric, fmt(o.observed)]
        if intervals:
            cells.append(
                f"[{fmt(o.low)}, {fmt(o.high)}] @{o.confidence:.0%}"
                if o.low is not None and o.confidence is not None
                else "-"
            )
        rows.append((*cells, o.threshold, o.verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"pipelines: {len(missed)} of {len(outcomes)} gate threshold(s) missed"]
    for i, row in enumerate(rows):
        lines.append("  " + "  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    for o in missed:
        if o.note or o.examples:
            lines.append(f"  {o.subject} ({o.metric}):")
        if o.note:
            lines.append(f"    {o.note}")
        for e in o.examples:
            lines.append(f"    task {e.task_id}: {e.output!r} -- {e.reason}")
    return "\n".join(lines)
