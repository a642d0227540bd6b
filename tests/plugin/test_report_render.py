"""Every renderer shows the verdict layer's fields (decision, interval, needed tasks, severity,
baseline/delta/p-value, regression and comparison gates, warnings) from one record, and the
record survives the trip to the xdist controller unchanged."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from types import SimpleNamespace

from junit_rules import violations

from pytest_pipelines._html import render_html
from pytest_pipelines._junit import build, scalar_properties
from pytest_pipelines._markdown import render_markdown
from pytest_pipelines._record import (
    CriterionRecord,
    Example,
    GateRecord,
    ItemRecord,
    ToolRecord,
    gate_record,
)
from pytest_pipelines._summary import result_rows


def _record() -> ItemRecord:
    inconclusive = GateRecord(
        subject="Mentions Rome Highlights",
        metric="pass_rate",
        observed=0.8,
        threshold=">= 0.75",
        passed=False,
        decision="inconclusive",
        low=0.62,
        high=0.91,
        confidence=0.95,
        n=30,
        n_inputs=10,
        needed_n=120,
        method="clustered-wilson",
    )
    warned = GateRecord(
        subject="Itinerary Quality Judge",
        metric="mean",
        observed=3.9,
        threshold=">= 4",
        passed=True,
        warning="Itinerary Quality Judge mean = 3.9 misses >= 4 (severity='warn')",
        decision="fail",
        low=3.7,
        high=4.1,
        confidence=0.9,
        severity="warn",
        method="t",
    )
    regression = GateRecord(
        subject="Mentions Rome Highlights",
        metric="pass_rate",
        observed=0.8,
        threshold="0.05",
        passed=False,
        kind="regression",
        decision="regression",
        baseline=0.85,
        delta=-0.05,
        low=-0.09,
        high=-0.01,
        p_value=0.012,
        method="mcnemar-exact",
        examples=(Example(7, "input abc", value="False", passed=False, output="Day 1: Pantheon"),),
    )
    return ItemRecord(
        nodeid="evals/test_rome.py::test_x[v1.2]",
        test="evals/test_rome.py::test_x[v1.2]",
        file="evals/test_rome.py",
        line=12,
        workflow=10,
        mode="tasks",
        tasks=30,
        tasks_planned=200,
        repeat=3,
        criteria=(
            CriterionRecord(
                name="Mentions Rome Highlights",
                type="boolean",
                n=30,
                passes=24,
                pass_rate=0.8,
                mean=0.8,
                min=0.0,
                max=1.0,
                errors=0,
                pending=0,
                values=(1.0,) * 24 + (0.0,) * 6,
            ),
            CriterionRecord(
                name="Itinerary Quality Judge",
                type="rating",
                n=30,
                passes=30,
                pass_rate=1.0,
                mean=3.9,
                min=3.0,
                max=5.0,
                errors=0,
                pending=0,
                values=(3.0, 4.0, 5.0) * 10,
            ),
        ),
        gates=(inconclusive, warned, regression),
        tools=(ToolRecord("research", "notes", 5, "input abc", 1.0, "called=['search']"),),
        verdict="fail",
        warnings=("Itinerary Quality Judge mean: inconclusive at 90% (warn only)",),
        outcome="failed",
        duration=4.2,
    )


def test_the_record_survives_serialization() -> None:
    rec = _record()
    wire = json.loads(json.dumps(rec.to_dict()))  # what execnet carries: builtin types only
    assert ItemRecord.from_dict(wire) == rec
    # a newer worker's extra field does not break an older controller
    assert ItemRecord.from_dict({**wire, "added_later": 1}) == rec


def test_gate_records_read_outcomes_with_or_without_the_decision_fields() -> None:
    legacy = SimpleNamespace(
        subject="c",
        metric="pass_rate",
        observed=1.0,
        threshold=">= 0.8",
        passed=True,
        note="",
        examples=(),
        kind="criterion",
    )
    g = gate_record(legacy, {})
    assert (g.decision, g.low, g.severity, g.needed_n, g.method) == ("", None, "error", None, "")
    full = SimpleNamespace(
        **vars(legacy),
        decision="pass",
        low=0.9,
        high=1.0,
        confidence=0.95,
        n=40,
        n_inputs=20,
        needed_n=None,
        severity="warn",
        baseline=0.95,
        delta=0.05,
        p_value=0.3,
        method="wilson",
    )
    g = gate_record(full, {})
    assert (g.decision, g.low, g.high, g.confidence, g.n, g.severity, g.baseline) == (
        "pass",
        0.9,
        1.0,
        0.95,
        40,
        "warn",
        0.95,
    )


def test_a_point_rule_warn_miss_is_a_warning_not_a_pass() -> None:
    """severity="warn" without a confidence level: no decision, only the outcome's warning."""
    g = GateRecord("Judge", "mean", 4.0, ">= 4.5", passed=True, severity="warn", warning="w")
    assert g.missed
    rec = ItemRecord(nodeid="t.py::test_x", test="t.py::test_x", verdict="pass", gates=(g,))
    assert result_rows([rec])[0][4:] == ("mean >= 4.5 (warn)", "WARN")
    assert "[warning only]" in str(scalar_properties(rec))
    clean = GateRecord("Judge", "mean", 4.6, ">= 4.5", passed=True, severity="warn")
    assert not clean.missed


def test_terminal_rows_show_intervals_decisions_and_warnings() -> None:
    rows = result_rows([_record()])
    by = {r[2]: r for r in rows}
    rome = by["Mentions Rome Highlights"]
    assert rome[3] == "pass_rate 0.8 [0.62, 0.91]"
    assert "pass_rate >= 0.75 inconclusive" in rome[4]
    assert "(delta -0.050)" in rome[4]
    assert rome[5] == "MISS"
    judge = by["Itinerary Quality Judge"]
    assert judge[4] == "mean >= 4 (warn)"
    assert judge[5] == "WARN"
    assert by["(test)"][3] == "30 tasks of 200"


def test_junit_shows_decisions_and_regressions() -> None:
    root = build([_record()])
    assert violations(root) == []
    cases = {c.get("name"): c for c in root.iter("testcase")}
    rome = cases["Mentions Rome Highlights"].find("failure")
    assert rome is not None
    assert rome.get("type") == "PipelinesInconclusive"
    assert rome.get("message") == (
        "gate pass_rate >= 0.75: observed 0.8 [0.62, 0.91] at 95%, clustered-wilson -> "
        "inconclusive (about 120 tasks would likely decide it)"
    )
    judge = cases["Itinerary Quality Judge"]
    assert judge.find("failure") is None  # a warning does not fail
    assert "[warning only]" in str(judge.findtext("system-out"))
    regression = cases["regression Mentions Rome Highlights pass_rate"].find("failure")
    assert regression is not None
    assert regression.get("type") == "PipelinesRegression"
    assert "baseline 0.85 -> now 0.8 (delta -0.050" in str(regression.get("message"))
    assert "p=0.012 -> regression" in str(regression.get("message"))
    assert "input abc (task 7): value=False" in str(regression.text)
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["warning.1"] == "Itinerary Quality Judge mean: inconclusive at 90% (warn only)"
    assert props["tasks_planned"] == "200"
    assert props["repeat"] == "3"
    assert next(c.get("classname") for c in root.iter("testcase")) == "evals.test_rome.test_x[v1_2]"
    scalars = dict(scalar_properties(_record()))
    assert str(scalars["pipelines.gate.Itinerary Quality Judge.mean"]).startswith("warn: gate")


def test_markdown_shows_intervals_baselines_and_warnings() -> None:
    md = render_markdown([_record()])
    row = next(ln for ln in md.splitlines() if ln.startswith("| evals/test\\_rome.py"))
    assert "❌ FAILED ⚠️" in row
    assert "pass\\_rate 0.8 \\[0.62, 0.91\\]" in row
    assert "\\(inconclusive\\): MISS" in row
    assert "0.85 → 0.8 \\(Δ -0.050, p=0.012\\) regression" in row
    assert "### Warnings" in md
    assert "inconclusive at 90% \\(warn only\\)" in md


def test_html_shows_the_decision_columns_and_charts() -> None:
    page = render_html([_record()])
    for text in (
        "inconclusive",
        "[0.62, 0.91] at 95%",
        "0.85 / -0.050 / p=0.012",
        "30 (~120)",
        "clustered-wilson",
        "mcnemar-exact",
        "warning: Itinerary Quality Judge mean",
        "30 tasks of 200 planned",
        "3 repeats",
    ):
        assert text in page, text
    assert 'aria-label="distribution of Itinerary Quality Judge"' in page
    assert 'aria-label="interval 0.62 to 0.91"' in page
    # every chart is well-formed SVG
    for chunk in page.split("<svg")[1:]:
        ET.fromstring("<svg" + chunk.split("</svg>", 1)[0] + "</svg>")


def test_a_rating_of_ones_is_charted_as_a_rating() -> None:
    from pytest_pipelines._html import _histogram

    ones = CriterionRecord("Judge", "rating", 2, 0, 0.0, 1.0, 1.0, 1.0, 0, 0, values=(1.0, 1.0))
    chart = _histogram(ones)
    assert "<title>pass:" not in chart
    assert "<title>1: 2</title>" in chart
    flags = CriterionRecord(
        "Says Rome", "boolean", 2, 1, 0.5, 0.5, 0.0, 1.0, 0, 0, values=(1.0, 0.0)
    )
    assert "<title>pass: 1</title>" in _histogram(flags)


def test_markdown_stays_under_githubs_step_summary_limit() -> None:
    from pytest_pipelines._markdown import SIZE_LIMIT, TRUNCATED

    big = [
        ItemRecord(
            nodeid=f"t.py::test_{i}",
            test=f"t.py::test_{i}",
            error="pipelines run is broken:\n" + "x" * 5000,
            outcome="error",
        )
        for i in range(400)
    ]
    md = render_markdown(big)
    assert len(md.encode()) <= SIZE_LIMIT + 1000
    assert TRUNCATED.split("{n}")[1] in md
    assert md.count("<details>") < 400


def test_variants_of_one_experiment_are_shown_side_by_side() -> None:
    from pytest_pipelines._record import VariantRecord
    from pytest_pipelines._summary import comparison

    def judge(mean: float) -> CriterionRecord:
        return CriterionRecord("Judge", "rating", 5, 4, 0.8, mean, 3.0, 5.0, 0, 0)

    rec = ItemRecord(
        nodeid="t.py::test_beats_control",
        test="t.py::test_beats_control",
        verdict="pass",
        criteria=(judge(3.6),),
        variants=(
            VariantRecord("control", 5, (judge(3.4),)),
            VariantRecord("new", 5, (judge(3.8),)),
        ),
    )
    assert ItemRecord.from_dict(json.loads(json.dumps(rec.to_dict()))) == rec
    (tbl,) = comparison([rec])
    assert tbl[0].split() == ["t.py::test_beats_control:", "criterion", "control", "new"]
    assert tbl[2].split() == [
        "Judge",
        "pass_rate",
        "0.8,",
        "mean",
        "3.4",
        "pass_rate",
        "0.8,",
        "mean",
        "3.8",
    ]
    assert "| Judge | pass\\_rate 0.8, mean 3.4 | pass\\_rate 0.8, mean 3.8 |" in render_markdown(
        [rec]
    )
    page = render_html([rec])
    assert "<th>control</th><th>new</th>" in page
