"""Decisions: threshold gates (point rule, interval, sequential), regressions, the schedule."""

from __future__ import annotations

import random

import pytest

from pytest_pipelines import _decide, _stats
from pytest_pipelines._decide import (
    BAD_LOOKS,
    BAD_MAX_DROP,
    BAD_SCHEDULE,
    EQUAL_SCORES_NOTE,
    NO_VALUES_NOTE,
    OUTCOMES,
    UNBOUNDED_NOTE,
    UNKNOWN_KIND,
    UNKNOWN_METRIC,
    UNKNOWN_OP,
    UNKNOWN_REDUCER,
    compare,
    decide_regression,
    decide_threshold,
    next_batch,
    planned_looks,
    reduce_input,
)


def _runs(passes: int, n: int) -> list[list[float]]:
    return [[1.0]] * passes + [[0.0]] * (n - passes)


def _gate(clusters: list[list[float]], **kw: object) -> _decide.Decision:
    args: dict[str, object] = {
        "metric": "pass_rate",
        "op": ">=",
        "threshold": 0.8,
        "confidence": 0.95,
    }
    args.update(kw)
    return decide_threshold(clusters, **args)  # type: ignore[arg-type]


def test_reducers() -> None:
    repeats = [1.0, 1.0, 0.0]
    assert reduce_input(repeats, "mean") == pytest.approx(2 / 3)
    assert reduce_input(repeats, "all") == 0.0  # pass^k
    assert reduce_input([1.0, 1.0], "all") == 1.0
    assert reduce_input(repeats, "any") == 1.0  # pass@k
    assert reduce_input([0.0, 0.0], "any") == 0.0
    assert reduce_input(repeats, "majority") == 1.0
    assert reduce_input([1.0, 0.0], "majority") == 0.0  # a tie is no majority
    assert reduce_input([0.2, 0.9, 0.4], "median") == 0.4
    assert reduce_input([0.2, 0.9, 0.4], "min") == 0.2
    with pytest.raises(ValueError) as info:
        reduce_input([1.0], "best")
    assert str(info.value) == UNKNOWN_REDUCER.format(
        how="best", valid="mean, all, any, majority, median, min"
    )
    with pytest.raises(ValueError, match="at least one value"):
        reduce_input([], "mean")


def test_point_rule_without_confidence_keeps_todays_meaning() -> None:
    d = _gate(_runs(16, 20), confidence=None)
    assert (d.outcome, d.value, d.low, d.high, d.method) == ("pass", 0.8, None, None, "point")
    assert _gate(_runs(15, 20), confidence=None).outcome == "fail"
    assert _gate(_runs(3, 20), op="<=", threshold=0.2, confidence=None).outcome == "pass"


def test_three_way_decision_with_an_interval() -> None:
    clear = _gate(_runs(98, 100))
    assert clear.outcome == "pass"
    assert clear.low is not None
    assert clear.low >= 0.8
    bad = _gate(_runs(10, 20))
    assert bad.outcome == "fail"
    assert bad.high is not None
    assert bad.high < 0.8
    unsure = _gate(_runs(17, 20))
    assert unsure.outcome == "inconclusive"
    assert unsure.method == "wilson"
    assert unsure.needed_n == _stats.sample_size_for(0.85, 0.8)
    assert (unsure.n, unsure.n_inputs, unsure.confidence) == (20, 20, 0.95)
    # an upper bound: a failure rate gate
    assert _gate(_runs(1, 100), op="<=", threshold=0.1).outcome == "pass"
    assert _gate(_runs(60, 100), op="<=", threshold=0.1).outcome == "fail"
    assert {d.outcome for d in (clear, bad, unsure)} <= set(OUTCOMES)


def test_repeats_are_clustered_and_reducers_count_inputs() -> None:
    clusters = [[1.0, 1.0, 0.0]] * 7 + [[1.0, 1.0, 1.0]] * 13
    mean = _gate(clusters)
    assert mean.method == "clustered-wilson"
    assert (mean.n, mean.n_inputs) == (60, 20)
    assert mean.value == pytest.approx(53 / 60)
    pass_k = _gate(clusters, reduce="all")
    assert pass_k.value == pytest.approx(13 / 20)
    assert (pass_k.n, pass_k.method) == (20, "wilson")
    assert pass_k.needed_n is not None
    # the hint counts tasks: inputs needed times the repeats each costs
    inputs = _stats.sample_size_for(0.65, 0.8)
    assert inputs is not None
    assert pass_k.needed_n == 3 * inputs
    assert _gate(clusters, reduce="any").value == 1.0


def test_mean_and_worst_case_metrics() -> None:
    scores = [[0.9], [0.8], [0.95], [0.85], [0.9], [0.92], [0.88], [0.91]]
    d = _gate(scores, metric="mean", threshold=0.7)
    assert (d.outcome, d.method) == ("pass", "t")
    worst = _gate(scores, metric="min", threshold=0.85)
    assert (worst.outcome, worst.method, worst.value) == ("fail", "point", 0.8)
    assert _gate(scores, metric="max", op="<=", threshold=0.95).outcome == "pass"
    few = _gate([[0.9], [0.5]], metric="mean", threshold=0.6)
    assert few.outcome == "inconclusive"
    assert few.needed_n is not None
    assert few.needed_n > 2


def test_equal_scores_are_not_certain() -> None:
    d = _gate([[1.0]] * 5, metric="mean", threshold=0.9)
    assert (d.outcome, d.method, d.note) == ("inconclusive", "wilson", EQUAL_SCORES_NOTE)
    w = _stats.wilson_interval(5, 5)
    assert (d.low, d.high) == pytest.approx((w.low, w.high))
    # ratings outside [0, 1] keep the t interval (no bound is known)
    assert _gate([[4.0]] * 5, metric="mean", threshold=3.0).outcome == "pass"


def test_no_values_fail_with_a_note() -> None:
    d = _gate([])
    assert (d.outcome, d.value, d.n, d.note) == ("fail", None, 0, NO_VALUES_NOTE)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (
            {"metric": "median"},
            UNKNOWN_METRIC.format(metric="median", valid="pass_rate, mean, min, max"),
        ),
        ({"op": ">"}, UNKNOWN_OP.format(op=">", valid=">=, <=")),
        (
            {"reduce": "median"},
            UNKNOWN_REDUCER.format(how="median", valid="mean, all, any, majority"),
        ),
        ({"confidence": 1.0}, _stats.CONFIDENCE_RANGE.format(value=1.0)),
        ({"sequential": True, "looks": 0}, BAD_LOOKS.format(looks=0)),
    ],
)
def test_bad_arguments_are_clear_errors(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        _gate(_runs(5, 10), **kw)
    assert str(info.value) == message


def test_sequential_decisions_are_wider_than_one_look() -> None:
    once = _gate(_runs(90, 100))
    cs = _gate(_runs(90, 100), sequential=True)
    spent = _gate(_runs(90, 100), sequential=True, looks=7)
    assert cs.method == "confidence-sequence"
    assert spent.method == "wilson-bonferroni"
    assert "7 planned look" in spent.note
    for d in (cs, spent):
        assert d.low is not None
        assert once.low is not None
        assert d.low < once.low
    # bounds outside [0, 1] cannot use the sequence: the fixed interval is shown, and said so
    ratings = _gate([[4.0], [5.0], [4.0], [3.0]], metric="mean", threshold=2.0, sequential=True)
    assert (ratings.method, ratings.note) == ("t", UNBOUNDED_NOTE)
    bounded = _gate(
        [[4.0], [5.0], [4.0], [3.0]],
        metric="mean",
        threshold=2.0,
        sequential=True,
        bounds=(1.0, 5.0),
    )
    assert bounded.method == "confidence-sequence"


def test_statistical_gate_does_not_flake_where_the_point_rule_does() -> None:
    # seeded: 200 suites of 20 tasks at a true pass rate of 0.85, gate 0.8
    rng = random.Random(7)
    point = stat = 0
    for _ in range(200):
        runs = [[1.0 if rng.random() < 0.85 else 0.0] for _ in range(20)]
        point += _gate(runs, confidence=None).outcome == "fail"
        stat += _gate(runs).outcome == "fail"
    print(f"false failures of 200: point rule {point}, statistical gate {stat}")
    assert point > 20
    assert stat <= 5


def _keyed(values: list[float], prefix: str = "in") -> dict[str, list[float]]:
    return {f"{prefix}{i}": [v] for i, v in enumerate(values)}


def test_regression_needs_confident_evidence_of_a_drop_beyond_the_margin() -> None:
    base = [1.0] * 90 + [0.0] * 10
    worse = [0.0] * 12 + [1.0] * 78 + [0.0] * 10  # 12 inputs flipped to fail: 12-point drop
    d = decide_regression(
        _keyed(worse), _keyed(base), kind="boolean", max_drop=0.0, confidence=0.95
    )
    assert d.outcome == "regression"
    assert (d.method, d.paired, d.n_inputs) == ("mcnemar-mid-p", True, 100)
    assert d.value == pytest.approx(-0.12)
    # one-sided mid-p: all 12 discordant pairs are losses: exact 0.5**12 less half of P(X = 0)
    assert d.p_value == pytest.approx(0.5**12 - 0.5 * 0.5**12)
    assert (d.current, d.baseline) == (pytest.approx(0.78), pytest.approx(0.9))
    # the same drop within a 10-point margin is not confidently beyond it
    margin = decide_regression(
        _keyed(worse), _keyed(base), kind="boolean", max_drop=0.1, confidence=0.95
    )
    assert margin.outcome == "no_change"
    better = decide_regression(
        _keyed(base), _keyed(worse), kind="boolean", max_drop=0.0, confidence=0.95
    )
    assert better.outcome == "improvement"
    same = decide_regression(
        _keyed(base), _keyed(base), kind="boolean", max_drop=0.0, confidence=0.95
    )
    # identical runs: no change, and an interval around 0 (not the point [0, 0])
    assert (same.outcome, same.value) == ("no_change", 0.0)
    assert same.low == pytest.approx(-same.high)
    assert same.low < 0 < same.high


def test_regression_is_a_one_sided_test_at_one_minus_confidence() -> None:
    # 2 wins, 9 losses: one-sided mid-p = P(X <= 2 | 11, 1/2) - P(X = 2) / 2 = (67 - 27.5)/2048
    # = 0.019: a regression at 0.95 (one-sided 5 %), though the two-sided exact McNemar p
    # (0.065) is above 0.05
    pairs = [(1.0, 0.0)] * 2 + [(0.0, 1.0)] * 9 + [(1.0, 1.0)] * 60
    cur = {f"k{i}": [a] for i, (a, _) in enumerate(pairs)}
    base = {f"k{i}": [b] for i, (_, b) in enumerate(pairs)}
    d = decide_regression(cur, base, kind="boolean", max_drop=0.0, confidence=0.95)
    assert d.p_value == pytest.approx((67 - 27.5) / 2048)
    assert (d.confidence, d.interval_confidence) == (0.95, pytest.approx(0.90))
    assert _stats.mcnemar_exact(2, 9) > 0.05
    assert d.outcome == "regression"
    assert decide_regression(cur, base, kind="boolean", max_drop=0.0, confidence=0.99).outcome == (
        "no_change"
    )


def test_false_alarms_when_nothing_changed_stay_below_five_percent() -> None:
    # exact, not simulated: two runs of the same system on 50 inputs whose difficulty is
    # p ~ Beta(0.8, 0.2) (correlated results, as real evals show). A pair is (pass, pass),
    # (pass, fail), (fail, pass) or (fail, fail) with the probabilities below, so the chance of
    # a false alarm is the multinomial sum over every table the gate calls a regression.
    n, a, b = 50, 0.8, 0.2
    both, split, neither = a * (a + 1) / 2, a * b / 2, b * (b + 1) / 2  # E[p^2], E[p(1-p)], ...

    def alarms(pairs: list[tuple[float, float]]) -> bool:
        d = decide_regression(
            {f"k{i}": [x] for i, (x, _) in enumerate(pairs)},
            {f"k{i}": [y] for i, (_, y) in enumerate(pairs)},
            kind="boolean",
            max_drop=0.0,
            confidence=0.95,
        )
        return d.outcome == "regression"

    alarm = _stats.paired_alarm_probability(n, both, split, neither, alarms)
    print(f"false alarms: {alarm:.4f}")
    assert 0.03 < alarm <= 0.05


def test_noisy_small_drop_is_not_a_regression() -> None:
    base = [1.0] * 8 + [0.0] * 2
    cur = [0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]  # one flip in ten
    d = decide_regression(_keyed(cur), _keyed(base), kind="boolean", max_drop=0.0, confidence=0.95)
    assert d.outcome == "no_change"


def test_lower_is_better_flips_the_direction() -> None:
    base = _keyed([0.1 * (i % 5) for i in range(40)])
    higher = {k: [v[0] + 0.3] for k, v in base.items()}
    d = decide_regression(
        higher, base, kind="numeric", max_drop=0.1, confidence=0.95, higher_is_better=False
    )
    assert (d.outcome, d.method) == ("regression", "paired-bootstrap")
    up = decide_regression(higher, base, kind="numeric", max_drop=0.1, confidence=0.95)
    assert up.outcome == "improvement"


def test_inputs_that_do_not_pair_fall_back_to_unpaired_and_say_so() -> None:
    base = _keyed([1.0] * 95 + [0.0] * 5, "old")
    cur = _keyed([1.0] * 60 + [0.0] * 40, "new")
    d = decide_regression(cur, base, kind="boolean", max_drop=0.0, confidence=0.95)
    assert (d.outcome, d.paired, d.method) == ("regression", False, "newcombe-wilson")
    assert "do not pair" in d.note
    numeric = decide_regression(cur, base, kind="numeric", max_drop=0.0, confidence=0.95)
    assert numeric.method == "welch-t"


def test_repeats_in_a_regression_compare_per_input_rates() -> None:
    base = {f"k{i}": [1.0, 1.0, 1.0] for i in range(30)}
    cur = {f"k{i}": [1.0, 0.0, 0.0] if i < 20 else [1.0, 1.0, 1.0] for i in range(30)}
    d = decide_regression(cur, base, kind="boolean", max_drop=0.05, confidence=0.95)
    assert (d.outcome, d.method) == ("regression", "paired-bootstrap")
    assert "per-input pass rates" in d.note


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), True])
def test_bad_max_drop(bad: float) -> None:
    with pytest.raises(ValueError) as info:
        decide_regression({}, {}, kind="boolean", max_drop=bad, confidence=0.95)
    assert str(info.value) == BAD_MAX_DROP.format(value=bad)


def test_unknown_kind() -> None:
    with pytest.raises(ValueError) as info:
        compare(_keyed([1.0]), _keyed([1.0]), kind="text")
    assert str(info.value) == UNKNOWN_KIND.format(kind="text", valid="boolean, numeric")


def test_compare_pairs_variants_on_common_inputs() -> None:
    control = _keyed([1.0] * 30 + [0.0] * 20)
    variant = _keyed([1.0] * 45 + [0.0] * 5)
    r = compare(variant, control, kind="boolean", min_difference=0.05)
    assert r.paired
    assert r.n_pairs == 50
    assert r.difference == pytest.approx(0.3)
    assert r.low > 0.05
    assert r.margin == 0.05


def test_adaptive_schedule_doubles_up_to_the_cap() -> None:
    done, batches = 0, []
    while (more := next_batch(done, 10, 100)) > 0:
        batches.append(more)
        done += more
    assert batches == [10, 10, 20, 40, 20]
    assert done == 100
    assert planned_looks(10, 100) == 5
    assert planned_looks(10, 10) == 1
    assert next_batch(100, 10, 100) == 0
    with pytest.raises(ValueError) as info:
        next_batch(0, 20, 10)
    assert str(info.value) == BAD_SCHEDULE.format(count=20, max_count=10)
