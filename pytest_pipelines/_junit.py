"""The detailed JUnit report (``--pipelines-junitxml``), written once on the controller.

A ``<testsuite>`` per eval test item and a ``<testcase>`` per criterion, per gate without a
criterion, per regression/comparison gate and per tool-correctness check. It follows the
rules of Jenkins' junit-10.xsd (the schema of pytest's default ``xunit2`` family):

- a ``<testcase>`` carries ``name``, ``classname`` and ``time`` only; the test's file is the
  ``file`` attribute of its ``<testsuite>`` and its line is in each failure's text
  (``examples/test_x.py:12: ...`` first, ``at examples/test_x.py:12`` last: where GitHub's JUnit
  annotators look for it). With
  ``junit_family = xunit1`` the testcases also get ``file``/``line`` attributes (as pytest's
  own xunit1 report does);
- properties only at suite level; ``<failure>``/``<error>``/``<skipped>`` hold their text, which
  is what GitLab shows;
- every string is XML 1.0-safe (a model's ANSI colour code is escaped, never written raw).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from pytest_pipelines._record import (
    CriterionRecord,
    Example,
    GateRecord,
    ItemRecord,
    classname,
    clip,
    error_message,
    xml_safe,
)
from pytest_pipelines._results import fmt

HOOK_VERDICT = "a pytest_pipelines_verdict hook failed this test although every gate passed"
BODY_FAILED = "the test body failed (not a gate): {line}"
PHASE_ERROR = "error at {phase}: {line}"
PENDING_LINE = (
    "pending {n}: {n} task(s) await a human rating; a gate on this criterion cannot pass until "
    "a person rates them"
)
PENDING_SKIP = "{n} of {total} task(s) await a human rating: not judged yet"
SESSION_ERROR = (
    "pytest exited with status {status} and no eval test reported a result (a collection "
    "error, a usage error or an interrupted run): see the job log"
)
MESSAGE_LIMIT = 500


def _interval(g: GateRecord) -> str:
    if g.low is None or g.high is None:
        return ""
    conf = f" at {g.confidence:.0%}" if g.confidence is not None else ""
    method = f", {g.method}" if g.method else ""
    return f" [{fmt(g.low)}, {fmt(g.high)}]{conf}{method}"


def describe_gate(g: GateRecord) -> str:
    """One line for a gate outcome, labelled as the gate's (a criterion has its own threshold)."""
    if g.kind == "regression":
        text = (
            f"regression gate {g.subject} {g.metric}: baseline {fmt(g.baseline)} -> now "
            f"{fmt(g.observed)}"
        )
        if g.delta is not None:
            text += f" (delta {g.delta:+.3f}{_interval(g)})"
        text += f", allowed drop {g.threshold}"
    elif g.kind == "compare":
        text = f"comparison {g.subject} {g.metric}: difference {fmt(g.delta)}{_interval(g)}"
        if g.threshold:
            text += f", threshold {g.threshold}"
    elif g.observed is None and g.note:
        return f"gate {g.metric} {g.threshold} on {g.subject!r} not checked: {g.note}" + (
            " [warning only]" if g.severity == "warn" else ""
        )
    else:
        text = f"gate {g.metric} {g.threshold}: observed {fmt(g.observed)}{_interval(g)}"
    if g.p_value is not None:
        text += f", p={g.p_value:.3g}"
    if g.decision:
        text += f" -> {g.decision}"
    if g.needed_n:
        text += f" (about {g.needed_n} tasks would likely decide it)"
    if g.severity == "warn" and g.missed:
        text += " [warning only]"
    if g.note:
        text += f"; {g.note}"
    return text


def _example_lines(examples: Sequence[Example]) -> list[str]:
    lines = []
    for e in examples:
        if e.status == "pending":
            lines.append(f"{e.label} (task {e.task_id}): pending (awaiting a human rating)")
        else:
            verdict = {True: "pass", False: "fail", None: "-"}[e.passed]
            head = f"{e.label} (task {e.task_id})"
            if e.value:
                head += f": value={e.value} (criterion's own verdict: {verdict})"
            lines.append(head)
        if e.inputs:
            lines.append(f"  inputs: {e.inputs}")
        if e.output:
            lines.append(f"  output: {e.output}")
        if e.reason:
            lines.append(f"  reason: {e.reason}")
        for call in e.tool_calls:
            lines.append(f"  tool call: {call}")
    return lines


def stats_line(c: CriterionRecord) -> str:
    """The criterion's aggregate in one line."""
    parts = [f"n={c.n}"]
    for key in ("passes", "pass_rate", "mean", "min", "max", "errors", "pending"):
        value = getattr(c, key)
        if value is not None and not (key in ("errors", "pending") and not value):
            parts.append(f"{key}={fmt(value) if isinstance(value, float) else value}")
    return f"{c.name} [{c.type}]: " + " ".join(parts)


def scalar_properties(rec: ItemRecord) -> list[tuple[str, str | float | int]]:
    """A few readable scalars for pytest's own ``--junitxml`` (xunit1 family only)."""
    props: list[tuple[str, str | float | int]] = []
    if rec.variant is not None:
        props.append(("pipelines.variant", rec.variant))
    for c in rec.criteria:
        for metric in ("pass_rate", "mean"):
            value = getattr(c, metric)
            if value is not None:
                props.append((f"pipelines.{c.name}.{metric}", round(float(value), 6)))
        if c.pending:
            props.append((f"pipelines.{c.name}.pending", int(c.pending)))
    for g in rec.gates:
        state = "pass" if not g.missed else ("warn" if g.passed else "miss")
        props.append((f"pipelines.gate.{g.subject}.{g.metric}", f"{state}: {describe_gate(g)}"))
    if rec.verdict:
        props.append(("pipelines.verdict", rec.verdict))
    if rec.error:
        props.append(("pipelines.error", error_message(rec.error)))
    return props


class _Suite:
    """Collects one item's testcases, then writes them with their counts and times."""

    def __init__(self, rec: ItemRecord, family: str) -> None:
        self.rec = rec
        self.family = family
        self.cases: list[ET.Element] = []
        self.counts = {"failure": 0, "error": 0, "skipped": 0}

    def case(
        self,
        name: str,
        *,
        result: str | None = None,
        message: str = "",
        type_: str = "",
        text: str = "",
        out: str = "",
    ) -> None:
        rec = self.rec
        attrs = {"name": xml_safe(name), "classname": classname(rec.nodeid)}
        if self.family == "xunit1":
            attrs.update(file=rec.file, line=str(rec.line))
        tc = ET.Element("testcase", attrs)
        # an xfailed or skipped test: every case is skipped, whatever its gates said
        if rec.outcome in ("skipped", "xfailed") and result != "skipped":
            what = "expected failure" if rec.outcome == "xfailed" else "skipped"
            reason = rec.skip_reason or "no reason given"
            detail = f"{message}\n{text}".strip()
            result, message, type_ = "skipped", f"{what}: {reason}", ""
            text = f"{what}: {reason}" + (f"\nthe run said: {detail}" if detail else "")
        if result is not None:
            el = ET.SubElement(tc, result, {"message": clip(message, MESSAGE_LIMIT)})
            if type_:
                el.set("type", type_)
            el.text = xml_safe(text or message)
            self.counts[result] += 1
        if out:
            ET.SubElement(tc, "system-out").text = xml_safe(out)
        self.cases.append(tc)

    def element(self) -> ET.Element:
        rec = self.rec
        n = len(self.cases)
        share = rec.duration / n if n else 0.0
        for tc in self.cases:
            # criteria are judged together in one run: the item's time is shared equally
            tc.set("time", f"{share:.3f}")
        suite = ET.Element(
            "testsuite",
            {
                "name": xml_safe(rec.nodeid),
                "tests": str(n),
                "failures": str(self.counts["failure"]),
                "errors": str(self.counts["error"]),
                "skipped": str(self.counts["skipped"]),
                "time": f"{rec.duration:.3f}",
                "file": rec.file,
            },
        )
        props = ET.SubElement(suite, "properties")
        for name, value in _suite_properties(rec):
            ET.SubElement(props, "property", {"name": xml_safe(name), "value": xml_safe(value)})
        suite.extend(self.cases)
        return suite


def _suite_properties(rec: ItemRecord) -> list[tuple[str, str]]:
    props = [
        ("test", rec.test),
        ("variant", rec.variant or ""),
        ("outcome", rec.outcome),
        ("verdict", rec.verdict or "no run"),
        ("line", str(rec.line)),
    ]
    if rec.has_run:
        props += [("workflow", str(rec.workflow)), ("mode", rec.mode), ("tasks", str(rec.tasks))]
        if rec.tasks_planned is not None:
            props.append(("tasks_planned", str(rec.tasks_planned)))
        if rec.repeat > 1:
            props.append(("repeat", str(rec.repeat)))
        if rec.models:
            props.append(("models", ", ".join(rec.models)))
    for c in rec.criteria:
        if c.pending:
            props.append((f"pending.{c.name}", str(c.pending)))
    for i, w in enumerate(rec.warnings, 1):
        props.append((f"warning.{i}", clip(w, MESSAGE_LIMIT)))
    return props


def _gate_threshold(threshold: str) -> float | None:
    try:
        return float(threshold.split()[-1])
    except (ValueError, IndexError):
        return None


def _suite(rec: ItemRecord, family: str) -> ET.Element:
    s = _Suite(rec, family)

    def located(message: str, *details: str) -> str:
        # Two readers of the location: dorny/test-reporter's pytest parser splits the first line
        # as "<file>:<line>: ..."; mikepenz/action-junit-report takes the last " <file>...:<n>"
        return "\n".join(
            [f"{rec.file}:{rec.line}: {message}", *details, f"  at {rec.file}:{rec.line}"]
        )

    if not rec.has_run:
        if rec.error:
            s.case(
                "run",
                result="error",
                message=error_message(rec.error),
                type_="PipelinesRunError",
                text=located(*rec.error.split("\n")),
            )
        else:
            s.case("run", result="skipped", message=rec.skip_reason or "skipped")
        return s.element()
    by_subject: dict[str, list[GateRecord]] = {}
    for g in rec.gates:
        if g.kind == "criterion":
            by_subject.setdefault(g.subject, []).append(g)
    for c in rec.criteria:
        gates = by_subject.pop(c.name, [])
        blocking = [g for g in gates if not g.passed]
        lines = [stats_line(c)]
        if c.pending:
            lines.append(PENDING_LINE.format(n=c.pending))
        lines += [describe_gate(g) for g in gates]
        lines += _example_lines(c.examples)
        out = "\n".join(lines)
        if blocking:
            message = "; ".join(describe_gate(g) for g in blocking)
            examples = _example_lines(blocking[0].examples or c.examples)
            inconclusive = all(g.decision == "inconclusive" for g in blocking)
            s.case(
                c.name,
                result="failure",
                message=message,
                type_="PipelinesInconclusive" if inconclusive else "PipelinesGateMiss",
                text=located(message, *examples),
                out=out,
            )
        elif c.pending and not gates:
            message = PENDING_SKIP.format(n=c.pending, total=c.n + c.pending + c.errors)
            s.case(c.name, result="skipped", message=message, out=out)
        else:
            s.case(c.name, out=out)
    for subject, gates in by_subject.items():  # gates on criteria the run did not have
        blocking = [g for g in gates if not g.passed]
        text = "\n".join(describe_gate(g) for g in gates)
        if blocking:
            message = "; ".join(describe_gate(g) for g in blocking)
            s.case(
                subject,
                result="failure",
                message=message,
                type_="PipelinesGateMiss",
                text=located(message),
                out=text,
            )
        else:
            s.case(subject, out=text)
    for g in rec.gates:
        if g.kind in ("regression", "compare"):
            text = describe_gate(g)
            lines = [text, *_example_lines(g.examples)]
            if not g.passed:
                s.case(
                    f"{g.kind} {g.subject} {g.metric}",
                    result="failure",
                    message=text,
                    type_="PipelinesRegression" if g.kind == "regression" else "PipelinesCompare",
                    text=located(text, *lines[1:]),
                    out="\n".join(lines),
                )
            else:
                s.case(f"{g.kind} {g.subject} {g.metric}", out="\n".join(lines))
    tool_gates = {g.subject: g for g in rec.gates if g.kind == "tool"}
    for t in rec.tools:
        gate = tool_gates.get(f"tools {t.node}.{t.field}") or tool_gates.get(f"tools {t.field}")
        own = f" (the check's own threshold: {fmt(t.own_threshold)})" if t.own_threshold else ""
        out = f"{t.label} (task {t.task_id}): score={fmt(t.score)}{own}; {t.explain}"
        name = f"tool correctness {t.node}.{t.field} {t.label}"
        limit = _gate_threshold(gate.threshold) if gate is not None else None
        if gate is not None and limit is not None and t.score < limit - 1e-9:
            message = f"tool gate min_score {gate.threshold}: score {fmt(t.score)}; {t.explain}"
            s.case(
                name,
                result="failure",
                message=message,
                type_="PipelinesGateMiss",
                text=located(message),
                out=out,
            )
        else:
            s.case(name, out=out)
    for subject, gate in tool_gates.items():
        if gate.observed is None and not gate.passed:  # the gate found nothing to check
            message = describe_gate(gate)
            s.case(
                subject,
                result="failure",
                message=message,
                type_="PipelinesGateMiss",
                text=located(message),
            )
    if rec.verdict == "fail" and all(g.passed for g in rec.gates):
        s.case(
            "verdict",
            result="failure",
            message=HOOK_VERDICT,
            type_="PipelinesVerdict",
            text=located(HOOK_VERDICT),
        )
    if rec.problem is not None:
        phase, last = rec.problem
        if phase == "call":
            message = BODY_FAILED.format(line=last)
            s.case("test body", result="failure", message=message, type_="TestFailure")
        else:
            message = PHASE_ERROR.format(phase=phase, line=last)
            s.case(phase, result="error", message=message, type_="TestError")
    return s.element()


def build(
    records: Sequence[ItemRecord], exitstatus: int = 0, *, family: str = "xunit2"
) -> ET.Element:
    """The ``<testsuites>`` element for ``records``.

    :param exitstatus: pytest's exit status; with no records, a non-zero status becomes an
        error testcase, so the file never looks green when pytest was not (default 0).
    :param family: pytest's ``junit_family``; ``xunit1`` adds ``file``/``line`` to testcases
        (default ``xunit2``).
    """
    root = ET.Element("testsuites", {"name": "pytest-pipelines"})
    suites = [_suite(rec, family) for rec in records]
    if not records and exitstatus != 0:
        suite = ET.Element(
            "testsuite",
            {"name": "pytest-pipelines session", "tests": "1", "failures": "0", "errors": "1"},
        )
        tc = ET.SubElement(
            suite, "testcase", {"name": "session", "classname": "pytest-pipelines", "time": "0.000"}
        )
        message = SESSION_ERROR.format(status=exitstatus)
        ET.SubElement(tc, "error", {"message": message, "type": "PytestExit"}).text = message
        suites.append(suite)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    time = 0.0
    for suite in suites:
        for key in totals:
            totals[key] += int(suite.get(key) or 0)
        time += float(suite.get("time") or 0.0)
    root.attrib.update({k: str(v) for k, v in totals.items()})
    root.set("time", f"{time:.3f}")
    root.extend(suites)
    return root


def write_junit(
    path: Path, records: Sequence[ItemRecord], exitstatus: int = 0, *, family: str = "xunit2"
) -> Path:
    """Write the detailed report to ``path``; returns it.

    :param exitstatus: see :func:`build` (default 0).
    :param family: see :func:`build` (default ``xunit2``).
    """
    root = build(records, exitstatus, family=family)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path
