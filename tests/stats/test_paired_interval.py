"""The paired pass/fail interval: Newcombe's (1998) method 10 against published values."""

from __future__ import annotations

import pytest

from pytest_pipelines._decide import decide_regression
from pytest_pipelines._stats import paired_proportion_test

# Newcombe (1998), "Improved confidence intervals for the difference between binomial
# proportions based on paired data", Statistics in Medicine 17:2635-2650: the worked examples'
# 95 % limits by method 10. A table is (e, f, g, h): both passed, only the first passed, only
# the second passed, neither; the difference is (f - g) / n. The rows include the cases an
# interval conditional on the discordant count gets wrong: every discordant pair one way
# (f > 0, g = 0) and no discordant pair at all (f = g = 0).
NEWCOMBE_METHOD_10 = [
    ((36, 12, 2, 0), (0.0569, 0.3404)),
    ((20, 12, 2, 16), (0.0562, 0.3292)),
    ((18, 12, 2, 18), (0.0562, 0.3290)),
    ((36, 14, 0, 0), (0.1528, 0.4167)),
    ((35, 14, 0, 1), (0.1461, 0.4175)),
    ((18, 14, 0, 18), (0.1441, 0.3963)),
    ((2, 97, 1, 0), (0.8721, 0.9854)),
    ((1, 97, 1, 1), (0.8736, 0.9850)),
    ((0, 29, 1, 0), (0.6666, 0.9882)),
    ((2, 98, 0, 0), (0.9178, 0.9945)),
    ((1, 98, 0, 1), (0.9171, 0.9916)),
    ((0, 30, 0, 0), (0.8395, 1.0)),
    ((54, 0, 0, 0), (-0.0664, 0.0664)),
    ((53, 0, 0, 1), (-0.0729, 0.0729)),
    ((30, 0, 0, 24), (-0.0358, 0.0358)),
    ((29, 0, 0, 25), (-0.0354, 0.0354)),
    ((28, 0, 0, 26), (-0.0352, 0.0352)),
    ((27, 0, 0, 27), (-0.0351, 0.0351)),
    # Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables" (2017), ch. 8:
    # complete response before and after consolidation therapy (Cavo et al. 2012)
    ((59, 6, 16, 80), (-0.1186, -0.0046)),
]


def _pairs(e: int, f: int, g: int, h: int) -> list[tuple[float, float]]:
    return [(1.0, 1.0)] * e + [(1.0, 0.0)] * f + [(0.0, 1.0)] * g + [(0.0, 0.0)] * h


@pytest.mark.parametrize(("table", "limits"), NEWCOMBE_METHOD_10, ids=str)
def test_paired_interval_reproduces_newcombes_method_10(
    table: tuple[int, int, int, int], limits: tuple[float, float]
) -> None:
    e, f, g, h = table
    r = paired_proportion_test(_pairs(*table))
    assert r.difference == pytest.approx((f - g) / (e + f + g + h))
    # published to 4 decimals; one row of the table is rounded the other way (0.8736)
    assert (r.low, r.high) == pytest.approx(limits, abs=1.5e-4)
    assert r.n_pairs == e + f + g + h


def test_discordant_pairs_all_one_way_leave_room_on_both_sides() -> None:
    # 14 inputs improved, none got worse, 36 passed in both: the estimate is 0.28, and neither
    # end of the interval sits on it (the conditional Clopper-Pearson mapping gave high == 0.28)
    r = paired_proportion_test(_pairs(36, 14, 0, 0))
    assert r.low < r.difference < r.high
    assert r.high - r.difference > 0.1
    worse = paired_proportion_test(_pairs(36, 0, 14, 0))
    assert worse.low < worse.difference < worse.high
    assert (worse.low, worse.high) == pytest.approx((-r.high, -r.low))


def test_identical_runs_give_an_interval_around_zero_that_shrinks_with_n() -> None:
    small = paired_proportion_test(_pairs(10, 0, 0, 10))
    large = paired_proportion_test(_pairs(100, 0, 0, 100))
    for r in (small, large):
        assert r.difference == 0.0
        assert r.low < 0 < r.high
        assert r.low == pytest.approx(-r.high)
    assert large.high < small.high


def test_a_drop_with_every_discordant_pair_a_loss_is_bounded_both_ways() -> None:
    # what a pull request sees: 10 of 40 inputs flipped to fail, none improved
    base = {f"k{i}": [1.0] for i in range(34)} | {f"k{i}": [0.0] for i in range(34, 40)}
    cur = {k: [0.0 if i < 10 else v[0]] for i, (k, v) in enumerate(base.items())}
    d = decide_regression(cur, base, kind="boolean", max_drop=0.05, confidence=0.95)
    assert d.outcome == "regression"
    assert d.value == pytest.approx(-0.25)
    assert d.low is not None
    assert d.high is not None
    assert d.low < d.value < d.high < -0.05
