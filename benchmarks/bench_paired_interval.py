"""The paired pass/fail interval of the regression gate: Newcombe's method 10 against the
conditional interval it replaced, on the same simulated suites.

Until issue 8's gap 5, the interval of a paired difference of pass rates mapped the
Clopper-Pearson interval of "share of discordant inputs that got worse", conditional on the
number of discordant inputs. It collapsed onto the estimate when every discordant input moved
one way (and to [0, 0] when none did). The regression gate now uses Newcombe's (1998) paired
interval. This script measures what the change does to the gate's verdicts: it drives the
plugin's own ``_decide.decide_regression`` on seeded suites, once with the current interval and
once with the old one patched in, on the SAME draws, so the difference is the interval's.

Each suite draws n inputs with a per-input difficulty p_i ~ Beta(kappa r, kappa (1 - r))
(kappa = 1: intra-input correlation 0.5, as in ``bench_gate_reliability.py``), a baseline run,
a second run of the same system (false alarms) and a run whose every input's pass probability
drops in proportion so the mean drops 10 points (detection, at ``max_drop=0`` and 0.05). It
also prints the exact false-alarm probability at ``max_drop=0`` (a sum over every 2x2 table,
not a simulation) for n up to 100 (``--exact-200``: and 200).

    python benchmarks/bench_paired_interval.py [--suites 2000] [--seed 2026] [--exact-200]
    python benchmarks/bench_paired_interval.py --quick      # 200 suites, n in {20, 100}
    python benchmarks/bench_paired_interval.py --exact-only --exact-200   # the exact sums
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from pytest_pipelines import _decide, _stats

CONFIDENCE = 0.95
DROP = 0.10
MARGIN = 0.05
SIZES = (20, 50, 100, 200)
RATES = (0.70, 0.80, 0.90)
EXACT_CELLS = ((20, 0.80), (50, 0.80), (100, 0.70), (100, 0.80))
EXACT_LARGE = ((200, 0.70), (200, 0.80), (200, 0.90))
KAPPA = 1.0


def conditional_paired_test(
    pairs: Sequence[tuple[float, float]], *, margin: float = 0.0, confidence: float = 0.95
) -> _stats.PairedResult:
    """The interval the plugin used before: Clopper-Pearson of the discordant share, mapped."""
    n = len(pairs)
    wins = sum(1 for a, b in pairs if a > b)
    losses = sum(1 for a, b in pairs if a < b)
    m = wins + losses
    if m == 0:
        low = high = 0.0
    else:
        theta = _stats.clopper_pearson_interval(wins, m, confidence)
        low, high = (m / n) * (2.0 * theta.low - 1.0), (m / n) * (2.0 * theta.high - 1.0)
    p = _stats.mcnemar_exact(wins, losses)
    return _stats.PairedResult((wins - losses) / n, low, high, p, n, True, "conditional")


@contextmanager
def interval(test: Callable[..., _stats.PairedResult] | None) -> Iterator[None]:
    """Run the gate with ``test`` as the paired pass/fail test (None: the plugin's own)."""
    real = _stats.paired_proportion_test
    if test is not None:
        _stats.paired_proportion_test = test
    try:
        yield
    finally:
        _stats.paired_proportion_test = real


def outcome(base: list[float], current: list[float], max_drop: float) -> str:
    """The regression gate's outcome for one suite (the plugin's decision code)."""
    return _decide.decide_regression(
        {f"k{i}": [v] for i, v in enumerate(current)},
        {f"k{i}": [v] for i, v in enumerate(base)},
        kind="boolean",
        max_drop=max_drop,
        confidence=CONFIDENCE,
    ).outcome


def simulate(n: int, rate: float, suites: int, seed: int) -> dict[str, dict[str, float]]:
    """Per rule: false alarms, detection at max_drop=0 and at MARGIN, over the same suites."""
    rng = random.Random(seed)
    scale = (rate - DROP) / rate
    draws = []
    for _ in range(suites):
        ps = [rng.betavariate(KAPPA * rate, KAPPA * (1.0 - rate)) for _ in range(n)]
        base = [1.0 if rng.random() < p else 0.0 for p in ps]
        again = [1.0 if rng.random() < p else 0.0 for p in ps]
        worse = [1.0 if rng.random() < p * scale else 0.0 for p in ps]
        draws.append((base, again, worse))
    out: dict[str, dict[str, float]] = {}
    for name, test in (("newcombe", None), ("conditional", conditional_paired_test)):
        counts = {"false alarm": 0, "detect": 0, "detect margin": 0}
        with interval(test):
            for base, again, worse in draws:
                counts["false alarm"] += outcome(base, again, 0.0) == "regression"
                counts["detect"] += outcome(base, worse, 0.0) == "regression"
                counts["detect margin"] += outcome(base, worse, MARGIN) == "regression"
        out[name] = {k: v / suites for k, v in counts.items()}
    return out


def exact_false_alarm(n: int, rate: float, test: Callable[..., _stats.PairedResult]) -> float:
    """P(regression at max_drop=0) for two runs of the same system: a sum over 2x2 tables."""
    a, b = KAPPA * rate, KAPPA * (1.0 - rate)
    s = a + b
    both, split, neither = (
        a * (a + 1) / (s * (s + 1)),
        a * b / (s * (s + 1)),
        b * (b + 1) / (s * (s + 1)),
    )
    level = 2.0 * CONFIDENCE - 1.0  # decide_regression's one-sided bounds
    return _stats.paired_alarm_probability(
        n, both, split, neither, lambda pairs: test(pairs, confidence=level).high < -1e-9
    )


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:{digits + 4}.{digits}f} %"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--suites", type=int, default=2000, help="suites per cell (default 2000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="200 suites, n in {20, 100}")
    parser.add_argument(
        "--exact-200",
        action="store_true",
        help="also the exact sums at n = 200 (slow: many minutes)",
    )
    parser.add_argument("--exact-only", action="store_true", help="skip the simulation")
    args = parser.parse_args(argv)
    suites = 200 if args.quick else args.suites
    sizes: tuple[int, ...] = (20, 100) if args.quick else SIZES
    start = time.perf_counter()
    if args.exact_only:
        sizes = ()
    print(
        f"regression gate, paired pass/fail, confidence {CONFIDENCE} (one-sided 5 %), "
        f"{suites} suites per cell, kappa {KAPPA}; the same suites for both intervals"
    )
    print(
        "| n | rate | false alarms: Newcombe / conditional | detects a 10-point drop, "
        "max_drop=0 | max_drop=0.05 |"
    )
    print("|--:|--:|--:|--:|--:|")
    for i, n in enumerate(sizes):
        for j, rate in enumerate(RATES):
            r = simulate(n, rate, suites, args.seed + 100 * i + j)
            new, old = r["newcombe"], r["conditional"]
            print(
                f"| {n} | {rate:.2f} | {_pct(new['false alarm'])} / {_pct(old['false alarm'])} | "
                f"{_pct(new['detect'])} / {_pct(old['detect'])} | "
                f"{_pct(new['detect margin'])} / {_pct(old['detect margin'])} |"
            )
    print("\nexact false-alarm probability at max_drop=0 (Newcombe / conditional):")
    exact = EXACT_CELLS[:2] if args.quick else EXACT_CELLS
    for n, rate in exact + (EXACT_LARGE if args.exact_200 else ()):
        new_fa = exact_false_alarm(n, rate, _stats.paired_proportion_test)
        old_fa = exact_false_alarm(n, rate, conditional_paired_test)
        print(f"  n = {n:3d}, rate {rate:.2f}: {_pct(new_fa, 2)} / {_pct(old_fa, 2)}")
    print(f"\n{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
