"""Gates: thresholds on criteria and tool correctness, and the default verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_pipelines._markers import Gate, ToolGate
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


@dataclass(frozen=True)
class Example:
    """One of the worst tasks behind a gate's observed value."""

    task_id: int
    output: str
    reason: str


@dataclass(frozen=True)
class GateOutcome:
    """One threshold of one gate, checked against the run."""

    subject: str
    metric: str
    observed: float | None
    threshold: str
    passed: bool
    note: str = ""
    examples: tuple[Example, ...] = ()
    kind: str = "criterion"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (travels on reports)."""
        return {
            "subject": self.subject,
            "metric": self.metric,
            "observed": self.observed,
            "threshold": self.threshold,
            "passed": self.passed,
            "note": self.note,
            "kind": self.kind,
            "examples": [e.__dict__ for e in self.examples],
        }


@dataclass(frozen=True)
class Verdict:
    """The outcome of an eval test's gates: ``passed`` and the outcomes behind it.

    A ``pytest_pipelines_verdict`` implementation returns one (or a bool).
    """

    passed: bool
    outcomes: tuple[GateOutcome, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class Gates:
    """The gates that apply to one test item."""

    criteria: tuple[Gate, ...] = ()
    tools: tuple[ToolGate, ...] = ()
    default: str = "all-boolean-pass"

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


def _compare(observed: float, op: str, threshold: float) -> bool:
    eps = 1e-9
    return observed >= threshold - eps if op == ">=" else observed <= threshold + eps


def check_gate(gate: Gate, result: RunResult, examples: int = 3) -> list[GateOutcome]:
    """Check every threshold of one criterion gate."""
    try:
        stats = result.criterion(gate.criterion)
    except KeyError as exc:
        return [
            GateOutcome(
                gate.criterion, metric, None, f"{op} {fmt(t)}", False, note=str(exc.args[0])
            )
            for metric, op, t in gate.thresholds()
        ]

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
        observed = stats.metric(metric)
        note = ""
        if observed is None:
            passed = False
            note = f"criterion {gate.criterion!r} " + (
                NO_PASS_FAIL if metric == "pass_rate" else NO_VALUES
            )
        else:
            passed = _compare(observed, op, threshold)
        out.append(
            GateOutcome(
                subject=gate.criterion,
                metric=metric,
                observed=observed,
                threshold=f"{op} {fmt(threshold)}",
                passed=passed,
                note=note,
                examples=() if passed else worst(op),
            )
        )
    return out


def check_tool_gate(gate: ToolGate, result: RunResult, examples: int = 3) -> GateOutcome:
    """Check one tool gate: the lowest score over the tasks must reach ``min_score``."""
    checks = [
        c
        for c in result.tool_correctness
        if c.field_id == gate.field and (gate.node is None or c.node_id == gate.node)
    ]
    subject = f"tools {gate.node + '.' if gate.node else ''}{gate.field}"
    if not checks:
        return GateOutcome(
            subject,
            "min_score",
            None,
            f">= {fmt(gate.min_score)}",
            False,
            note=NO_TOOL_CHECKS.format(
                field=gate.field, node=f" on node {gate.node!r}" if gate.node else ""
            ),
            kind="tool",
        )
    observed = min(c.score for c in checks)
    passed = _compare(observed, ">=", gate.min_score)
    worst = sorted(checks, key=lambda c: c.score)[:examples]
    return GateOutcome(
        subject,
        "min_score",
        observed,
        f">= {fmt(gate.min_score)}",
        passed,
        examples=()
        if passed
        else tuple(Example(c.task_id, f"score {fmt(c.score)}", c.explain()) for c in worst),
        kind="tool",
    )


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
        outcomes.extend(check_gate(gate, result))
    for tool_gate in gates.tools:
        outcomes.append(check_tool_gate(tool_gate, result))
    passed = all(o.passed for o in outcomes)
    return Verdict(
        passed=passed, outcomes=tuple(outcomes), message="" if passed else failure_table(outcomes)
    )


def failure_table(outcomes: Sequence[GateOutcome]) -> str:
    """The table a gate miss fails with: criterion, observed, threshold, worst examples."""
    missed = [o for o in outcomes if not o.passed]
    rows = [("criterion", "metric", "observed", "threshold", "verdict")]
    for o in outcomes:
        rows.append(
            (o.subject, o.metric, fmt(o.observed), o.threshold, "pass" if o.passed else "MISS")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
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
