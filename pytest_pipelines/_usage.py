"""Tokens, latency and cost of a run's model calls, and budgets over them.

Pure (no pytest, no I/O): :class:`Usage` is read from the ``usage`` object of a task detail
(``docs/reference/local-shapes.md#usage``), added up per run and per session, and checked
against a :class:`Budget`. A cost is ``None`` when no call had a price: unknown, never $0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

OVER_BUDGET = "pipelines_budget exceeded: {problems}\n{table}"


@dataclass(frozen=True)
class Usage:
    """What model calls consumed.

    :param cost_usd: default ``None``: no call had a price (unknown, not free); otherwise the
        sum over the priced calls, ``unpriced_calls`` saying how many were left out.
    :param tokens_estimated: default ``False``; some token counts are estimates (``len / 4``)
        because the model reported none.
    :param by_model: default ``{}``; the same figures per model slug.
    """

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_estimated: bool = False
    cost_usd: float | None = None
    unpriced_calls: int = 0
    latency_ms: float = 0.0
    replayed_calls: int = 0
    errors: int = 0
    by_model: Mapping[str, Usage] = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    @classmethod
    def from_dict(cls, data: Any) -> Usage | None:
        """A usage object of the task detail; ``None`` when absent or not an object."""
        if not isinstance(data, Mapping):
            return None
        cost = data.get("cost_usd")
        by_model = data.get("by_model")
        return cls(
            calls=int(data.get("calls") or 0),
            input_tokens=int(data.get("input_tokens") or 0),
            output_tokens=int(data.get("output_tokens") or 0),
            tokens_estimated=bool(data.get("tokens_estimated")),
            cost_usd=float(cost) if isinstance(cost, (int, float)) else None,
            unpriced_calls=int(data.get("unpriced_calls") or 0),
            latency_ms=float(data.get("latency_ms") or 0.0),
            replayed_calls=int(data.get("replayed_calls") or 0),
            errors=int(data.get("errors") or 0),
            by_model={
                str(slug): usage
                for slug, raw in (by_model.items() if isinstance(by_model, Mapping) else ())
                if (usage := cls.from_dict(raw)) is not None
            },
        )

    def __add__(self, other: Usage) -> Usage:
        costs = [c for c in (self.cost_usd, other.cost_usd) if c is not None]
        models = dict(self.by_model)
        for slug, usage in other.by_model.items():
            models[slug] = models[slug] + usage if slug in models else usage
        return Usage(
            calls=self.calls + other.calls,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            tokens_estimated=self.tokens_estimated or other.tokens_estimated,
            cost_usd=round(sum(costs), 8) if costs else None,
            unpriced_calls=self.unpriced_calls + other.unpriced_calls,
            latency_ms=round(self.latency_ms + other.latency_ms, 3),
            replayed_calls=self.replayed_calls + other.replayed_calls,
            errors=self.errors + other.errors,
            by_model=models,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly (what travels in a test's record)."""
        return {
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "tokens_estimated": self.tokens_estimated,
            "cost_usd": self.cost_usd,
            "unpriced_calls": self.unpriced_calls,
            "latency_ms": self.latency_ms,
            "replayed_calls": self.replayed_calls,
            "errors": self.errors,
            "by_model": {slug: u.as_dict() for slug, u in sorted(self.by_model.items())},
        }

    def cost_text(self) -> str:
        """``$0.0123``, ``$0.0123 + 2 unpriced calls`` or ``unknown``."""
        if self.cost_usd is None:
            return "unknown" if self.calls else "$0"
        text = f"${self.cost_usd:.4f}"
        if self.unpriced_calls:
            text += f" + {self.unpriced_calls} unpriced call(s)"
        return text

    def summary(self) -> str:
        """One line: calls, tokens, cost, replays (no timing: the same suite gives the same line
        at -n 0 and under xdist)."""
        est = " (estimated)" if self.tokens_estimated else ""
        line = (
            f"{self.calls} model call(s), {self.input_tokens} in / {self.output_tokens} out "
            f"tokens{est}, cost {self.cost_text()}"
        )
        if self.replayed_calls:
            line += f", {self.replayed_calls} replayed from the cache"
        return line


def total(usages: Iterable[Usage | None]) -> Usage:
    """The sum of ``usages`` (``None`` entries skipped)."""
    result = Usage()
    for usage in usages:
        if usage is not None:
            result = result + usage
    return result


def p95(values: Iterable[float]) -> float | None:
    """The 95th percentile (nearest rank) of ``values``; ``None`` when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def budget_problems(budget: Any, run: Usage, task_latencies_ms: Iterable[float]) -> list[str]:
    """What the run exceeded of ``budget`` (a ``pipelines_budget`` marker's options).

    ``max_latency_p95`` is in seconds, over the tasks' model time (the sum of each task's model
    call latencies). A cost limit with no priced call cannot be checked: that is a problem too,
    naming how to set a price, rather than a silent pass.
    """
    found = []
    if budget.max_cost is not None:
        if run.cost_usd is None and run.calls:
            found.append(
                f"max_cost={budget.max_cost:g} cannot be checked: no model call had a price "
                "(set input_price/output_price in the model spec, or pipelines_prices)"
            )
        elif (run.cost_usd or 0.0) > budget.max_cost:
            found.append(f"cost ${run.cost_usd:.4f} > max_cost ${budget.max_cost:g}")
    if budget.max_tokens is not None and run.tokens > budget.max_tokens:
        found.append(f"tokens {run.tokens} > max_tokens {budget.max_tokens}")
    if budget.max_latency_p95 is not None:
        worst = p95(task_latencies_ms)
        if worst is not None and worst / 1000 > budget.max_latency_p95:
            found.append(
                f"model time p95 {worst / 1000:.3f} s > max_latency_p95 {budget.max_latency_p95:g} s"
            )
    return found


def over_budget(budget: Any, tasks: Iterable[tuple[int, Usage | None]]) -> str | None:
    """The failure message of a run over ``budget`` (``None`` when within it).

    :param tasks: ``(task id, usage)`` of each task of the run.
    """
    tasks = list(tasks)
    run = total(u for _tid, u in tasks)
    problems = budget_problems(budget, run, [u.latency_ms for _tid, u in tasks if u is not None])
    if not problems:
        return None
    return OVER_BUDGET.format(problems="; ".join(problems), table=where_it_went(run, tasks))


def where_it_went(run: Usage, tasks: Iterable[tuple[int, Usage | None]], limit: int = 5) -> str:
    """A table of the run's usage per model, then its most expensive tasks."""
    rows = [("model", "calls", "tokens in", "tokens out", "cost", "model time")]
    for slug, usage in sorted(run.by_model.items()):
        rows.append(_row(slug, usage))
    rows.append(_row("total", run))
    ranked = sorted(
        ((tid, u) for tid, u in tasks if u is not None),
        key=lambda item: (item[1].cost_usd or 0.0, item[1].tokens, item[1].latency_ms),
        reverse=True,
    )[:limit]
    if ranked:
        rows.append(("", "", "", "", "", ""))
        rows.extend(_row(f"task {tid}", usage) for tid, usage in ranked)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  "
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _row(name: str, usage: Usage) -> tuple[str, str, str, str, str, str]:
    est = "~" if usage.tokens_estimated else ""
    return (
        name,
        str(usage.calls),
        f"{est}{usage.input_tokens}",
        f"{est}{usage.output_tokens}",
        usage.cost_text(),
        f"{usage.latency_ms / 1000:.2f} s",
    )


def session_line(usages: Iterable[Any]) -> str | None:
    """The terminal summary's line on the session's model calls (``None`` when there were none).

    :param usages: the ``usage`` dicts of the eval tests' records (``None`` entries skipped).
    """
    session = total(Usage.from_dict(u) for u in usages)
    if not session.calls:
        return None
    return f"pipelines model usage: {session.summary()}"


SESSION_BUDGET_SPENT = (
    "pipelines_max_session_cost is spent: the session's model calls cost ${spent:.4f} of "
    "${limit:g}, so no new eval run is launched. Raise pipelines_max_session_cost, or replay "
    "from the model-call cache (--pipelines-cache=replay costs nothing)"
)


def session_budget_problem(spent: Any, limit: float) -> str | None:
    """The error for a run that must not start because the session spent ``limit`` USD.

    :param spent: the backend's ``GET /_local/usage`` body.
    """
    cost = spent.get("cost_usd") if isinstance(spent, Mapping) else None
    if isinstance(cost, (int, float)) and cost >= limit:
        return SESSION_BUDGET_SPENT.format(spent=cost, limit=limit)
    return None
