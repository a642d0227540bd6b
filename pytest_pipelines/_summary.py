"""The terminal summary: a results table, and variants side by side."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pytest_pipelines._record import CriterionRecord, GateRecord, ItemRecord
from pytest_pipelines._results import fmt


def ordered(records: Iterable[ItemRecord]) -> list[ItemRecord]:
    """Records in a stable order (file, line, variant as declared), whatever order xdist ran them."""

    def key(rec: ItemRecord) -> tuple[str, int, str, int, str]:
        # the variants of one parameter set together: test_x[2] baseline, echo; test_x[3] ...
        return (rec.file, rec.line, rec.test, rec.variant_index, rec.nodeid)

    return sorted(records, key=key)


VERDICT_WORDS = {"passed": "PASS", "failed": "FAILED", "error": "ERROR", "skipped": "SKIPPED"}


def verdict_word(rec: ItemRecord) -> str:
    """The test's outcome as the table shows it (PASS, FAILED, ERROR, XFAILED, ...)."""
    return VERDICT_WORDS.get(rec.outcome, rec.outcome.upper())


#: test names up to this long are never shortened (a short table row is not worth a lost file)
MIN_TEST_WIDTH = 30


def name_forms(name: str) -> list[str]:
    """``name``, then without its directories, then without its file: the test's own name is in
    every form. ``tests/evals/test_x.py::test_y[a]`` -> ``.../test_x.py::test_y[a]`` ->
    ``test_y[a]``."""
    forms = [name]
    path, sep, rest = name.partition("::")
    if not sep:
        return forms
    if "/" in path:
        forms.append(".../" + path.rsplit("/", 1)[1] + sep + rest)
    forms.append(rest)
    if "::" in rest:
        forms.append(rest.rsplit("::", 1)[1])
    return forms


def shorten(name: str, width: int) -> str:
    """The longest form of ``name`` (see :func:`name_forms`) that fits ``width``; the shortest
    when none does: the path goes, never the test's own name."""
    forms = name_forms(name)
    return next((f for f in forms if len(f) <= width), forms[-1])


def interval(g: GateRecord) -> str:
    """``[low, high]`` of a gate's interval, or empty."""
    if g.low is None or g.high is None:
        return ""
    return f" [{fmt(g.low)}, {fmt(g.high)}]"


def value_text(c: CriterionRecord, gates: Sequence[GateRecord] = ()) -> str:
    """A criterion's key scores (with the interval a gate computed for the same metric).

    :param gates: the gates on this criterion; default none (no intervals shown).
    """
    # a regression gate's interval is of the difference, not of the score
    by_metric = {g.metric: g for g in gates if g.kind == "criterion"}
    parts = []
    if c.pass_rate is not None:
        g = by_metric.get("pass_rate")
        parts.append(f"pass_rate {fmt(c.pass_rate)}{interval(g) if g else ''}")
    if c.type != "boolean" and c.mean is not None:
        g = by_metric.get("mean")
        parts.append(f"mean {fmt(c.mean)}{interval(g) if g else ''}")
    if c.errors:
        parts.append(f"errors {c.errors}")
    if c.pending:
        parts.append(f"pending {c.pending}")
    return ", ".join(parts) or "-"


def gate_cell(g: GateRecord) -> str:
    """A gate threshold, with its decision when the verdict layer made one."""
    text = f"{g.metric} {g.threshold}"
    if g.kind == "regression" and g.delta is not None:
        text += f" (delta {g.delta:+.3f})"
    if g.decision and g.decision not in ("pass", "fail"):
        text += f" {g.decision}"
    if g.severity == "warn":
        text += " (warn)"
    return text


def gate_word(gates: Sequence[GateRecord]) -> str:
    """pass, MISS, or WARN (a warn-severity miss) for a subject's gates; ``-`` without gates."""
    if not gates:
        return "-"
    if any(not g.passed for g in gates):
        return "MISS"
    return "WARN" if any(g.missed for g in gates) else "pass"


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns with a rule under the header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, row in enumerate(rows):
        out.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def result_rows(records: Sequence[ItemRecord]) -> list[tuple[str, str, str, str, str, str]]:
    """Rows of the results table: test, variant, criterion, value, gate, verdict."""
    rows: list[tuple[str, str, str, str, str, str]] = []
    for rec in records:
        test = rec.test
        variant = rec.variant or "-"
        if not rec.has_run:
            rows.append((test, variant, "(run)", "-", "-", verdict_word(rec)))
            continue
        gates: dict[str, list[GateRecord]] = {}
        for g in rec.gates:
            gates.setdefault(g.subject, []).append(g)
        for c in rec.criteria:
            gs = gates.pop(c.name, [])
            gate_text = ", ".join(gate_cell(g) for g in gs) or "-"
            rows.append((test, variant, c.name, value_text(c, gs), gate_text, gate_word(gs)))
        for subject, gs in gates.items():
            observed = ", ".join(fmt(g.observed) + interval(g) for g in gs)
            gate_text = ", ".join(gate_cell(g) for g in gs)
            rows.append((test, variant, subject, observed, gate_text, gate_word(gs)))
        tasks = f"{rec.tasks} tasks"
        if rec.tasks_planned is not None and rec.tasks_planned != rec.tasks:
            tasks += f" of {rec.tasks_planned}"
        rows.append((test, variant, "(test)", tasks, "-", verdict_word(rec)))
    return rows


#: one column of a side-by-side table: variant name, its criteria, its test's verdict (None:
#: the variants of one experiment share one item, whose verdict is in the results table)
Column = tuple[str, tuple[CriterionRecord, ...], "ItemRecord | None"]


def variant_groups(records: Sequence[ItemRecord]) -> list[tuple[str, list[Column]]]:
    """Tests with several variants, each with its columns: the variants of a test that are
    separate items (``pipelines_variants``), or that ran in one item's experiment."""
    groups: dict[str, list[Column]] = {}
    for rec in records:
        if not rec.has_run:
            continue
        if len(rec.variants) > 1:
            groups[rec.test] = [(v.name, v.criteria, None) for v in rec.variants]
        elif rec.variant is not None:
            groups.setdefault(rec.test, []).append((rec.variant, rec.criteria, rec))
    return [(test, cols) for test, cols in groups.items() if len(cols) > 1]


def comparison(records: Sequence[ItemRecord]) -> list[list[str]]:
    """Tables comparing the variants of each test that has several, criterion by variant."""
    out = []
    for test, cols in variant_groups(records):
        names = [name for name, _, _ in cols]
        criteria: dict[str, dict[str, str]] = {}
        for name, crits, _ in cols:
            for c in crits:
                criteria.setdefault(c.name, {})[name] = value_text(c)
        rows = [[f"{test}: criterion", *names]]
        for cname, by_variant in criteria.items():
            rows.append([cname, *(by_variant.get(n, "-") for n in names)])
        if all(rec is not None for _, _, rec in cols):
            rows.append(["verdict", *(verdict_word(rec) for _, _, rec in cols if rec is not None)])
        out.append(table(rows))
    return out


def fit(rows: list[tuple[str, ...]], width: int) -> list[tuple[str, ...]]:
    """Shorten the test column's paths so rows fit ``width`` characters where they can.

    Names up to :data:`MIN_TEST_WIDTH` stay whole; two tests never end up with the same shown
    name (``a/test_x.py::test_y`` and ``b/test_x.py::test_y`` keep their directories).
    """
    others = sum(max(len(r[i]) for r in rows) for i in range(1, len(rows[0])))
    room = max(MIN_TEST_WIDTH, width - others - 2 * (len(rows[0]) - 1) - 1)
    names = list(dict.fromkeys(r[0] for r in rows[1:]))
    level = {n: min(len(name_forms(n)) - 1, _fitting(n, room)) for n in names}
    while True:
        shown: dict[str, list[str]] = {}
        for n in names:
            shown.setdefault(name_forms(n)[level[n]], []).append(n)
        clashes = [n for group in shown.values() if len(group) > 1 for n in group if level[n] > 0]
        if not clashes:
            break
        for n in clashes:
            level[n] -= 1
    head = rows[0]
    return [head, *((name_forms(r[0])[level[r[0]]], *r[1:]) for r in rows[1:])]


def _fitting(name: str, room: int) -> int:
    forms = name_forms(name)
    return next((i for i, f in enumerate(forms) if len(f) <= room), len(forms) - 1)


LOCAL_MODELS_LINE = "models served by the local backend (not hosted models): "


def local_models(records: Sequence[ItemRecord]) -> list[str]:
    """The labels of local models the records used (``... (local)``/``(local stand-in)``), once each."""
    seen: dict[str, None] = {}
    for rec in records:
        for label in rec.models:
            if label.endswith(("(local)", "(local stand-in)")):
                seen.setdefault(label, None)
    return list(seen)


def write_summary(reporter: Any, records: Sequence[ItemRecord], width: int | None = None) -> None:
    """Write the pipelines section of the terminal summary.

    :param width: columns the table may use; None: the terminal's width (default).
    """
    reporter.write_sep("=", "pipelines results")
    if width is None:
        width = int(getattr(getattr(reporter, "_tw", None), "fullwidth", 0) or 120)
    rows: list[tuple[str, ...]] = [
        ("test", "variant", "criterion", "value", "gate", "verdict"),
        *result_rows(records),
    ]
    rows = fit(rows, width)
    for line in table(rows):
        reporter.write_line(line)
    for tbl in comparison(records):
        reporter.write_line("")
        reporter.write_line("variants side by side:")
        for line in tbl:
            reporter.write_line(line)
    local = local_models(records)
    if local:
        reporter.write_line(f"{LOCAL_MODELS_LINE}{', '.join(local)}")
    for r in records:
        for w in r.warnings:
            reporter.write_line(f"{r.nodeid}: warning: {w}")
        if r.error:
            from pytest_pipelines._record import error_message

            reporter.write_line(f"{r.nodeid}: {error_message(r.error, 300)}")
