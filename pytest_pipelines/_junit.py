"""The detailed JUnit report (``--pipelines-junitxml``), written once on the controller.

A ``<testsuite>`` per eval test item; a ``<testcase>`` per criterion and per tool-correctness
check, with ``file``/``line`` pointing at the test, ``<failure message>`` stating observed vs
threshold, and ``<system-out>`` holding output excerpts and judge reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_pipelines._results import fmt
from pytest_pipelines._session import Record


def _classes() -> tuple[Any, ...]:
    from junitparser import Attr, Error, Failure, IntAttr, JUnitXml, Skipped, TestCase, TestSuite

    class LocatedTestCase(TestCase):
        """A testcase with ``file`` and ``line`` attributes."""

        file = Attr()
        line = IntAttr()

    return JUnitXml, TestSuite, LocatedTestCase, Failure, Error, Skipped


HOOK_VERDICT = "a pytest_pipelines_verdict hook failed this test although every gate passed"
BODY_FAILED = "the test body failed (not a gate): {line}"
PHASE_ERROR = "error at {phase}: {line}"
PENDING_LINE = (
    "pending {n}: {n} task(s) await a human rating; a gate on this criterion cannot pass until "
    "a person rates them"
)


def _examples(c: dict[str, Any]) -> str:
    lines = []
    for e in c.get("examples", []):
        if e.get("status") == "pending":
            lines.append(f"task {e['task_id']}: pending (awaiting a human rating)")
            if e.get("output"):
                lines.append(f"  output: {e['output']}")
            continue
        verdict = {True: "pass", False: "FAIL", None: "-"}[e.get("passed")]
        lines.append(f"task {e['task_id']}: value={e['value']!r} {verdict}")
        if e.get("output"):
            lines.append(f"  output: {e['output']}")
        if e.get("reason"):
            lines.append(f"  reason: {e['reason']}")
    return "\n".join(lines)


def _stats(c: dict[str, Any]) -> str:
    parts = [f"n={c['n']}"]
    for key in ("passes", "pass_rate", "mean", "min", "max", "errors", "pending"):
        if c.get(key) is not None:
            parts.append(f"{key}={fmt(c[key]) if isinstance(c[key], float) else c[key]}")
    return " ".join(parts)


def build(records: Sequence[Record], root: Path) -> Any:
    """The JUnitXml document for ``records``."""
    JUnitXml, TestSuite, Case, Failure, Error, _Skipped = _classes()
    xml = JUnitXml(name="pytest-pipelines")
    for rec in records:
        suite = TestSuite(rec.nodeid)
        path, line = rec.location

        def case(name: str, rec: Record = rec, path: str = path, line: int = line) -> Any:
            tc = Case(name, classname=rec.nodeid)
            tc.file = path
            tc.line = line
            return tc

        data = rec.data
        if data is None:
            tc = case("run")
            tc.result = [
                Error(
                    message=(rec.error or rec.outcome).splitlines()[0][:500],
                    type_="PipelinesRunError",
                )
            ]
            tc.system_out = rec.error or ""
            suite.add_testcase(tc)
            xml.add_testsuite(suite)
            continue
        suite.add_property("variant", str(data.get("variant") or ""))
        suite.add_property("workflow", str(data.get("workflow")))
        suite.add_property("mode", str(data.get("mode")))
        suite.add_property("tasks", str(data.get("tasks")))
        suite.add_property("verdict", str(data.get("verdict")))
        gates: dict[str, list[dict[str, Any]]] = {}
        for g in data.get("gates", []):
            if g.get("kind") != "tool":
                gates.setdefault(g["subject"], []).append(g)
        for c in data.get("criteria", []):
            if c.get("pending"):
                suite.add_property(f"pending.{c['name']}", str(c["pending"]))
        for c in data.get("criteria", []):
            tc = case(c["name"])
            missed = [g for g in gates.pop(c["name"], []) if not g["passed"]]
            if missed:
                msg = "; ".join(
                    f"{g['metric']} observed {fmt(g['observed'])}, threshold {g['threshold']}"
                    for g in missed
                )
                tc.result = [Failure(message=msg, type_="PipelinesGateMiss")]
            head = f"{c['name']} [{c['type']}]: {_stats(c)}"
            if c.get("pending"):
                head += "\n" + PENDING_LINE.format(n=c["pending"])
            tc.system_out = f"{head}\n{_examples(c)}"
            suite.add_testcase(tc)
        for subject, gs in gates.items():  # gates on criteria the run did not have
            tc = case(subject)
            missed = [g for g in gs if not g["passed"]]
            if missed:
                tc.result = [
                    Failure(
                        message="; ".join(
                            f"{g['metric']} observed {fmt(g['observed'])}, threshold {g['threshold']}"
                            for g in missed
                        ),
                        type_="PipelinesGateMiss",
                    )
                ]
            tc.system_out = "\n".join(g.get("note", "") for g in gs)
            suite.add_testcase(tc)
        tool_gates = {g["subject"]: g for g in data.get("gates", []) if g.get("kind") == "tool"}
        for t in data.get("tools", []):
            tc = case(f"tool correctness {t['node']}.{t['field']} task {t['task_id']}")
            gate = tool_gates.get(f"tools {t['node']}.{t['field']}") or tool_gates.get(
                f"tools {t['field']}"
            )
            if gate is not None:
                threshold = float(gate["threshold"].split()[-1])
                if t["score"] < threshold - 1e-9:
                    tc.result = [
                        Failure(
                            message=f"score observed {fmt(t['score'])}, threshold {gate['threshold']}",
                            type_="PipelinesGateMiss",
                        )
                    ]
            tc.system_out = f"score={fmt(t['score'])} {t['explain']}"
            suite.add_testcase(tc)
        gates_passed = all(g["passed"] for g in data.get("gates", []))
        if data.get("verdict") == "fail" and gates_passed:
            tc = case("verdict")
            tc.result = [Failure(message=HOOK_VERDICT, type_="PipelinesVerdict")]
            suite.add_testcase(tc)
        if rec.problem is not None:
            phase, last = rec.problem
            if phase == "call":
                tc = case("test body")
                tc.result = [Failure(message=BODY_FAILED.format(line=last), type_="TestFailure")]
            else:
                tc = case(phase)
                tc.result = [Error(message=PHASE_ERROR.format(phase=phase, line=last))]
            suite.add_testcase(tc)
        xml.add_testsuite(suite)
    return xml


def write_junit(path: str, records: Sequence[Record], root: Path) -> Path:
    """Write the detailed report to ``path`` (relative to ``root``, the invocation dir); returns it."""
    target = Path(path)
    if not target.is_absolute():
        target = root / target
    target.parent.mkdir(parents=True, exist_ok=True)
    xml = build(records, root)
    xml.write(str(target), pretty=True)
    return target
