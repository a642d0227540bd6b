"""The poll schedule on simulated runs: how late a run is noticed, over many run lengths.

The wall-clock benchmark (``bench_wait_overhead.py``) measures four run lengths; where a length
falls against the schedule's polls decides its figure (a run ending just before a poll is seen
at once, one just after it a step later). This script runs the same :class:`PollPlan` the
waiters use against simulated runs (a status request takes ``--latency`` seconds; statuses in
the hosted shape, without counts) over many lengths, and prints:

- a first run with nothing known: the median and mean overhead over run lengths spread evenly
  on a log scale (0.1 to 2 s, 2 to 30 s), the share noticed within 100 ms, and the most polls
  over the SDK's fixed 2 s poll at any of those lengths;
- the first four runs of a new test (``--tests`` tests, lengths drawn uniformly, each run's end
  jittered by up to ``--jitter`` seconds, each wait timed by the window of the test's earlier
  runs): median and 90th percentile overhead per run, and the most polls over the SDK's;
- the least median the budget allows a second run, whatever the placement of its polls
  (:func:`median_bound`, over the windows the first runs left), without and with a poll at
  the launch.

Deterministic (seeded). No asserts: tests/client/test_client_polls.py holds the properties.

    python benchmarks/sim_poll_schedule.py [--latency 0.003] [--jitter 0.02] [--tests 400]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics

from pytest_pipelines.client import POLL_CAP, PollPlan, RunDurations
from pytest_pipelines.client._polls import EXTRA_POLLS

Interval = tuple[float, float]
RUNNING = {"job_id": "sim", "status": "running"}


def simulate(plan: PollPlan, ends_at: float, latency: float) -> tuple[float, int, Interval]:
    """Poll a run ending ``ends_at`` s after the wait's start: (overhead, polls, end interval).

    As the waiters do, the first poll comes after :meth:`PollPlan.first_sleep` (at once
    unless the plan has a window).
    """
    elapsed, polls = plan.first_sleep(0.0), 0
    while True:
        elapsed += latency
        polls += 1
        if elapsed >= ends_at:
            return elapsed - ends_at, polls, plan.interval(elapsed)
        sleep, _ = plan.next_poll(RUNNING, elapsed)
        elapsed += sleep


def sdk_polls(ends_at: float, latency: float) -> int:
    """The polls of the published SDK's fixed 2 s poll for the same run."""
    return simulate(PollPlan(POLL_CAP), ends_at, latency)[1]


def log_spread(lo: float, hi: float, n: int = 401) -> list[float]:
    """``n`` run lengths from ``lo`` to ``hi``, evenly on a log scale."""
    return [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]


def first_runs(latency: float) -> None:
    print("first run, nothing known (lengths evenly on a log scale)")
    for lo, hi in ((0.1, 2.0), (2.0, 30.0)):
        rows = [(simulate(PollPlan(), t, latency), t) for t in log_spread(lo, hi)]
        late = [o for (o, _, _), _ in rows]
        extra = max(p - sdk_polls(t, latency) for (_, p, _), t in rows)
        within = sum(o <= 0.1 for o in late) / len(late)
        print(
            f"  {lo:g}-{hi:g} s: median {statistics.median(late) * 1000:.0f} ms, "
            f"mean {statistics.mean(late) * 1000:.0f} ms, within 100 ms {within:.0%}, "
            f"most polls over the SDK's {extra}"
        )


def polls_in_window(window: Interval, late: float, latency: float, at_launch: bool) -> int:
    """The most polls the budget allows that see an end in ``window`` within ``late`` seconds.

    Those are the polls after its low edge and by ``late`` after its end. By ``t`` s the budget
    allows at most ``floor(t / POLL_CAP) + EXTRA_POLLS + 1`` polls (:meth:`PollPlan.earliest`,
    a request's latency only holds them back further); the approach spends at least
    ``floor(lo / (POLL_CAP + latency))`` at or before the low edge, its polls at most a
    ``POLL_CAP`` sleep and a request apart from the start (a run quicker than the window is
    still noticed within ``POLL_CAP``), plus one at the launch when the wait polls there.
    """
    lo, hi = window
    allowed = math.floor((hi + late) / POLL_CAP) + EXTRA_POLLS + 1
    approach = math.floor(lo / (POLL_CAP + latency)) + (1 if at_launch else 0)
    return max(1, allowed - approach)


def median_bound(windows: list[Interval], latency: float, at_launch: bool) -> float:
    """The least median overhead any placement within the budget reaches over these windows.

    With ``k`` polls that see an end in a window of width ``W`` within ``x`` s
    (:func:`polls_in_window`), and the end uniform in it, the share noticed within ``x`` is at
    most ``k x / W`` (each poll sees the ends in the ``x`` before it); the median over all the
    windows is at least the ``x`` at which the mean share reaches 1/2. The simulated ends are
    jittered around the window (a run a little quicker or slower than the first), so a figure
    can fall a few ms below it (``--jitter 0``: none does).
    """

    def share(late: float) -> float:
        return statistics.mean(
            min(1.0, polls_in_window(w, late, latency, at_launch) * late / max(w[1] - w[0], 1e-9))
            for w in windows
        )

    low, high = 0.0, POLL_CAP
    for _ in range(50):
        mid = (low + high) / 2
        low, high = (mid, high) if share(mid) < 0.5 else (low, mid)
    return high


def new_tests(latency: float, jitter: float, tests: int) -> None:
    print(f"runs 1-4 of a new test ({tests} tests, end jitter +-{jitter * 1000:.0f} ms)")
    rng = random.Random(5)
    for lo, hi in ((0.3, 2.0), (2.0, 12.0)):
        late: list[list[float]] = [[] for _ in range(4)]
        second: list[Interval] = []  # the windows the second runs are polled by
        extra = 0
        for _ in range(tests):
            base, durations = rng.uniform(lo, hi), RunDurations()
            for run in range(4):
                ends_at = base + rng.uniform(-jitter, jitter)
                window = durations.window("test")
                if run == 1 and window is not None:
                    second.append(window)
                plan = PollPlan(prior=window)
                overhead, polls, interval = simulate(plan, ends_at, latency)
                durations.record("test", *interval)
                late[run].append(overhead)
                extra = max(extra, polls - sdk_polls(ends_at, latency))
        cells = ", ".join(
            f"run {i + 1} {statistics.median(v) * 1000:.0f} "
            f"(p90 {sorted(v)[int(0.9 * len(v))] * 1000:.0f}) ms"
            for i, v in enumerate(late)
        )
        print(f"  {lo:g}-{hi:g} s: {cells}; most polls over the SDK's {extra}")
        bound, polled_at_launch = (
            median_bound(second, latency, at_launch) * 1000 for at_launch in (False, True)
        )
        print(
            f"    run 2's bound (the budget's most polls in each window, end uniform in it): "
            f"median >= {bound:.0f} ms; {polled_at_launch:.0f} ms with a poll at the launch"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.003, help="seconds per request")
    parser.add_argument("--jitter", type=float, default=0.02, help="end jitter, seconds")
    parser.add_argument("--tests", type=int, default=400, help="simulated new tests")
    args = parser.parse_args()
    first_runs(args.latency)
    new_tests(args.latency, args.jitter, args.tests)


if __name__ == "__main__":
    main()
