"""The terminal summary: a results table, and variants side by side."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pytest_pipelines._results import fmt
from pytest_pipelines._session import Record


def ordered(records: Iterable[Record]) -> list[Record]:
    """Records in a stable order (file, line, variant as declared), whatever order xdist ran them."""

    def key(rec: Record) -> tuple[str, int, str, int, str]:
        # the variants of one parameter set together: test_x[2] baseline, echo; test_x[3] ...
        index = int((rec.data or {}).get("variant_index") or 0)
        return (rec.location[0], rec.location[1], rec.test or rec.nodeid, index, rec.nodeid)

    return sorted(records, key=key)


MIN_TEST_WIDTH = 30


def _base(nodeid: str) -> str:
    return nodeid.split("[", 1)[0]


def _test(rec: Record) -> str:
    """The test column: the node id without the variant (parameters of other kinds stay)."""
    return rec.test or (_base(rec.nodeid) if rec.data and rec.data.get("variant") else rec.nodeid)


def shorten(name: str, width: int) -> str:
    """``name`` cut to ``width``: directories first (``.../test_x.py::test_y``), then the middle."""
    if len(name) <= width:
        return name
    path, sep, rest = name.partition("::")
    if "/" in path:
        name = ".../" + path.rsplit("/", 1)[1] + sep + rest
        if len(name) <= width:
            return name
    keep = max(width - 3, 2)
    head = keep // 3
    return name[:head] + "..." + name[len(name) - (keep - head) :]


def _value(c: dict[str, Any]) -> str:
    parts = []
    if c.get("pass_rate") is not None:
        parts.append(f"pass_rate {fmt(c['pass_rate'])}")
    if c.get("type") != "boolean" and c.get("mean") is not None:
        parts.append(f"mean {fmt(c['mean'])}")
    if c.get("errors"):
        parts.append(f"errors {c['errors']}")
    if c.get("pending"):
        parts.append(f"pending {c['pending']}")
    return ", ".join(parts) or "-"


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns with a rule under the header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, row in enumerate(rows):
        out.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def result_rows(records: Sequence[Record]) -> list[tuple[str, str, str, str, str, str]]:
    """Rows of the results table: test, variant, criterion, value, gate, verdict."""
    rows: list[tuple[str, str, str, str, str, str]] = []
    for rec in records:
        test = _test(rec)
        data = rec.data
        if data is None:
            rows.append((test, _variant_of(rec), "(run)", "-", "-", "ERROR"))
            continue
        variant = str(data.get("variant") or "-")
        gates: dict[str, list[dict[str, Any]]] = {}
        for g in data.get("gates", []):
            gates.setdefault(g["subject"], []).append(g)
        verdict = rec.outcome.upper() if rec.outcome != "passed" else "PASS"
        for c in data.get("criteria", []):
            gs = gates.pop(c["name"], [])
            gate_text = ", ".join(f"{g['metric']} {g['threshold']}" for g in gs) or "-"
            cverdict = "-" if not gs else ("pass" if all(g["passed"] for g in gs) else "MISS")
            rows.append((test, variant, c["name"], _value(c), gate_text, cverdict))
        for subject, gs in gates.items():
            observed = ", ".join(fmt(g["observed"]) for g in gs)
            gate_text = ", ".join(f"{g['metric']} {g['threshold']}" for g in gs)
            cverdict = "pass" if all(g["passed"] for g in gs) else "MISS"
            rows.append((test, variant, subject, observed, gate_text, cverdict))
        rows.append((test, variant, "(test)", f"{data.get('tasks')} tasks", "-", verdict))
    return rows


def _variant_of(rec: Record) -> str:
    """The variant of a record without data: what the test name lost, else ``-``."""
    if rec.test is None or rec.test == rec.nodeid:
        return "-"
    if rec.test + "[" in rec.nodeid:  # test_x[baseline] -> test_x
        return rec.nodeid[len(rec.test) + 1 : -1]
    # test_x[Rome-baseline] -> test_x[Rome]: the variant is the id part that went away
    ids, kept = rec.nodeid.rsplit("[", 1)[1][:-1], rec.test.rsplit("[", 1)[1][:-1]
    return ids.replace(kept, "", 1).strip("-") or "-"


def comparison(records: Sequence[Record]) -> list[list[str]]:
    """Tables comparing the variants of each test that has several, criterion by variant."""
    groups: dict[str, list[Record]] = {}
    for rec in records:
        if rec.data is not None and rec.data.get("variant") is not None:
            groups.setdefault(_test(rec), []).append(rec)
    out = []
    for test, recs in groups.items():
        if len(recs) < 2:
            continue
        names = [str(r.data["variant"]) for r in recs if r.data]
        criteria: dict[str, dict[str, str]] = {}
        for r in recs:
            assert r.data is not None
            for c in r.data.get("criteria", []):
                criteria.setdefault(c["name"], {})[str(r.data["variant"])] = _value(c)
        rows = [[f"{test}: criterion", *names]]
        for cname, by_variant in criteria.items():
            rows.append([cname, *(by_variant.get(n, "-") for n in names)])
        rows.append(
            ["verdict", *(r.outcome.upper() if r.outcome != "passed" else "PASS" for r in recs)]
        )
        out.append(table(rows))
    return out


def fit(rows: list[tuple[str, ...]], width: int) -> list[tuple[str, ...]]:
    """Shorten the test column (never below MIN_TEST_WIDTH) so rows fit ``width`` characters."""
    others = sum(max(len(r[i]) for r in rows) for i in range(1, len(rows[0])))
    room = max(MIN_TEST_WIDTH, width - others - 2 * (len(rows[0]) - 1) - 1)
    return [(shorten(r[0], room), *r[1:]) for r in rows]


def write_summary(reporter: Any, records: Sequence[Record]) -> None:
    """Write the pipelines section of the terminal summary."""
    reporter.write_sep("=", "pipelines results")
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
    errors = [r for r in records if r.error]
    for r in errors:
        last = r.error.strip().splitlines()[-1].strip() if r.error else ""
        reporter.write_line(f"{r.nodeid}: {last[:300]}")
