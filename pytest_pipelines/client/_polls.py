"""When to poll a job next: polls timed to the job's predicted end, or held by the server.

Three sources, best first:

1. **A held poll** (a local-backend extension, docs/reference/local-shapes.md "Job status"): a
   status body that carries ``max_wait`` says the route accepts ``?wait=S`` and answers as soon
   as the job is terminal (or after S seconds). The waiter then polls back to back, each poll
   held up to ``POLL_CAP``: the end is noticed within a request's latency, with about one poll
   per ``POLL_CAP`` seconds (the published SDK's 2 s cadence). The hosted contract documents no
   such parameter and its bodies carry no ``max_wait``, so the hosted path never sends it.
2. **A predicted end**: progress in the status (tasks done out of ``total``, or the variants'
   ``task_ids``) extrapolated linearly, else the median duration of earlier runs of the same
   workflow and size on the same client (a count=1 run's progress says nothing until it ends).
   The waiter sleeps to the predicted end (at most ``POLL_CAP`` at a time, so progress is still
   reported), then polls quickly again, growing, in case the end was predicted too early.
3. **Nothing known**: :func:`~pytest_pipelines.client.poll_delays`' adaptive schedule (short
   first polls for quick runs).

This module is pure: the waiters (both clients and the plugin's run fixture) call it with the
statuses they polled and the elapsed time, and do the sleeping and requesting themselves.
"""

from __future__ import annotations

import math
import statistics
import threading
import weakref
from collections import deque
from collections.abc import Hashable, Iterator, Mapping
from typing import Any

from pytest_pipelines.client._base import POLL_CAP, POLL_FACTOR, POLL_START, poll_delays

#: Earlier run durations kept per (workflow, size): the median of the last few is the prior.
DURATIONS_KEPT = 5
#: After a predicted end has passed, the first quick poll waits this fraction of the predicted
#: duration (at least ``POLL_START``): a 10 s run predicted a little early is re-polled after
#: 0.3 s rather than at 50 ms steps that would multiply the polls.
TAIL_FRACTION = 0.03
#: The status field a deployment uses to say its status route holds ``?wait=`` polls.
MAX_WAIT_FIELD = "max_wait"


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _done_and_total(status: Any) -> tuple[int, int] | None:
    if not isinstance(status, Mapping):
        return None
    variants = status.get("variants")
    parts: list[Any] = list(variants) if isinstance(variants, list) else [status]
    done = total = 0
    for part in parts:
        if not isinstance(part, Mapping):
            return None
        size = _count(part.get("total"))
        if size is None and isinstance(part.get("task_ids"), list):
            size = len(part["task_ids"])
        if size is None:
            return None
        total += size
        done += sum(_count(part.get(k)) or 0 for k in ("completed", "failed", "cancelled"))
    return (min(done, total), total) if total else None


def run_size(status: Any) -> int | None:
    """How many tasks the job or experiment runs, when its status says (else None)."""
    counted = _done_and_total(status)
    return counted[1] if counted else None


def progress_fraction(status: Any) -> float | None:
    """Tasks finished (completed, failed or cancelled) over tasks in the run, or None.

    Reads a job status (``total`` and the counts) or an experiment status (each variant's
    counts over its ``total`` or ``task_ids``). None when the status carries no counts, as
    the hosted contract guarantees none.
    """
    counted = _done_and_total(status)
    return counted[0] / counted[1] if counted else None


def held_poll_limit(status: Any) -> float | None:
    """Seconds the deployment's status route may hold a ``?wait=`` poll, if it says so."""
    if not isinstance(status, Mapping):
        return None
    value = status.get(MAX_WAIT_FIELD)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


class RunDurations:
    """How long earlier runs took, per key (thread-safe; a few per key)."""

    def __init__(self) -> None:
        self._seen: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def record(self, key: Hashable, seconds: float) -> None:
        """Remember that a run of ``key`` took ``seconds``."""
        with self._lock:
            self._seen.setdefault(key, deque(maxlen=DURATIONS_KEPT)).append(seconds)

    def prior(self, key: Hashable) -> float | None:
        """The median of the durations recorded for ``key``, or None when there are none."""
        with self._lock:
            seen = self._seen.get(key)
            return statistics.median(seen) if seen else None


_durations: weakref.WeakKeyDictionary[Any, RunDurations] = weakref.WeakKeyDictionary()
_durations_lock = threading.Lock()


def durations_of(client: Any) -> RunDurations | None:
    """The run durations remembered for ``client`` (one store per client object).

    Per client rather than per process, so one client's runs never time another's polls.
    None for an object that cannot be weakly referenced (nothing is remembered then).
    """
    with _durations_lock:
        try:
            store = _durations.get(client)
            if store is None:
                store = _durations[client] = RunDurations()
        except TypeError:
            return None
        return store


class PollPlan:
    """The polls of one wait: how long to sleep before the next one and how long it may be held.

    :param poll_interval: fixed seconds between polls (then nothing else applies, as with the
        published SDK), or None (default) to time polls as the module describes.
    :param prior: the expected duration of the run in seconds (earlier runs); default None.
    :param holdable: whether the polled route may be asked to hold (``?wait=``) when its status
        says so; default True. Waiters of routes without the extension pass False.
    """

    def __init__(
        self,
        poll_interval: float | None = None,
        *,
        prior: float | None = None,
        holdable: bool = True,
    ) -> None:
        self.fixed = poll_interval
        self.prior = prior
        self.holdable = holdable
        self._held: tuple[float, float] | None = None  # (elapsed when sent, seconds asked)
        self._last = 0.0  # elapsed seconds at the last status that was still in flight
        self._schedule: Iterator[float] = poll_delays(poll_interval)
        self._tail: Iterator[float] | None = None
        self.held = False

    def predicted_end(self, status: Any, elapsed: float) -> float | None:
        """Seconds after the start at which the run should end, or None when nothing says.

        Progress wins over the prior once some but not all tasks are done.
        """
        fraction = progress_fraction(status)
        if fraction is not None and 0 < fraction < 1 and elapsed > 0:
            return elapsed / fraction
        return self.prior

    def next_poll(self, status: Any, elapsed: float) -> tuple[float, float]:
        """``(sleep, hold)`` before the next poll, given the last status and the seconds elapsed.

        ``hold`` > 0 means: poll at once with ``?wait=hold`` (the deployment said it may hold
        polls that long). The caller still bounds both by its own deadline.
        """
        self._last = elapsed
        if self.fixed is not None:
            return next(self._schedule), 0.0
        if self._held is not None:
            sent, asked = self._held
            self._held = None
            if elapsed - sent < asked / 2:
                # answered long before the hold with the job still running: something between
                # us and the route drops ?wait= (polling back to back would hammer it)
                self.holdable = False
        limit = held_poll_limit(status) if self.holdable else None
        if limit is not None:
            self.held = True
            hold = min(limit, POLL_CAP)
            self._held = (elapsed, hold)
            return 0.0, hold
        end = self.predicted_end(status, elapsed)
        if end is None:
            return next(self._schedule), 0.0
        remaining = end - elapsed
        if remaining > POLL_START:
            self._tail = None
            return min(remaining, POLL_CAP), 0.0
        if self._tail is None:
            self._tail = _grow(max(POLL_START, TAIL_FRACTION * end))
        return next(self._tail), 0.0


    def duration(self, elapsed: float) -> float:
        """The run's estimated duration, given the elapsed seconds at its first terminal status.

        The run ended between the last in-flight status and this one: the midpoint, so a
        late-noticed run does not teach later waits to poll late (and the interval, hence the
        error, shrinks as the predictions improve).
        """
        return (self._last + elapsed) / 2


def _grow(start: float) -> Iterator[float]:
    delay = start
    while True:
        yield delay
        delay = min(delay * POLL_FACTOR, POLL_CAP)
