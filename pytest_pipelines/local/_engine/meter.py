"""Per-task metering of model calls: tokens, latency, cost, replays.

The runner opens a :func:`metering` scope around each task (one worker thread runs one task, so
a context variable is enough); :meth:`ModelRegistry.complete` appends one call record to the
current scope, judge calls of the task's criteria included. Outside a scope nothing is recorded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

#: characters per token of the estimate used when a model reports no usage
CHARS_PER_TOKEN = 4


@dataclass
class Meter:
    """The model calls of one scope (a task), and the context they run in.

    :param repeat: default ``0``; which repeat of identical inputs the task is, so that a cache
        keeps repeats apart as independent samples.
    :param label: default ``""``; names the task in cache-miss errors.
    """

    repeat: int = 0
    label: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)

    def mark(self) -> int:
        """A position to pass to :meth:`since` later."""
        return len(self.calls)

    def since(self, mark: int) -> list[dict[str, Any]]:
        """The calls recorded after ``mark``."""
        return self.calls[mark:]


_CURRENT: ContextVar[Meter | None] = ContextVar("pipelines_meter", default=None)


@contextmanager
def metering(repeat: int = 0, label: str = "") -> Iterator[Meter]:
    """Record the model calls made in this context into a new :class:`Meter`."""
    meter = Meter(repeat=repeat, label=label)
    token = _CURRENT.set(meter)
    try:
        yield meter
    finally:
        _CURRENT.reset(token)


def current() -> Meter | None:
    """The meter of the current scope, or ``None`` outside :func:`metering`."""
    return _CURRENT.get()


def estimate_tokens(text: str) -> int:
    """A rough token count (``len / 4``, at least 1 for non-empty text)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def cost_of(
    input_tokens: int | None,
    output_tokens: int | None,
    price: tuple[float, float] | None,
) -> float | None:
    """USD for the tokens at ``price`` (USD per million input, output tokens); ``None`` unknown."""
    if price is None or input_tokens is None or output_tokens is None:
        return None
    return round((input_tokens * price[0] + output_tokens * price[1]) / 1_000_000, 8)


def summarize(calls: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Totals of call records: the ``usage`` shape of fields, nodes, tasks and runs.

    ``cost_usd`` is the sum of the priced calls, ``None`` when no call has a price; a model
    without a price is never counted as free: ``unpriced_calls`` says how many were left out.
    """
    calls = list(calls)
    costs = [c.get("cost_usd") for c in calls]
    known = [float(c) for c in costs if isinstance(c, (int, float))]
    return {
        "calls": len(calls),
        "input_tokens": sum(int(c.get("input_tokens") or 0) for c in calls),
        "output_tokens": sum(int(c.get("output_tokens") or 0) for c in calls),
        "tokens_estimated": any(bool(c.get("tokens_estimated")) for c in calls),
        "cost_usd": round(sum(known), 8) if known else None,
        "unpriced_calls": len(calls) - len(known),
        "latency_ms": round(sum(float(c.get("latency_ms") or 0.0) for c in calls), 3),
        "replayed_calls": sum(bool(c.get("replayed")) for c in calls),
        "errors": sum(bool(c.get("error")) for c in calls),
    }


def merge(totals: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The sum of :func:`summarize` results (a workflow's tasks, say), in the same shape."""
    totals = list(totals)
    costs = [float(t["cost_usd"]) for t in totals if isinstance(t.get("cost_usd"), (int, float))]
    return {
        "calls": sum(int(t.get("calls") or 0) for t in totals),
        "input_tokens": sum(int(t.get("input_tokens") or 0) for t in totals),
        "output_tokens": sum(int(t.get("output_tokens") or 0) for t in totals),
        "tokens_estimated": any(bool(t.get("tokens_estimated")) for t in totals),
        "cost_usd": round(sum(costs), 8) if costs else None,
        "unpriced_calls": sum(int(t.get("unpriced_calls") or 0) for t in totals),
        "latency_ms": round(sum(float(t.get("latency_ms") or 0.0) for t in totals), 3),
        "replayed_calls": sum(int(t.get("replayed_calls") or 0) for t in totals),
        "errors": sum(int(t.get("errors") or 0) for t in totals),
    }
