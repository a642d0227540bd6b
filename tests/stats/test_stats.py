"""The statistics behind the verdicts, checked against published values and, where installed,
against scipy (a test-only oracle)."""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import pytest

from pytest_pipelines import _stats
from pytest_pipelines._stats import (
    CONFIDENCE_RANGE,
    clopper_pearson_interval,
    clustered_proportion_interval,
    confidence_sequence,
    mcnemar_exact,
    mcnemar_mid_p,
    mean_interval,
    paired_alarm_probability,
    paired_mean_test,
    paired_proportion_test,
    sample_size_for,
    unpaired_mean_test,
    unpaired_proportion_test,
    wilson_interval,
)

# Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Stat Med 17:857-872, Table II: the score (Wilson) and exact (Clopper-Pearson)
# intervals of his four examples, to 4 decimals.
NEWCOMBE_SINGLE = [
    # successes, n, wilson (low, high), clopper-pearson (low, high)
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0, 0.1611), (0.0, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]

# Newcombe (1998), "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Stat Med 17:873-890, Table II, method 10 (hybrid score).
NEWCOMBE_DIFFERENCE = [
    ((56, 70), (48, 80), (0.0524, 0.3339)),
    ((9, 10), (3, 10), (0.1705, 0.8090)),
    ((6, 7), (2, 7), (0.0582, 0.8062)),
    ((5, 56), (0, 29), (-0.0381, 0.1926)),
    ((0, 10), (0, 20), (-0.1611, 0.2775)),
    ((0, 10), (0, 10), (-0.2775, 0.2775)),
    ((10, 10), (0, 20), (0.6791, 1.0)),
    ((10, 10), (0, 10), (0.6075, 1.0)),
]

# Student's t, two-sided 95 % (the 0.975 quantile), from any printed table.
T_TABLE = [(1, 12.706), (2, 4.303), (5, 2.571), (10, 2.228), (30, 2.042), (120, 1.980)]


def _ones(k: int, n: int) -> list[float]:
    return [1.0] * k + [0.0] * (n - k)


@pytest.mark.parametrize(("x", "n", "wilson", "exact"), NEWCOMBE_SINGLE)
def test_single_proportion_intervals_match_newcombe(
    x: int, n: int, wilson: tuple[float, float], exact: tuple[float, float]
) -> None:
    w = wilson_interval(x, n)
    c = clopper_pearson_interval(x, n)
    assert (round(w.low, 4), round(w.high, 4)) == wilson
    assert (round(c.low, 4), round(c.high, 4)) == exact
    assert (w.method, c.method) == ("wilson", "clopper-pearson")


@pytest.mark.parametrize(("a", "b", "expected"), NEWCOMBE_DIFFERENCE)
def test_unpaired_difference_matches_newcombe_method_10(
    a: tuple[int, int], b: tuple[int, int], expected: tuple[float, float]
) -> None:
    r = unpaired_proportion_test(_ones(*a), _ones(*b))
    assert (round(r.low, 4), round(r.high, 4)) == expected
    assert r.difference == pytest.approx(a[0] / a[1] - b[0] / b[1])
    assert not r.paired


@pytest.mark.parametrize(("df", "quantile"), T_TABLE)
def test_t_quantiles_match_the_table(df: int, quantile: float) -> None:
    assert round(_stats.t_ppf(0.975, df), 3) == quantile
    assert _stats.t_ppf(0.025, df) == pytest.approx(-quantile, abs=5e-4)


def test_clopper_pearson_coverage_is_at_least_nominal_by_exact_enumeration() -> None:
    # exact coverage: sum the binomial probabilities of the outcomes whose interval covers p
    n = 20
    intervals = [clopper_pearson_interval(x, n) for x in range(n + 1)]
    for p in (0.05, 0.3, 0.5, 0.77, 0.8, 0.95):
        coverage = sum(
            math.comb(n, x) * p**x * (1 - p) ** (n - x)
            for x, iv in enumerate(intervals)
            if iv.contains(p)
        )
        assert coverage >= 0.95, (p, coverage)


def test_wilson_is_inside_clopper_pearson_and_zero_n_is_uninformative() -> None:
    for x in range(31):
        w, c = wilson_interval(x, 30), clopper_pearson_interval(x, 30)
        assert c.low <= w.low + 1e-12
        assert w.high <= c.high + 1e-12
    assert (wilson_interval(0, 0).low, wilson_interval(0, 0).high) == (0.0, 1.0)
    assert (clopper_pearson_interval(0, 0).low, clopper_pearson_interval(0, 0).high) == (0.0, 1.0)


def test_all_pass_and_all_fail_edges() -> None:
    assert wilson_interval(20, 20).high == 1.0
    assert wilson_interval(20, 20).low == pytest.approx(0.8389, abs=1e-4)
    assert wilson_interval(0, 20).low == 0.0
    assert clopper_pearson_interval(20, 20).low == pytest.approx(0.025 ** (1 / 20))
    assert clopper_pearson_interval(0, 20).high == pytest.approx(1 - 0.025 ** (1 / 20))


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, float("nan"), True, "0.95"])
def test_confidence_outside_zero_one_is_a_clear_error(bad: object) -> None:
    message = CONFIDENCE_RANGE.format(value=bad)
    for call in (
        lambda: wilson_interval(1, 2, bad),  # type: ignore[arg-type]
        lambda: clopper_pearson_interval(1, 2, bad),  # type: ignore[arg-type]
        lambda: clustered_proportion_interval([[1.0]], bad),  # type: ignore[arg-type]
        lambda: mean_interval([1.0, 2.0], bad),  # type: ignore[arg-type]
        lambda: confidence_sequence([1.0], bad),  # type: ignore[arg-type]
        lambda: paired_proportion_test([(1.0, 0.0)], confidence=bad),  # type: ignore[arg-type]
        lambda: unpaired_mean_test([1.0], [2.0], confidence=bad),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message


def test_counts_out_of_range_are_errors() -> None:
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(3, 2)
    with pytest.raises(ValueError, match="between 0 and n"):
        clopper_pearson_interval(-1, 2)


def test_clustered_interval_equals_wilson_with_one_value_per_input() -> None:
    clusters = [[1.0]] * 17 + [[0.0]] * 3
    c, w = clustered_proportion_interval(clusters), wilson_interval(17, 20)
    assert (c.low, c.high) == pytest.approx((w.low, w.high))
    assert c.method == "wilson"
    assert c.n_effective == 20


def test_perfectly_correlated_repeats_count_once() -> None:
    # every repeat of an input agrees: 3 repeats carry no more information than 1
    clusters = [[1.0] * 3] * 17 + [[0.0] * 3] * 3
    c, w = clustered_proportion_interval(clusters), wilson_interval(17, 20)
    assert (c.low, c.high) == pytest.approx((w.low, w.high))
    assert c.n_effective == pytest.approx(20)
    assert c.method == "clustered-wilson"
    naive = wilson_interval(51, 60)
    assert c.high - c.low > naive.high - naive.low


def test_independent_looking_repeats_keep_their_weight() -> None:
    # residuals cancel inside each input (each has one pass and one fail): no clustering penalty
    clusters = [[1.0, 0.0]] * 10
    c = clustered_proportion_interval(clusters)
    w = wilson_interval(10, 20)
    assert (c.low, c.high) == pytest.approx((w.low, w.high))


def test_clustered_variance_is_millers_formula() -> None:
    # Miller (2024), eq. for SE_clustered: naive variance plus within-cluster cross terms
    clusters = [[1.0, 1.0, 1.0], [0.0, 0.0], [1.0], [1.0, 1.0, 0.0, 0.0], [0.0]]
    flat = [v for c in clusters for v in c]
    n, mean = len(flat), sum(flat) / len(flat)
    naive = sum((x - mean) ** 2 for x in flat) / n**2
    cross = (
        sum(
            (c[i] - mean) * (c[j] - mean)
            for c in clusters
            for i in range(len(c))
            for j in range(len(c))
            if i != j
        )
        / n**2
    )
    se = math.sqrt(naive + cross)
    n_eff = mean * (1 - mean) / se**2
    assert n_eff < n  # correlated repeats: worth fewer than their count
    z = _stats.z_value(0.95)
    expected = _stats._wilson(mean, n_eff, z)
    got = clustered_proportion_interval(clusters)
    assert (got.low, got.high) == pytest.approx(expected)
    assert got.n_effective == pytest.approx(n_eff)


def test_mean_interval_is_a_t_interval_and_clusters_widen_it() -> None:
    values = [0.2, 0.4, 0.9, 0.7, 0.5]
    iv = mean_interval(values)
    s = math.sqrt(sum((x - 0.54) ** 2 for x in values) / 4)
    half = 2.7764451 * s / math.sqrt(5)  # t(0.975, 4)
    assert (iv.low, iv.high) == pytest.approx((0.54 - half, 0.54 + half), abs=1e-6)
    # the same values as two correlated inputs: fewer independent units, a wider interval
    grouped = mean_interval([0.2, 0.2, 0.2, 0.9, 0.9, 0.9], clusters=[1, 1, 1, 2, 2, 2])
    flat = mean_interval([0.2, 0.2, 0.2, 0.9, 0.9, 0.9])
    assert grouped.high - grouped.low > flat.high - flat.low
    assert grouped.method == "clustered-t"
    assert mean_interval([0.5]).high == math.inf
    with pytest.raises(ValueError, match="one label per value"):
        mean_interval([1.0, 2.0], clusters=[1])


def test_mcnemar_exact_is_the_doubled_binomial_tail() -> None:
    assert mcnemar_exact(2, 8) == 2 * (1 + 10 + 45) / 1024
    assert mcnemar_exact(8, 2) == mcnemar_exact(2, 8)
    assert mcnemar_exact(0, 5) == 2 / 32
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    with pytest.raises(ValueError, match=">= 0"):
        mcnemar_exact(-1, 2)


def test_paired_alarm_probability_is_the_sum_over_every_sequence_of_pairs() -> None:
    # the oracle walks all 4**n ordered sequences of pairs, the helper the 2x2 tables
    n, both, split, neither = 5, 0.5, 0.15, 0.2
    cells = {(1.0, 1.0): both, (1.0, 0.0): split, (0.0, 1.0): split, (0.0, 0.0): neither}

    def worse_by_two(pairs: list[tuple[float, float]]) -> bool:
        return pairs.count((0.0, 1.0)) - pairs.count((1.0, 0.0)) >= 2

    seen: list[list[tuple[float, float]]] = []

    def recorded(pairs: list[tuple[float, float]]) -> bool:
        seen.append(pairs)
        return worse_by_two(pairs)

    oracle = sum(
        math.prod(cells[pair] for pair in sequence)
        for sequence in itertools.product(cells, repeat=n)
        if worse_by_two(list(sequence))
    )
    assert paired_alarm_probability(n, both, split, neither, recorded) == pytest.approx(oracle)
    assert 0.0 < oracle < 1.0
    # every table once, each of n pairs with more losses than wins
    assert all(len(t) == n and t.count((0.0, 1.0)) > t.count((1.0, 0.0)) for t in seen)
    assert len({tuple(t) for t in seen}) == len(seen)
    # an always-alarming gate: P(more losses than wins), half of all the unequal splits
    unequal = 1.0 - sum(
        math.prod(cells[pair] for pair in sequence)
        for sequence in itertools.product(cells, repeat=n)
        if sequence.count((0.0, 1.0)) == sequence.count((1.0, 0.0))
    )
    always = paired_alarm_probability(n, both, split, neither, lambda pairs: True)
    assert always == pytest.approx(unequal / 2)


def _one_sided_exact(k: int, m: int) -> Fraction:
    # P(X <= k) for X ~ Binomial(m, 1/2), summed exactly: an oracle independent of _stats
    return Fraction(sum(math.comb(m, i) for i in range(k + 1)), 2**m)


def test_mcnemar_mid_p_known_values() -> None:
    # Fagerland, Lydersen & Laake (2013), worked example (Bentur et al.: 1 and 7 discordant
    # pairs): exact p = 2 * 9/256 = 0.0703, mid-p = 0.0703 - 8/256 = 0.039
    assert mcnemar_exact(1, 7) == pytest.approx(18 / 256)
    assert mcnemar_mid_p(1, 7) == pytest.approx(10 / 256)
    assert round(mcnemar_mid_p(1, 7), 3) == 0.039
    # by hand: 2 of 10: exact one-sided (1 + 10 + 45)/1024, point probability 45/1024
    assert mcnemar_mid_p(2, 8) == pytest.approx((2 * 56 - 45) / 1024)
    assert mcnemar_mid_p(8, 2) == mcnemar_mid_p(2, 8)
    assert mcnemar_mid_p(0, 5) == pytest.approx(1 / 32)  # 2 * (1/32 - 1/64)
    assert mcnemar_mid_p(5, 5) == pytest.approx(1 - 252 / 2048)  # a tie: 1 - P(X = 5) / 2
    assert mcnemar_mid_p(0, 0) == 1.0
    with pytest.raises(ValueError, match=">= 0"):
        mcnemar_mid_p(-1, 2)


def test_mcnemar_mid_p_is_the_exact_one_sided_p_less_half_the_point_probability() -> None:
    for m in range(1, 41):
        for k in range(m + 1):
            if 2 * k == m:
                continue
            low = min(k, m - k)
            exact = _one_sided_exact(low, m)
            point = Fraction(math.comb(m, low), 2**m)
            assert mcnemar_mid_p(k, m - k) == pytest.approx(float(2 * (exact - point / 2)))
            assert mcnemar_exact(k, m - k) == pytest.approx(float(min(1, 2 * exact)))
            assert mcnemar_mid_p(k, m - k) < mcnemar_exact(k, m - k)


def test_paired_interval_and_mcnemar_disagree_only_at_the_boundary() -> None:
    # Newcombe's interval and the McNemar test are separate calculations. The mid-p p-value
    # (reported) agrees with the interval's verdict on all but 2 of these 512 tables, just past
    # 0.05; the exact one (kept as exact_p_value) is conservative and disagrees 13 times as often
    mid_p_disagree = exact_disagree = 0
    for concordant in (20, 60):
        for b in range(16):
            for c in range(16):
                pairs = [(1.0, 0.0)] * b + [(0.0, 1.0)] * c + [(1.0, 1.0)] * concordant
                r = paired_proportion_test(pairs)
                excludes_zero = r.low > 0 or r.high < 0
                assert r.p_value is not None
                assert r.exact_p_value == mcnemar_exact(b, c)
                assert r.p_value == mcnemar_mid_p(b, c)
                if excludes_zero != (r.p_value < 0.05):
                    mid_p_disagree += 1
                    assert excludes_zero, (b, c, r)
                    assert 0.05 <= r.p_value < 0.055, (b, c, r)
                exact_disagree += excludes_zero != (r.exact_p_value < 0.05)
                assert r.method == "mcnemar-mid-p"
    print(f"disagreements with the interval: mid-p {mid_p_disagree}, exact {exact_disagree}")
    assert (mid_p_disagree, exact_disagree) == (2, 26)
    exact = paired_proportion_test([(1.0, 0.0)] * 2 + [(0.0, 1.0)] * 9, mid_p=False)
    assert (exact.method, exact.p_value) == ("mcnemar-exact", mcnemar_exact(2, 9))


def test_paired_proportions_with_fractions_use_the_bootstrap() -> None:
    r = paired_proportion_test([(0.5, 1.0), (1.0, 1.0), (0.0, 0.5), (1.0, 0.5)])
    assert r.method == "paired-bootstrap"


def test_paired_bootstrap_is_reproducible_and_sees_a_consistent_drop() -> None:
    rng = random.Random(1)
    pairs = [(b - 0.1 + rng.gauss(0, 0.05), b) for b in (rng.random() for _ in range(40))]
    one, two = paired_mean_test(pairs), paired_mean_test(pairs)
    assert one == two
    assert one.high < 0
    assert one.p_value is not None
    assert one.p_value < 0.001
    # changes that cancel out: the interval straddles 0
    noise = [
        (x + e * sign, x)
        for x, e in ((rng.random(), rng.gauss(0, 0.05)) for _ in range(20))
        for sign in (1, -1)
    ]
    r = paired_mean_test(noise)
    assert r.difference == pytest.approx(0.0, abs=1e-12)
    assert r.low < 0 < r.high
    assert r.p_value is not None
    assert r.p_value > 0.5


def test_unpaired_mean_test_is_welch() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0, 10.0]
    r = unpaired_mean_test(a, b)
    assert r.difference == pytest.approx(-3.5)
    assert r.method == "welch-t"
    assert r.low < -3.5 < r.high


def test_sample_size_is_the_inverted_score_test() -> None:
    n = sample_size_for(0.85, 0.8)
    assert n is not None
    # the Wilson interval around 0.85 at that n excludes 0.8, one fewer does not
    assert wilson_interval(round(0.85 * n), n).low >= 0.8 - 1e-3
    assert sample_size_for(0.8, 0.8) is None
    assert sample_size_for(0.85, 0.8, design_effect=2.0) == pytest.approx(2 * n, abs=1)
    sequential = sample_size_for(0.85, 0.8, sequential=True)
    assert sequential is not None
    assert sequential > n


def test_confidence_sequence_is_wider_than_wilson_at_every_n() -> None:
    for n in (5, 20, 100, 400):
        for k in (0, n // 3, n // 2, n - 1, n):
            cs = confidence_sequence(_ones(k, n))
            w = wilson_interval(k, n)
            assert cs.low <= w.low + 1e-12
            assert cs.high >= w.high - 1e-12
    assert confidence_sequence([]).low == 0.0
    assert confidence_sequence([]).high == 1.0


def test_confidence_sequence_rescales_bounded_scores() -> None:
    cs = confidence_sequence([3.0, 4.0, 5.0, 4.0], lower=1.0, upper=5.0)
    unit = confidence_sequence([0.5, 0.75, 1.0, 0.75])
    assert cs.low == pytest.approx(1 + 4 * unit.low)
    assert cs.high == pytest.approx(1 + 4 * unit.high)
    with pytest.raises(ValueError, match="outside"):
        confidence_sequence([2.0])
    with pytest.raises(ValueError, match="lower must be below upper"):
        confidence_sequence([0.5], lower=1.0, upper=1.0)


def test_confidence_sequence_holds_under_repeated_looks_where_wilson_does_not() -> None:
    # seeded simulation: look after every value; count the sequences that EVER exclude the
    # true rate. Anytime-valid: at most 5 %. Wilson peeked at every n: far more.
    rng = random.Random(2024)
    p, runs, length = 0.8, 60, 150
    cs_miss = wilson_miss = 0
    for _ in range(runs):
        values: list[float] = []
        cs_out = wilson_out = False
        for _ in range(length):
            values.append(1.0 if rng.random() < p else 0.0)
            s = int(sum(values))
            cs_out = cs_out or not confidence_sequence(values).contains(p)
            wilson_out = wilson_out or not wilson_interval(s, len(values)).contains(p)
        cs_miss += cs_out
        wilson_miss += wilson_out
    print(
        f"ever excluded the true rate: sequence {cs_miss}/{runs}, peeked Wilson {wilson_miss}/{runs}"
    )
    assert cs_miss / runs <= 0.05
    assert wilson_miss > 3 * max(cs_miss, 1)


# --- scipy as an oracle (a test-only dependency) ------------------------------------------------


def test_against_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    special = pytest.importorskip("scipy.special")
    for a, b, x in [(0.5, 0.5, 0.3), (2.0, 3.0, 0.7), (30.0, 2.0, 0.9), (100.0, 120.0, 0.45)]:
        assert _stats.betainc(a, b, x) == pytest.approx(float(special.betainc(a, b, x)), abs=1e-12)
    for q, a, b in [(0.025, 81, 183), (0.975, 1, 29), (0.5, 3.5, 0.5)]:
        assert _stats.beta_ppf(q, a, b) == pytest.approx(float(stats.beta.ppf(q, a, b)), abs=1e-10)
    for df in (1, 3, 7.5, 29, 250):
        for q in (0.6, 0.975, 0.995):
            assert _stats.t_ppf(q, df) == pytest.approx(float(stats.t.ppf(q, df)), abs=1e-8)
        assert _stats.t_cdf(1.7, df) == pytest.approx(float(stats.t.cdf(1.7, df)), abs=1e-10)
    for b, c in [(3, 9), (12, 4), (0, 7), (40, 61)]:
        expected = stats.binomtest(b, b + c, 0.5).pvalue
        assert mcnemar_exact(b, c) == pytest.approx(float(expected), rel=1e-9)
    for x, n in [(0, 10), (4, 10), (17, 20), (81, 263)]:
        lo, hi = stats.binomtest(x, n).proportion_ci(0.95, method="wilson")
        assert (wilson_interval(x, n).low, wilson_interval(x, n).high) == pytest.approx((lo, hi))
        lo, hi = stats.binomtest(x, n).proportion_ci(0.95, method="exact")
        cp = clopper_pearson_interval(x, n)
        assert (cp.low, cp.high) == pytest.approx((lo, hi), abs=1e-9)
    a, b = [0.1, 0.5, 0.2, 0.9, 0.4], [0.3, 0.8, 0.7, 0.6, 0.9, 0.8]
    welch = stats.ttest_ind(a, b, equal_var=False)
    ours = unpaired_mean_test(a, b)
    assert ours.p_value == pytest.approx(float(welch.pvalue), rel=1e-6)
    lo, hi = welch.confidence_interval(0.95)
    assert (ours.low, ours.high) == pytest.approx((lo, hi), rel=1e-6)
    values = [0.2, 0.4, 0.9, 0.7, 0.5, 0.55]
    lo, hi = stats.t.interval(0.9, len(values) - 1, loc=sum(values) / 6, scale=stats.sem(values))
    iv = mean_interval(values, 0.9)
    assert (iv.low, iv.high) == pytest.approx((lo, hi))
