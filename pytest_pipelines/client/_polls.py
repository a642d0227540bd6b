"""When to poll a job next: polls timed to the job's predicted end, or held by the server.

Three sources, best first:

1. **A held poll** (a local-backend extension, docs/reference/local-shapes.md "Job status"): a
   status body that carries ``max_wait`` says the route accepts ``?wait=S`` and answers as soon
   as the job is terminal (or after S seconds). The waiter then polls back to back, each poll
   held up to ``POLL_CAP``: the end is noticed within a request's latency, with about one poll
   per ``POLL_CAP`` seconds (the published SDK's 2 s cadence). The hosted contract documents no
   such parameter and its bodies carry no ``max_wait``, so the hosted path never sends it.
2. **A predicted end**: progress in the status (tasks done out of ``total``, or the variants'
   ``task_ids``) extrapolated linearly; else the *window* in which earlier runs of the same
   workflow and size ended (a count=1 run's progress says nothing until it ends). A run's end
   is only known to lie between its last in-flight poll and its first terminal one; run after
   run, the window is the intersection of the intervals that agree with it, so it narrows while
   runs take the same time and follows at once a run that ended outside it
   (:func:`end_window`). The waiter polls the window at evenly spaced points ending a little
   after its end (``PAD``: a run a few ms slower than the one that set the end is still inside)
   (fifths for a wide window, one still being learnt; quarters for a narrow one; fewer where
   the budget would hold one back), reaching the first in even steps of at most ``POLL_CAP``
   from the start, then (a run slower than the window) polls again after doubling delays up to
   ``POLL_CAP``. With a window known before the first status, the waiters make no poll at the
   start (:meth:`PollPlan.first_sleep`): the run should not end before the window, and that
   poll would take one of the window's. They know it only for runs whose statuses counted no
   tasks (the hosted shape; the local backend's count them, and offer held polls instead).
3. **Nothing known**: polls at 0.2, 0.6, 1.4 and 3 s after the start, then every ``POLL_CAP``.

**The poll budget.** Whatever the source, a wait never has sent more polls than the published
SDK's fixed 2 s poll would have by then, plus ``EXTRA_POLLS`` (3): poll ``n`` waits until
``(POLL_CAP + latency) * (n - 3)`` s after the start (:meth:`PollPlan.earliest`; the SDK's polls
drift by a request's latency each). So with nothing known
there are three quick polls before 2 s, not the eight of the adaptive schedule; a run of a few seconds
or more is noticed, as with the SDK, within ``POLL_CAP`` (about half of it on average). The
budget also caps how fast a window narrows. By the end ``hi`` of a window ``(lo, hi)`` it allows
``floor(hi / POLL_CAP) + 4`` polls (ignoring latency); the approach, whose polls must stay
within ``POLL_CAP`` of each other from the start for a run quicker than the window, spends
``floor(lo / POLL_CAP)`` of them before ``lo``: a window 2 s wide (the first run's interval)
gets five polls, so the second run is noticed within 0.4 s, 0.2 s in the median for an end
uniform in it (``benchmarks/sim_poll_schedule.py`` prints this bound beside the figures).
A poll at the start as well would leave four (0.25 s in the median).

A wrong window costs a bounded overhead: a run quicker than the window is noticed at the next
step, at most ``POLL_CAP`` (2 s) after its end; a slower one by the doubling tail, at most
``POLL_CAP`` after its end too, and within the budget.

This module is pure: the waiters (both clients and the plugin's run fixture) call it with the
statuses they polled and the elapsed time, and do the sleeping and requesting themselves. The
intervals serialise to JSON (:meth:`RunDurations.to_json`), so the plugin keeps them across
sessions in pytest's cache (``pytest_pipelines/_durations.py``).
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import Any

from pytest_pipelines.client._base import POLL_CAP, POLL_FACTOR, POLL_START, poll_delays

#: Earlier runs kept per (workflow, size): their end intervals make the window.
DURATIONS_KEPT = 5
#: Keys kept by one :class:`RunDurations` (the least recently recorded go first).
KEYS_KEPT = 1000
#: The narrowest window polled: a run's end jitters by tens of milliseconds between runs.
MIN_WINDOW = 0.1
#: Polls in a window at most ``WIDE_WINDOW`` wide: its quarters and its end (overhead <= width / 4).
#: One fewer than the budget allows there (five, with no poll at the start): the one left polls
#: soon after the window for a run a little slower than it, rather than ``POLL_CAP`` later.
WINDOW_POLLS = 4
#: A window wider than this (one still being learnt) is polled at its fifths and its end
#: (overhead <= width / 5), as the poll budget allows: it narrows five times per run.
WIDE_WINDOW = 0.3
WIDE_WINDOW_POLLS = 5
#: The poll budget: a wait never has sent more polls than the published SDK's fixed
#: ``POLL_CAP`` poll would have by then, plus this many (issue 12). Poll ``n`` (0 the first)
#: waits until ``POLL_CAP * (n - EXTRA_POLLS)`` seconds after the start.
EXTRA_POLLS = 3
#: Nothing known: the delays double from this to ``POLL_CAP`` (polls 0.2, 0.6, 1.4, 3.0 s, then
#: every 2 s): the three quick polls the budget allows before 2 s, spread over it.
FIRST_DELAY = 0.2
#: The window's last poll comes this much after its end (at most a quarter of its width): a
#: run a little slower than the one that set the end is still seen inside it.
PAD = MIN_WINDOW / 2
#: The longest run duration a saved interval may carry (a day): anything else is not a run.
MAX_DURATION = 86400.0
#: After a predicted end has passed, the first quick poll waits this fraction of the predicted
#: duration (at least ``POLL_START``): a 10 s run predicted a little early is re-polled after
#: 0.3 s rather than at 50 ms steps that would multiply the polls.
TAIL_FRACTION = 0.03
#: A held poll that comes back terminal before its hold ran out saw the end within the route's
#: reaction time (it rests between status reads: docs/reference/local-shapes.md).
HELD_REACTION = 0.05
#: The status field a deployment uses to say its status route holds ``?wait=`` polls.
MAX_WAIT_FIELD = "max_wait"
#: Sleeps shorter than this are not worth a poll of their own: the next point is taken.
_EPSILON = 0.01

Interval = tuple[float, float]


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


def end_window(intervals: Iterable[Interval]) -> Interval | None:
    """Where the next run should end, from the ``(lo, hi)`` intervals of earlier runs, oldest first.

    Each interval says a run ended after ``lo`` and by ``hi`` seconds. Run by run, an interval
    that overlaps the window narrows it to their intersection. One that ended outside it, but
    within twice the window's width (at least ``MIN_WINDOW``), is jitter or a drift. A late one
    moves the window up: from the window's end (the runs before ended by then) to the new
    interval's end, so a young window does not widen for one run a few ms past it (it kept its
    low edge before). An early one stretches it down, by at most that much (its interval
    reaches back to the poll before the window, seconds earlier). One farther away (the run
    now takes another time) replaces the window. None for no intervals.
    """
    window: Interval | None = None
    for lo, hi in intervals:
        if window is None:
            window = (lo, hi)
            continue
        reach = 2 * max(window[1] - window[0], MIN_WINDOW)
        if lo > window[1]:
            # a little late: the runs' ends lie on either side of the window's end, so the
            # window moves up to the new interval from its end (the low edge kept, a young
            # window would widen for a run of jitter); far later: replaced
            window = (window[1], hi) if lo <= window[1] + reach else (lo, hi)
        elif hi < window[0]:
            # seen done a little early, at the window's first poll: the window stretches down
            # by at most ``reach`` (its interval reaches back seconds); far earlier: replaced
            window = (max(lo, hi - reach), window[1]) if hi >= window[0] - reach else (lo, hi)
        else:
            window = (max(lo, window[0]), min(hi, window[1]))
    return window


def _interval(raw: Any) -> Interval | None:
    if not isinstance(raw, (list, tuple)) or len(raw) != 2:
        return None
    lo, hi = raw
    for value in (lo, hi):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if not math.isfinite(value):
            return None
    if not 0 <= lo <= hi <= MAX_DURATION:
        return None
    return float(lo), float(hi)


def history_from_json(data: Any) -> dict[str, list[Interval]]:
    """The valid entries of a saved history (``{key: [[lo, hi], ...]}``); anything else dropped.

    The saved file is read as untrusted input: keys must be strings, intervals pairs of
    finite numbers with ``0 <= lo <= hi <= MAX_DURATION``; at most ``DURATIONS_KEPT`` per key
    (the last ones) and ``KEYS_KEPT`` keys (the last ones).
    """
    if not isinstance(data, Mapping):
        return {}
    valid: dict[str, list[Interval]] = {}
    for key, raw in list(data.items())[-KEYS_KEPT:]:
        if not isinstance(key, str) or not isinstance(raw, list):
            continue
        intervals = [i for i in map(_interval, raw) if i is not None][-DURATIONS_KEPT:]
        if intervals:
            valid[key] = intervals
    return valid


def merge_histories(
    saved: Mapping[str, list[Interval]], new: Mapping[str, list[Interval]]
) -> dict[str, list[list[float]]]:
    """``saved`` with the ``new`` intervals appended (last ``DURATIONS_KEPT`` per key), as JSON.

    Keys with new intervals move to the end (most recent); the oldest keys beyond
    ``KEYS_KEPT`` are dropped.
    """
    merged: OrderedDict[str, list[Interval]] = OrderedDict((k, list(v)) for k, v in saved.items())
    for key, intervals in new.items():
        merged[key] = [*merged.pop(key, []), *intervals][-DURATIONS_KEPT:]
    while len(merged) > KEYS_KEPT:
        merged.popitem(last=False)
    return {k: [[round(lo, 4), round(hi, 4)] for lo, hi in v] for k, v in merged.items()}


def run_key(kind: str, project: Any, workflow: Any, size: int | None) -> str:
    """The key of a run's durations: what it is (tasks or experiment), where, and how many tasks.

    The client's waiters and the plugin's run waiter use it alike, so each learns from the
    other's runs; a string, so the durations serialise (:meth:`RunDurations.to_json`).
    """
    return f"{kind} {project}/{workflow} x{'?' if size is None else size}"


class RunDurations:
    """When earlier runs ended, per key: a few ``(lo, hi)`` intervals each (thread-safe).

    :param history: saved intervals to start from (:func:`history_from_json`'s shape);
        default None.
    """

    def __init__(self, history: Mapping[Hashable, Iterable[Interval]] | None = None) -> None:
        self._seen: OrderedDict[Hashable, deque[Interval]] = OrderedDict()
        self._lock = threading.Lock()
        for key, intervals in (history or {}).items():
            self._seen[key] = deque(intervals, maxlen=DURATIONS_KEPT)

    def load(self, data: Any) -> None:
        """Add saved intervals (:meth:`to_json`'s shape, validated) before the ones seen here."""
        with self._lock:
            for key, intervals in history_from_json(data).items():
                seen = [*intervals, *self._seen.pop(key, ())]
                self._seen[key] = deque(seen, maxlen=DURATIONS_KEPT)
            while len(self._seen) > KEYS_KEPT:
                self._seen.popitem(last=False)

    def record(self, key: Hashable, lo: float, hi: float | None = None) -> None:
        """Remember that a run of ``key`` ended after ``lo`` and by ``hi`` seconds.

        :param hi: default None: ``lo`` is the exact duration.
        """
        hi = lo if hi is None else hi
        with self._lock:
            seen = self._seen.pop(key, None) or deque(maxlen=DURATIONS_KEPT)
            seen.append((min(lo, hi), hi))
            self._seen[key] = seen
            while len(self._seen) > KEYS_KEPT:
                self._seen.popitem(last=False)

    def window(self, key: Hashable) -> Interval | None:
        """Where a run of ``key`` should end (:func:`end_window`), or None when none was seen."""
        with self._lock:
            seen = list(self._seen.get(key) or ())
        return end_window(seen)

    def prior(self, key: Hashable) -> float | None:
        """The middle of :meth:`window`, or None when no run of ``key`` was seen."""
        window = self.window(key)
        return None if window is None else (window[0] + window[1]) / 2

    def to_json(self) -> dict[str, list[list[float]]]:
        """The intervals of the string keys, oldest key first, as JSON-ready lists."""
        with self._lock:
            items = [(k, list(v)) for k, v in self._seen.items() if isinstance(k, str)]
        return merge_histories({}, dict(items))


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


def _even_step(remaining: float) -> float:
    """``remaining`` split into equal sleeps of at most ``POLL_CAP``: the first of them."""
    return remaining / math.ceil(remaining / POLL_CAP)


class PollPlan:
    """The polls of one wait: how long to sleep before the next one and how long it may be held.

    :param poll_interval: fixed seconds between polls (then nothing else applies, as with the
        published SDK), or None (default) to time polls as the module describes.
    :param prior: where the run should end, in seconds after the wait's start: a window
        ``(lo, hi)`` (:meth:`RunDurations.window`) or one expected duration; default None.
    :param holdable: whether the polled route may be asked to hold (``?wait=``) when its status
        says so; default True. Waiters of routes without the extension pass False.
    :param budget: whether the wait is a run's, polled within the poll budget
        (:meth:`earliest`) and, with nothing known, at ``FIRST_DELAY`` doubling; default True.
        False (the waiters of exports, imports and other jobs that are not runs): with nothing
        known, :func:`~pytest_pipelines.client.poll_delays`' adaptive schedule, no budget.
    """

    def __init__(
        self,
        poll_interval: float | None = None,
        *,
        prior: Interval | float | None = None,
        holdable: bool = True,
        budget: bool = True,
    ) -> None:
        self.fixed = poll_interval
        self._prior = prior
        self.holdable = holdable
        self.budget = budget
        self._held: tuple[float, float] | None = None  # (elapsed when sent, seconds asked)
        self._last = 0.0  # elapsed seconds at the last status that was still in flight
        self._schedule: Iterator[float] = poll_delays(poll_interval)
        self._tail: Iterator[float] | None = None
        self._points: list[float] | None = None  # the window's polls, chosen once
        self.polls = 0  # statuses seen so far (the budget counts them)
        self.latency = 0.0  # mean seconds from a sleep's end to the status (the budget's)
        self._asked: tuple[float, float] | None = None  # (elapsed, sleep) of the last sleep
        self.held = False

    @property
    def prior(self) -> Interval | float | None:
        """Where the run should end (the constructor's ``prior``); setting it re-plans the polls."""
        return self._prior

    @prior.setter
    def prior(self, value: Interval | float | None) -> None:
        if value != self._prior:
            self._prior = value
            self._points = None
            self._tail = None

    def first_sleep(self, elapsed: float = 0.0) -> float:
        """The sleep before the first poll, ``elapsed`` seconds after the start (0: poll at once).

        With a window (and the poll budget), the first of the approach's even steps to the
        window's first poll: the run should not end before that, so a poll at the start would
        spend one of the budget's polls where nothing is to be seen. Otherwise 0.
        """
        window = self.window()
        if window is None or self.fixed is not None or not self.budget or self.polls:
            return 0.0
        if self._points is None:
            self._points = self.window_polls(window, elapsed)
        for point in self._points:
            if point - elapsed > _EPSILON:
                return _even_step(point - elapsed)
        return 0.0

    def window(self) -> Interval | None:
        """The prior as a window at least ``MIN_WINDOW`` wide, or None without a prior."""
        prior = self.prior
        if prior is None:
            return None
        lo, hi = (prior, prior) if isinstance(prior, (int, float)) else prior
        if hi - lo < MIN_WINDOW:
            lo = max(0.0, (lo + hi - MIN_WINDOW) / 2)
            hi = lo + MIN_WINDOW
        return lo, hi

    def predicted_end(self, status: Any, elapsed: float) -> float | None:
        """Seconds after the start at which the run should end, or None when nothing says.

        Progress wins over the prior once some but not all tasks are done; the prior's
        estimate is the middle of its window.
        """
        fraction = progress_fraction(status)
        if fraction is not None and 0 < fraction < 1 and elapsed > 0:
            return elapsed / fraction
        window = self.window()
        return None if window is None else (window[0] + window[1]) / 2

    def next_poll(self, status: Any, elapsed: float) -> tuple[float, float]:
        """``(sleep, hold)`` before the next poll, given the last status and the seconds elapsed.

        ``hold`` > 0 means: poll at once with ``?wait=hold`` (the deployment said it may hold
        polls that long). The caller still bounds both by its own deadline. A sleep never
        brings the next poll ahead of the poll budget (:meth:`earliest`).
        """
        if self._asked is not None:
            # the time between the sleep's end and this status: a request's latency
            sent, slept = self._asked
            seen = max(0.0, elapsed - sent - slept)
            self.latency += (seen - self.latency) / self.polls
            self._asked = None
        self._last = elapsed
        self.polls += 1
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
        sleep = self._sleep(status, elapsed)
        if not self.budget:
            return sleep, 0.0
        sleep = max(sleep, self.earliest(self.polls) - elapsed)
        self._asked = (elapsed, sleep)
        return sleep, 0.0

    def earliest(self, index: int) -> float:
        """Seconds after the start before which poll ``index`` (0: the first) is not sent.

        The SDK's fixed ``POLL_CAP`` poll has sent ``index - EXTRA_POLLS`` polls by then (it
        sleeps ``POLL_CAP`` after each answer, so its polls drift by a request's latency each:
        the mean latency this wait has seen counts too), so a wait that ends at any time has
        made at most ``EXTRA_POLLS`` polls more than the SDK's. Consecutive polls held back by
        it are ``POLL_CAP`` and a latency apart: still within ``POLL_CAP`` of any run's end.
        """
        return (POLL_CAP + self.latency) * (index - EXTRA_POLLS)

    def _sleep(self, status: Any, elapsed: float) -> float:
        fraction = progress_fraction(status)
        if fraction is not None and 0 < fraction < 1 and elapsed > 0:
            return self._towards(elapsed / fraction, elapsed)
        window = self.window()
        if window is None:
            return _first_polls_sleep(elapsed) if self.budget else next(self._schedule)
        if self._points is None:
            self._points = self.window_polls(window, elapsed)
        for point in self._points:
            if point - elapsed > _EPSILON:
                return _even_step(point - elapsed)
        if self._tail is None:
            lo, hi = window
            self._tail = _grow(max(POLL_START, (hi - lo) / len(self._points)), 2.0)
        return next(self._tail)

    def window_polls(self, window: Interval, elapsed: float) -> list[float]:
        """Where a wait at ``elapsed`` polls the ``window``: evenly, ending ``PAD`` after its end.

        ``WIDE_WINDOW_POLLS`` for a wide window, ``WINDOW_POLLS`` for a narrow one, or fewer
        where the budget (:meth:`earliest`) would hold a poll back: a window of k polls is
        split into k parts (the one before the first poll is covered by the approach, in even
        steps of at most ``POLL_CAP``, that ends at it), so the run is noticed within
        ``width / k`` and the next window is that part.
        """
        lo, hi = window
        wanted = WIDE_WINDOW_POLLS if hi - lo > WIDE_WINDOW else WINDOW_POLLS
        # a window whose end is a poll that saw the run just done: the next run, a few ms
        # slower, would end past it; the last poll is a little later (PAD)
        hi += min(PAD, (hi - lo) / 4)
        for k in range(wanted, 1, -1):
            points = [lo + (hi - lo) * j / k for j in range(1, k + 1)]
            if self._fits(points, elapsed):
                return points
        return [hi]

    def _fits(self, points: list[float], elapsed: float) -> bool:
        sent, now = self.polls, elapsed
        for point in points:
            if point - now <= _EPSILON:
                continue
            sent += math.ceil((point - now) / POLL_CAP - 1e-9)
            if point < self.earliest(sent - 1):
                return False
            now = point
        return True

    def _towards(self, end: float, elapsed: float) -> float:
        """Sleep to a progress-predicted ``end``, then poll quickly again, growing."""
        remaining = end - elapsed
        if remaining > POLL_START:
            self._tail = None
            return min(remaining, POLL_CAP)
        if self._tail is None:
            self._tail = _grow(max(POLL_START, TAIL_FRACTION * end))
        return next(self._tail)

    def interval(self, elapsed: float) -> Interval:
        """When the run ended, given the elapsed seconds at its first terminal status.

        After the last in-flight status and by this one; a held poll that came back before its
        hold ran out saw the end within ``HELD_REACTION``.
        """
        lo = self._last
        if self._held is not None:
            sent, asked = self._held
            if elapsed - sent < asked:
                lo = max(lo, elapsed - HELD_REACTION)
        return min(lo, elapsed), elapsed

    def duration(self, elapsed: float) -> float:
        """The run's estimated duration: the middle of :meth:`interval`."""
        lo, hi = self.interval(elapsed)
        return (lo + hi) / 2


def _first_polls_sleep(elapsed: float) -> float:
    """Nothing known: the sleep to the next poll at 0.2, 0.6, 1.4, 3.0, 5.0 s, ... after the start
    (delays doubling from ``FIRST_DELAY`` to ``POLL_CAP``), so a run launched before its wait
    began (the plugin's overlap) is polled every ``POLL_CAP``, not from a new ramp."""
    point = step = FIRST_DELAY
    while step < POLL_CAP and point - elapsed <= _EPSILON:
        step = min(step * 2, POLL_CAP)
        point += step
    if point - elapsed <= _EPSILON:  # past the ramp: every POLL_CAP from its last poll
        point += POLL_CAP * (math.floor((elapsed + _EPSILON - point) / POLL_CAP) + 1)
    return point - elapsed


def _grow(start: float, factor: float = POLL_FACTOR) -> Iterator[float]:
    delay = start
    while True:
        yield delay
        delay = min(delay * factor, POLL_CAP)
