"""The Markdown summary (``--pipelines-summary-md``, and ``$GITHUB_STEP_SUMMARY`` on GitHub).

One row per eval test (verdict, key scores with intervals, gates, baseline deltas), the variants
of a test side by side, and a ``<details>`` block per failure with its worst examples. Model
text is hostile: every dynamic string is HTML-escaped and stripped of Markdown's active
characters, and example text sits in ``<pre>`` blocks, where Markdown is not interpreted.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from pytest_pipelines._junit import _example_lines, describe_gate
from pytest_pipelines._record import GateRecord, ItemRecord, error_message, xml_safe
from pytest_pipelines._results import fmt
from pytest_pipelines._summary import (
    LOCAL_MODELS_LINE,
    gate_word,
    local_models,
    value_text,
    variant_groups,
    verdict_word,
)

ICONS = {
    "PASS": "✅",
    "FAILED": "❌",
    "ERROR": "💥",
    "SKIPPED": "⏭️",
    "XFAILED": "⏭️",
    "XPASSED": "✅",
}
#: GitHub refuses a step summary over 1 MiB; the failure details stop well before that
SIZE_LIMIT = 900_000
TRUNCATED = "{n} more failure(s) not shown: the summary would exceed GitHub's size limit (see the JUnit or HTML report)."
#: characters Markdown acts on in a table cell: backslash-escaped (CommonMark allows it for any
#: ASCII punctuation; GFM tables need it for ``|``); HTML's as entities
_MD_ACTIVE = {c: "\\" + c for c in "\\`*_[]()#!|~{}"}
_MD_ACTIVE.update({"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;"})


def cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell: one line, nothing Markdown or HTML acts on."""
    flat = " ".join(xml_safe(str(text)).split())
    return "".join(_MD_ACTIVE.get(ch, ch) for ch in flat)


def _pre(text: str) -> str:
    return "<pre>" + html.escape(xml_safe(text)) + "</pre>"


def _baseline(gates: Sequence[GateRecord]) -> str:
    parts = []
    for g in gates:
        if g.kind == "regression":
            text = f"{g.subject} {g.metric}: {fmt(g.baseline)} → {fmt(g.observed)}"
            if g.delta is not None:
                text += f" (Δ {g.delta:+.3f}"
                text += f", p={g.p_value:.3g})" if g.p_value is not None else ")"
            if g.decision:
                text += f" {g.decision}"
            parts.append(text)
        elif g.kind == "compare":
            parts.append(f"{g.subject}: {describe_gate(g)}")
    return "; ".join(parts)


def _scores(rec: ItemRecord) -> str:
    if rec.error and not rec.has_run:
        return error_message(rec.error, 200)
    by_subject: dict[str, list[GateRecord]] = {}
    for g in rec.gates:
        by_subject.setdefault(g.subject, []).append(g)
    return "; ".join(f"{c.name}: {value_text(c, by_subject.get(c.name, []))}" for c in rec.criteria)


def _gates(rec: ItemRecord) -> str:
    parts = []
    for g in rec.gates:
        if g.kind in ("regression", "compare"):
            continue
        word = gate_word([g])
        text = f"{g.subject} {g.metric} {g.threshold}"
        if g.decision and g.decision not in ("pass", "fail"):
            text += f" ({g.decision})"
        parts.append(f"{text}: {word}")
    return "; ".join(parts)


def _failure_text(rec: ItemRecord) -> str:
    lines: list[str] = []
    if rec.error:
        lines.append(rec.error)
    for g in rec.gates:
        if g.missed:
            lines.append(describe_gate(g))
            examples = g.examples
            if not examples:
                examples = next((c.examples for c in rec.criteria if c.name == g.subject), ())
            lines += ["  " + ln for ln in _example_lines(examples)]
    if rec.problem is not None:
        lines.append(f"{rec.problem[0]}: {rec.problem[1]}")
    if not lines and rec.verdict_message:
        lines.append(rec.verdict_message)
    lines.append(f"at {rec.file}:{rec.line}")
    return "\n".join(lines)


def render_markdown(records: Sequence[ItemRecord], exitstatus: int = 0) -> str:
    """The summary as Markdown.

    :param exitstatus: pytest's exit status, shown when no eval test reported (default 0).
    """
    counts: dict[str, int] = {}
    for rec in records:
        counts[rec.outcome] = counts.get(rec.outcome, 0) + 1
    out = ["## Eval results (pytest-pipelines)", ""]
    if not records:
        out += [f"No eval test reported a result (pytest exit status {exitstatus}).", ""]
        return "\n".join(out)
    tally = ", ".join(f"{n} {word}" for word, n in sorted(counts.items()))
    out += [f"**{len(records)} eval test(s):** {tally}", ""]
    out += [
        "| Test | Variant | Verdict | Scores | Gates | Baseline / comparison |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for rec in records:
        word = verdict_word(rec)
        verdict = f"{ICONS.get(word, '')} {word}".strip()
        if any(g.missed and g.passed for g in rec.gates) or rec.warnings:
            verdict += " ⚠️"
        out.append(
            "| "
            + " | ".join(
                [
                    cell(rec.test),
                    cell(rec.variant or "-"),
                    cell(verdict),
                    cell(_scores(rec) or "-"),
                    cell(_gates(rec) or "-"),
                    cell(_baseline(rec.gates) or "-"),
                ]
            )
            + " |"
        )
    out.append("")
    local = local_models(records)
    if local:
        # a sentence, not a table cell: escaped for HTML (a model name is user text) only
        text = LOCAL_MODELS_LINE[0].upper() + LOCAL_MODELS_LINE[1:] + ", ".join(local)
        out += [html.escape(xml_safe(text)), ""]
    out += _variant_tables(records)
    warned = [r for r in records if r.warnings]
    if warned:
        out += ["### Warnings", ""]
        for r in warned:
            for w in r.warnings:
                out.append(f"- {cell(r.nodeid)}: {cell(w)}")
        out.append("")
    failing = [r for r in records if r.outcome in ("failed", "error")]
    if failing:
        out += ["### Failures", ""]
        size = sum(len(line.encode()) + 1 for line in out)
        for i, rec in enumerate(failing):
            head = f"{verdict_word(rec)}: {rec.nodeid}"
            block = [
                f"<details><summary>{html.escape(xml_safe(head))}</summary>",
                "",
                _pre(_failure_text(rec)),
                "",
                "</details>",
                "",
            ]
            size += sum(len(line.encode()) + 1 for line in block)
            if size > SIZE_LIMIT:
                out.append(TRUNCATED.format(n=len(failing) - i))
                break
            out += block
    return "\n".join(out) + "\n"


def _variant_tables(records: Sequence[ItemRecord]) -> list[str]:
    """A table per test with several variants: criterion by variant."""
    out: list[str] = []
    for test, cols in variant_groups(records):
        names = [name for name, _, _ in cols]
        out += [f"### Variants side by side: {cell(test)}", ""]
        out.append("| criterion | " + " | ".join(cell(n) for n in names) + " |")
        out.append("| --- |" + " --- |" * len(names))
        criteria: dict[str, dict[str, str]] = {}
        for name, crits, _ in cols:
            for c in crits:
                criteria.setdefault(c.name, {})[name] = value_text(c)
        for cname, by_variant in criteria.items():
            out.append(
                f"| {cell(cname)} | "
                + " | ".join(cell(by_variant.get(n, "-")) for n in names)
                + " |"
            )
        if all(rec is not None for _, _, rec in cols):
            words = [verdict_word(rec) for _, _, rec in cols if rec is not None]
            out.append("| verdict | " + " | ".join(cell(w) for w in words) + " |")
        out.append("")
    return out
