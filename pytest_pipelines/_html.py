"""The HTML report (``--pipelines-html``): one self-contained file to review an eval run.

No network and no external assets: the CSS, the filter script and every chart (inline SVG) are
in the page. Per test: the verdict, the gates with their decisions, intervals and baseline
deltas, each criterion's distribution, the tool checks and the worst tasks with their inputs,
outputs, judge reasons and tool calls; variants of a test side by side. A search box and verdict
checkboxes filter the tests (also from the URL: ``report.html#q=rome&verdict=failed,error``).

Model text is hostile: everything dynamic goes through :func:`esc` (HTML-escaped, control
characters made visible); the script reads only ``data-`` attributes and the URL's fragment.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Sequence

from pytest_pipelines._junit import describe_gate, stats_line
from pytest_pipelines._record import CriterionRecord, Example, GateRecord, ItemRecord, xml_safe
from pytest_pipelines._results import fmt
from pytest_pipelines._summary import gate_word, value_text, variant_groups, verdict_word

OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
BINS = 10


def esc(text: object) -> str:
    """``text`` HTML-escaped (quotes included), with control characters shown as ``\\xNN``."""
    return html.escape(xml_safe(str(text)), quote=True)


CSS = """
:root{--ok:#1a7f37;--bad:#cf222e;--err:#8250df;--skip:#6e7781;--warn:#9a6700;--line:#d0d7de;
--bg:#f6f8fa;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328}
body{margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.15rem;margin:0}h3{font-size:1rem;margin:1em 0 .4em}
.bar{position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid var(--line);
display:flex;gap:16px;flex-wrap:wrap;align-items:center;z-index:1}
.bar input[type=search]{padding:6px 8px;min-width:260px;border:1px solid var(--line);border-radius:6px}
.test{border:1px solid var(--line);border-radius:8px;margin:16px 0;padding:12px 16px}
.test>header{display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}
.badge{display:inline-block;padding:1px 8px;border-radius:12px;color:#fff;font-size:.8rem;font-weight:600}
.passed,.xpassed{background:var(--ok)}.failed{background:var(--bad)}.error{background:var(--err)}
.skipped,.xfailed{background:var(--skip)}.warnb{background:var(--warn)}
.meta{color:#57606a;font-size:.85rem}
table{border-collapse:collapse;margin:.3em 0;font-size:.88rem}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--bg)}
td.MISS{color:var(--bad);font-weight:600}td.pass{color:var(--ok)}td.WARN{color:var(--warn);font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px 8px;background:var(--bg)}
figcaption{font-size:.85rem;font-weight:600;max-width:260px}
pre{white-space:pre-wrap;word-break:break-word;background:var(--bg);padding:6px 8px;border-radius:6px;
font-size:.82rem;margin:.2em 0}
details{margin:.3em 0}summary{cursor:pointer}
.error-text{border-left:4px solid var(--err)}.warning{color:var(--warn)}
.counts span{margin-right:10px}
"""

SCRIPT = """
(function(){
  var q=document.getElementById('q'), boxes=document.querySelectorAll('input[data-outcome]');
  var tests=document.querySelectorAll('section.test'), shown=document.getElementById('shown');
  function apply(){
    var text=q.value.trim().toLowerCase(), on={}, n=0;
    boxes.forEach(function(b){on[b.getAttribute('data-outcome')]=b.checked;});
    tests.forEach(function(t){
      var ok=on[t.getAttribute('data-outcome')]!==false &&
             (!text || t.getAttribute('data-search').indexOf(text)>=0);
      t.hidden=!ok; if(ok){n++;}
    });
    shown.textContent=n+' of '+tests.length+' tests shown';
  }
  var h=new URLSearchParams(location.hash.slice(1));
  if(h.get('q')){q.value=h.get('q');}
  if(h.get('verdict')){
    var want=h.get('verdict').split(',');
    boxes.forEach(function(b){b.checked=want.indexOf(b.getAttribute('data-outcome'))>=0;});
  }
  q.addEventListener('input',apply);
  boxes.forEach(function(b){b.addEventListener('change',apply);});
  apply();
})();
"""


def _histogram(c: CriterionRecord) -> str:
    """An inline SVG of the criterion's values: pass/fail bars for booleans, else a histogram."""
    width, height, pad = 240, 90, 18
    # a rating of 0/1 is still a rating; only a criterion of unknown type is guessed from values
    guessed = c.type in ("", "unknown") and c.values and set(c.values) <= {0.0, 1.0}
    if c.type == "boolean" or (guessed and c.pass_rate is not None):
        fails = sum(1 for v in c.values if v == 0.0)
        bins = [("pass", c.passes, "#1a7f37"), ("fail", max(fails, c.n - c.passes), "#cf222e")]
        if c.pending:
            bins.append(("pending", c.pending, "#6e7781"))
        labels = [(name, count, color) for name, count, color in bins]
    else:
        values = list(c.values)
        if not values:
            return f'<p class="meta">no numeric values ({c.pending} pending)</p>'
        lo, hi = min(values), max(values)
        whole = all(float(v).is_integer() for v in values) and hi - lo <= 10
        if whole:
            edges = [lo + i for i in range(int(hi - lo) + 1)]
            counts = [sum(1 for v in values if v == e) for e in edges]
            labels = [(fmt(e), n, "#0969da") for e, n in zip(edges, counts, strict=False)]
        else:
            nbins = max(1, min(BINS, len(set(values))))
            step = (hi - lo) / nbins or 1.0
            counts = [0] * nbins
            for v in values:
                counts[min(int((v - lo) / step), nbins - 1)] += 1
            labels = [
                (f"{fmt(lo + i * step)}-{fmt(lo + (i + 1) * step)}", n, "#0969da")
                for i, n in enumerate(counts)
            ]
    top = max((n for _, n, _ in labels), default=0) or 1
    slot = (width - 2) / max(len(labels), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + pad}" '
        f'role="img" aria-label="distribution of {esc(c.name)}" class="chart">'
    ]
    for i, (label, n, color) in enumerate(labels):
        h = (height - 14) * n / top
        x = 1 + i * slot
        parts.append(
            f'<rect x="{x + 2:.1f}" y="{height - h:.1f}" width="{max(slot - 4, 1):.1f}" '
            f'height="{h:.1f}" fill="{color}"><title>{esc(label)}: {n}</title></rect>'
        )
        parts.append(
            f'<text x="{x + slot / 2:.1f}" y="{height - h - 3:.1f}" font-size="10" '
            f'text-anchor="middle">{n}</text>'
        )
        # a label under every bar only where they fit; else the first and the last
        if len(labels) <= 5 or i in (0, len(labels) - 1):
            anchor = "start" if i == 0 and len(labels) > 5 else "middle"
            if i == len(labels) - 1 and len(labels) > 5:
                anchor = "end"
            tx = {"start": x + 2, "middle": x + slot / 2, "end": x + slot - 2}[anchor]
            parts.append(
                f'<text x="{tx:.1f}" y="{height + 12}" font-size="10" '
                f'text-anchor="{anchor}">{esc(label)}</text>'
            )
    parts.append(f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" stroke="#57606a"/></svg>')
    return "".join(parts)


def _interval_svg(g: GateRecord) -> str:
    """The gate's interval against its threshold on a 0..1 (or value) axis."""
    if g.low is None or g.high is None:
        return ""
    threshold = None
    with contextlib.suppress(ValueError, IndexError):
        threshold = float(g.threshold.split()[-1])
    points = [p for p in (g.low, g.high, g.observed, threshold) if p is not None]
    lo, hi = min([0.0, *points]), max([1.0, *points])
    span = hi - lo or 1.0
    w = 160

    def x(v: float) -> float:
        return 4 + (w - 8) * (v - lo) / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="18" role="img" '
        f'aria-label="interval {fmt(g.low)} to {fmt(g.high)}">'
    ]
    parts.append(f'<line x1="4" y1="9" x2="{w - 4}" y2="9" stroke="#d0d7de"/>')
    parts.append(
        f'<rect x="{x(g.low):.1f}" y="5" width="{max(x(g.high) - x(g.low), 1):.1f}" height="8" '
        'fill="#0969da" opacity="0.5"/>'
    )
    if g.observed is not None:
        parts.append(f'<circle cx="{x(g.observed):.1f}" cy="9" r="3" fill="#0969da"/>')
    if threshold is not None:
        parts.append(
            f'<line x1="{x(threshold):.1f}" y1="1" x2="{x(threshold):.1f}" y2="17" '
            'stroke="#cf222e" stroke-width="2"><title>threshold</title></line>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _gates_table(rec: ItemRecord) -> str:
    if not rec.gates:
        return '<p class="meta">no gates</p>'
    rows = [
        '<table class="gates"><tr><th>gate on</th><th>kind</th><th>metric</th><th>threshold</th>'
        "<th>observed</th><th>interval</th><th>decision</th><th>severity</th>"
        "<th>baseline / delta / p</th><th>n (needed)</th><th>method</th><th>result</th></tr>"
    ]
    for g in rec.gates:
        word = gate_word([g])
        interval = (
            f"[{fmt(g.low)}, {fmt(g.high)}]"
            + (f" at {g.confidence:.0%}" if g.confidence is not None else "")
            if g.low is not None and g.high is not None
            else ""
        )
        base = ""
        if g.baseline is not None or g.delta is not None:
            base = f"{fmt(g.baseline)} / {g.delta:+.3f}" if g.delta is not None else fmt(g.baseline)
            if g.p_value is not None:
                base += f" / p={g.p_value:.3g}"
        n = "" if g.n is None else str(g.n)
        if g.needed_n:
            n += f" (~{g.needed_n})"
        rows.append(
            f"<tr><td>{esc(g.subject)}</td><td>{esc(g.kind)}</td><td>{esc(g.metric)}</td>"
            f"<td>{esc(g.threshold)}</td><td>{esc(fmt(g.observed))}</td>"
            f"<td>{esc(interval)} {_interval_svg(g)}</td><td>{esc(g.decision or '-')}</td>"
            f"<td>{esc(g.severity)}</td><td>{esc(base or '-')}</td><td>{esc(n or '-')}</td>"
            f'<td>{esc(g.method or "point")}</td><td class="{word}">{esc(word)}</td></tr>'
        )
        if g.note:
            rows.append(f'<tr><td colspan="12" class="meta">{esc(g.note)}</td></tr>')
    rows.append("</table>")
    return "".join(rows)


def _example(e: Example) -> str:
    verdict = {True: "pass", False: "fail", None: "-"}[e.passed]
    head = f"{e.label} (task {e.task_id})"
    if e.status == "pending":
        head += ": pending a human rating"
    elif e.value:
        head += f": value {e.value}, criterion's own verdict {verdict}"
    body = []
    for name, text in (("inputs", e.inputs), ("output", e.output), ("judge reason", e.reason)):
        if text:
            body.append(f"<b>{name}</b><pre>{esc(text)}</pre>")
    if e.tool_calls:
        body.append("<b>tool calls</b><pre>" + esc("\n".join(e.tool_calls)) + "</pre>")
    return f"<details><summary>{esc(head)}</summary>{''.join(body)}</details>"


def _criteria(rec: ItemRecord) -> str:
    if not rec.criteria:
        return ""
    figures = []
    for c in rec.criteria:
        gates = [g for g in rec.gates if g.subject == c.name]
        figures.append(
            f'<figure><figcaption>{esc(c.name)} <span class="meta">[{esc(c.type)}]</span>'
            f'</figcaption>{_histogram(c)}<div class="meta">{esc(value_text(c, gates))}</div>'
            "</figure>"
        )
    worst = []
    for c in rec.criteria:
        if c.examples:
            worst.append(
                f'<h4>{esc(c.name)}</h4><p class="meta">{esc(stats_line(c))}</p>'
                + "".join(_example(e) for e in c.examples)
            )
    return (
        '<h3>Criteria</h3><div class="charts">'
        + "".join(figures)
        + "</div>"
        + ("<h3>Worst tasks</h3>" + "".join(worst) if worst else "")
    )


def _tools(rec: ItemRecord) -> str:
    if not rec.tools:
        return ""
    rows = [
        "<h3>Tool correctness</h3><table><tr><th>field</th><th>task</th><th>score</th>"
        "<th>details</th></tr>"
    ]
    for t in rec.tools:
        rows.append(
            f"<tr><td>{esc(t.node)}.{esc(t.field)}</td><td>{esc(t.label)} ({t.task_id})</td>"
            f"<td>{esc(fmt(t.score))}</td><td>{esc(t.explain)}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def scoped_css(scope: str) -> str:
    """:data:`CSS` with every selector limited to ``scope``: a fragment inside another page
    (pytest-html's, whose rows use the classes ``passed``/``failed`` too) styles only itself."""
    rules = []
    for rule in CSS.split("}"):
        if "{" not in rule:
            continue
        selectors, body = rule.split("{", 1)
        scoped = ",".join(
            scope if sel.strip() == ":root" else f"{scope} {sel.strip()}"
            for sel in selectors.split(",")
        )
        rules.append(f"{scoped}{{{body}}}")
    return "".join(rules)


def item_fragment(rec: ItemRecord) -> str:
    """One test's gates and criteria as an HTML fragment (pytest-html's extra)."""
    return (
        f'<div class="pipelines"><style>{scoped_css(".pipelines")}</style>'
        + _gates_table(rec)
        + _criteria(rec)
        + _tools(rec)
        + "</div>"
    )


def _section(rec: ItemRecord, anchor: str) -> str:
    word = verdict_word(rec)
    search = " ".join(
        [
            rec.nodeid,
            rec.variant or "",
            word,
            *(c.name for c in rec.criteria),
            *(g.subject for g in rec.gates),
            (rec.error or "")[:2000],
            *rec.warnings,
        ]
    ).lower()
    meta = [f"{rec.file}:{rec.line}", f"{rec.duration:.2f}s"]
    if rec.has_run:
        tasks = f"{rec.tasks} tasks"
        if rec.tasks_planned is not None and rec.tasks_planned != rec.tasks:
            tasks += f" of {rec.tasks_planned} planned"
        meta += [f"workflow {rec.workflow}", f"mode {rec.mode}", tasks]
        if rec.repeat > 1:
            meta.append(f"{rec.repeat} repeats")
        if rec.models:
            meta.append("models " + ", ".join(rec.models))
    parts = [
        f'<section class="test" id="{anchor}" data-outcome="{esc(rec.outcome)}" '
        f'data-search="{esc(search)}"><header><h2>{esc(rec.test)}</h2>'
        + (f'<span class="meta">variant <b>{esc(rec.variant)}</b></span>' if rec.variant else "")
        + f'<span class="badge {esc(rec.outcome)}">{esc(word)}</span>'
        + f'<span class="meta">{esc(" · ".join(meta))}</span></header>'
    ]
    if rec.error:
        parts.append(f'<pre class="error-text">{esc(rec.error)}</pre>')
    if rec.skip_reason:
        parts.append(f'<p class="meta">{esc(rec.outcome)}: {esc(rec.skip_reason)}</p>')
    if rec.problem is not None:
        parts.append(f'<pre class="error-text">{esc(rec.problem[0])}: {esc(rec.problem[1])}</pre>')
    for w in rec.warnings:
        parts.append(f'<p class="warning">warning: {esc(w)}</p>')
    if rec.has_run:
        parts.append("<h3>Gates</h3>" + _gates_table(rec))
        missed = [g for g in rec.gates if g.missed]
        if missed:
            parts.append("<pre>" + esc("\n".join(describe_gate(g) for g in missed)) + "</pre>")
        parts.append(_criteria(rec))
        parts.append(_tools(rec))
    parts.append("</section>")
    return "".join(parts)


def _variants(records: Sequence[ItemRecord]) -> str:
    by_test = {r.test: r for r in records}
    out = []
    for test, cols in variant_groups(records):
        names = [name for name, _, _ in cols]
        criteria: dict[str, dict[str, str]] = {}
        for name, crits, rec in cols:
            for c in crits:
                gates = [g for g in rec.gates if g.subject == c.name] if rec is not None else []
                criteria.setdefault(c.name, {})[name] = value_text(c, gates)
        rows = ["<tr><th>criterion</th>" + "".join(f"<th>{esc(n)}</th>" for n in names) + "</tr>"]
        for cname, by in criteria.items():
            rows.append(
                f"<tr><td>{esc(cname)}</td>"
                + "".join(f"<td>{esc(by.get(n, '-'))}</td>" for n in names)
                + "</tr>"
            )
        recs = [rec for _, _, rec in cols if rec is not None]
        if len(recs) == len(cols):
            rows.append(
                "<tr><td>verdict</td>"
                + "".join(
                    f'<td><span class="badge {esc(r.outcome)}">{esc(verdict_word(r))}</span></td>'
                    for r in recs
                )
                + "</tr>"
            )
        owners = recs or [by_test[test]]
        compares = [g for r in owners for g in r.gates if g.kind == "compare"]
        extra = "".join(f'<p class="meta">{esc(describe_gate(g))}</p>' for g in compares)
        out.append(f"<h3>{esc(test)}</h3><table>{''.join(rows)}</table>{extra}")
    if not out:
        return ""
    return '<section class="variants"><h2>Variants side by side</h2>' + "".join(out) + "</section>"


def render_html(records: Sequence[ItemRecord], exitstatus: int = 0, *, root: str = "") -> str:
    """The whole report as one HTML page.

    :param exitstatus: pytest's exit status, shown in the header (default 0).
    :param root: the directory test paths are relative to, shown in the header (default none).
    """
    counts = {o: sum(1 for r in records if r.outcome == o) for o in OUTCOMES}
    boxes = "".join(
        f'<label><input type="checkbox" data-outcome="{o}" checked> {o} ({counts[o]})</label> '
        for o in OUTCOMES
        if counts[o]
    )
    sections = "".join(_section(r, f"t{i}") for i, r in enumerate(records))
    summary = ", ".join(f"{n} {o}" for o, n in counts.items() if n) or "no eval tests"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # the page loads nothing: no network, no external assets
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>Eval report: {esc(summary)}</title><style>{CSS}</style></head><body>"
        f'<h1>Eval report (pytest-pipelines)</h1><p class="meta counts">{len(records)} eval '
        f"test(s): {esc(summary)} · pytest exit status {int(exitstatus)}"
        + (f" · paths relative to {esc(root)}" if root else "")
        + "</p>"
        '<div class="bar"><input type="search" id="q" placeholder="search tests, criteria, '
        'variants" aria-label="search">'
        f'{boxes}<span id="shown" class="meta"></span></div>'
        + _variants(records)
        + sections
        + f"<script>{SCRIPT}</script></body></html>\n"
    )
