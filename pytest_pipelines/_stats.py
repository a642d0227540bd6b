"""Statistics behind the verdicts: intervals, paired and unpaired comparisons, sample sizes.

Pure functions on plain numbers (standard library only: no pytest, no I/O), so the gate code,
the baseline comparison and the reliability benchmark all call the same arithmetic.

Sources, by name (the formulas are re-derived here, not copied):

- Wilson (1927) score interval; Brown, Cai & DasGupta (2001), "Interval Estimation for a
  Binomial Proportion", for why Wilson rather than the Wald interval at small n.
- Clopper & Pearson (1934) exact interval, through the beta quantile; the regularized incomplete
  beta by its continued fraction (modified Lentz), as in Press et al., "Numerical Recipes".
- Student's t quantiles through the same incomplete beta.
- Miller (2024), "Adding Error Bars to Evals: A Statistical Approach to Language Model
  Evaluations": clustered standard errors when several values share one input.
- McNemar (1947), exact form: a binomial test on the discordant pairs; its mid-p form after
  Fagerland, Lydersen & Laake (2013), "The McNemar test for binary matched-pairs data: mid-p
  and asymptotic are better than exact conditional" (BMC Med Res Methodol 13:91).
- Newcombe (1998), "Improved confidence intervals for the difference between binomial
  proportions based on paired data" (his method 10), for the paired proportion interval.
- Newcombe (1998), "Interval estimation for the difference between independent proportions"
  (the hybrid score interval, his method 10), for the unpaired proportion fallback.
- Efron (1987), "Better bootstrap confidence intervals" (BCa), for the paired numeric test.
- Welch (1947) for the unpaired numeric fallback.
- Robbins (1970), "Statistical methods related to the law of the iterated logarithm", and
  Howard, Ramdas, McAuliffe & Sekhon (2021), "Time-uniform, nonparametric, nonasymptotic
  confidence sequences": the beta-binomial mixture confidence sequence, valid for any bounded
  values because they are sub-Bernoulli.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

CONFIDENCE_RANGE = "confidence must be a number strictly between 0 and 1 (e.g. 0.95), got {value!r}"
COUNTS_RANGE = "successes must be between 0 and n (n >= 0), got successes={successes!r}, n={n!r}"
OUT_OF_BOUNDS = (
    "confidence_sequence needs values within [lower, upper] = [{lower!r}, {upper!r}]; {value!r} is "
    "outside: pass the bounds the values can take"
)
BAD_BOUNDS = "lower must be below upper, got lower={lower!r}, upper={upper!r}"
NOT_FINITE = "{what} must be finite numbers, got {value!r}"

BOOTSTRAP_RESAMPLES = 2000
#: the method of the paired pass/fail comparison: mid-p McNemar p-value, Newcombe interval
METHOD_PAIRED = "mcnemar-mid-p"
#: the same with the exact conditional McNemar p-value (``mid_p=False``)
METHOD_PAIRED_EXACT = "mcnemar-exact"
BOOTSTRAP_SEED = 20240101
_BISECT_STEPS = 200


@dataclass(frozen=True)
class Interval:
    """A two-sided interval for a rate or a mean at a confidence level.

    ``n_effective`` is the sample size the interval is worth (fewer than the values when
    repeats of one input are correlated); ``None`` where it does not apply.
    """

    low: float
    high: float
    confidence: float
    method: str
    n_effective: float | None = None

    def contains(self, value: float) -> bool:
        """True when ``value`` lies in the closed interval."""
        return self.low <= value <= self.high


@dataclass(frozen=True)
class PairedResult:
    """The difference ``mean(a) - mean(b)`` of two runs with its interval and p-value.

    ``p_value`` is two-sided, for "no difference"; ``paired`` is False when the inputs did not
    pair and an unpaired test was used; ``margin`` is the margin the caller asked about;
    ``exact_p_value`` is the exact conditional McNemar p-value of a paired pass/fail comparison
    (None for the other tests), kept next to the mid-p one.
    """

    difference: float
    low: float
    high: float
    p_value: float | None
    n_pairs: int
    paired: bool
    method: str
    confidence: float = 0.95
    margin: float = 0.0
    exact_p_value: float | None = None


def check_confidence(confidence: float) -> float:
    """Return ``confidence`` if it lies strictly between 0 and 1, else raise ValueError."""
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, (int, float))
        or not 0.0 < confidence < 1.0
    ):
        raise ValueError(CONFIDENCE_RANGE.format(value=confidence))
    return float(confidence)


def _finite(values: Sequence[float], what: str) -> list[float]:
    out = [float(v) for v in values]
    for v in out:
        if not math.isfinite(v):
            raise ValueError(NOT_FINITE.format(what=what, value=v))
    return out


@lru_cache(maxsize=256)
def z_value(confidence: float) -> float:
    """The standard normal quantile for a two-sided interval at ``confidence``."""
    alpha = 1.0 - check_confidence(confidence)
    return NormalDist().inv_cdf(1.0 - alpha / 2.0)


# --- special functions -------------------------------------------------------------------------


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    # modified Lentz evaluation of the continued fraction for I_x(a, b)
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - _log_beta(a, b))
    # the continued fraction converges fast only below the mean; use the symmetry above it
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def beta_ppf(q: float, a: float, b: float) -> float:
    """The ``q`` quantile of the Beta(a, b) distribution (bisection on :func:`betainc`)."""
    if q <= 0.0:
        return 0.0
    if q >= 1.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(_BISECT_STEPS):
        mid = (lo + hi) / 2.0
        if betainc(a, b, mid) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    return (lo + hi) / 2.0


def t_cdf(t: float, df: float) -> float:
    """The CDF of Student's t distribution with ``df`` degrees of freedom."""
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


@lru_cache(maxsize=1024)
def t_ppf(q: float, df: float) -> float:
    """The ``q`` quantile of Student's t distribution with ``df`` degrees of freedom."""
    if not 0.0 < q < 1.0:
        raise ValueError(f"t_ppf needs 0 < q < 1, got {q!r}")
    if q == 0.5:
        return 0.0
    upper = q > 0.5
    tail = 2.0 * ((1.0 - q) if upper else q)
    # P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2): invert for x, then solve for t
    x = beta_ppf(tail, df / 2.0, 0.5)
    t = math.sqrt(df * (1.0 - x) / x) if x > 0 else math.inf
    return t if upper else -t


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return 1.0 - betainc(k + 1.0, float(n - k), p)


# --- one-sample intervals ----------------------------------------------------------------------


def _wilson(p: float, n: float, z: float) -> tuple[float, float]:
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = (z / denom) * math.sqrt(max(p * (1.0 - p), 0.0) / n + z2 / (4.0 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a proportion.

    :param successes: the number of passes, 0 to ``n``.
    :param n: the number of trials; 0 gives the uninformative interval [0, 1].
    :param confidence: two-sided confidence level in (0, 1); default 0.95.
    """
    z = z_value(confidence)
    if not 0 <= successes <= n:
        raise ValueError(COUNTS_RANGE.format(successes=successes, n=n))
    if n == 0:
        return Interval(0.0, 1.0, confidence, "wilson", 0.0)
    low, high = _wilson(successes / n, float(n), z)
    return Interval(low, high, confidence, "wilson", float(n))


@lru_cache(maxsize=4096)
def clopper_pearson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Clopper-Pearson exact interval for a proportion (conservative: coverage >= confidence).

    :param successes: the number of passes, 0 to ``n``.
    :param n: the number of trials; 0 gives [0, 1].
    :param confidence: two-sided confidence level in (0, 1); default 0.95.
    """
    alpha = 1.0 - check_confidence(confidence)
    if not 0 <= successes <= n:
        raise ValueError(COUNTS_RANGE.format(successes=successes, n=n))
    if n == 0:
        return Interval(0.0, 1.0, confidence, "clopper-pearson", 0.0)
    low = 0.0 if successes == 0 else beta_ppf(alpha / 2.0, successes, n - successes + 1.0)
    high = 1.0 if successes == n else beta_ppf(1.0 - alpha / 2.0, successes + 1.0, n - successes)
    return Interval(low, high, confidence, "clopper-pearson", float(n))


def _clustered_variance(clusters: Sequence[Sequence[float]], mean: float, n: int) -> float:
    # Miller (2024): the clustered variance of the mean sums the residuals within each cluster
    # before squaring, so correlated repeats of one input count once, not K times.
    return sum(sum(v - mean for v in c) ** 2 for c in clusters) / (n * n)


def clustered_proportion_interval(
    clusters: Sequence[Sequence[float]], confidence: float = 0.95
) -> Interval:
    """Wilson-style interval for a pass rate whose values are grouped by input.

    The clustered standard error (Miller 2024) gives an effective sample size
    ``p(1-p) / SE^2`` (at most the number of values); the Wilson formula is then applied at that
    size. With one value per input it equals :func:`wilson_interval`. When every value is equal
    (all pass or all fail) the data say nothing about the correlation, so the number of inputs
    is used: the conservative choice.

    :param clusters: per input, its values in [0, 1] (booleans as 0/1).
    :param confidence: two-sided confidence level in (0, 1); default 0.95.
    """
    z = z_value(confidence)
    groups = [c for c in clusters if len(c)]
    flat = _finite([v for c in groups for v in c], "values")
    n = len(flat)
    if n == 0:
        return Interval(0.0, 1.0, confidence, "clustered-wilson", 0.0)
    p = math.fsum(flat) / n
    if n == len(groups):
        low, high = _wilson(min(1.0, max(0.0, p)), float(n), z)
        return Interval(low, high, confidence, "wilson", float(n))
    variance = _clustered_variance(groups, p, n)
    spread = p * (1.0 - p)
    if spread <= 0.0:
        n_eff = float(len(groups))
    elif variance <= 0.0:
        n_eff = float(n)
    else:
        n_eff = min(float(n), max(1.0, spread / variance))
    low, high = _wilson(min(1.0, max(0.0, p)), n_eff, z)
    return Interval(low, high, confidence, "clustered-wilson", n_eff)


def mean_interval(
    values: Sequence[float],
    confidence: float = 0.95,
    *,
    clusters: Sequence[Hashable] | None = None,
) -> Interval:
    """Student t interval for a mean, clustered by input when labels are given.

    A t interval rather than a bootstrap: at the small n of an eval suite (10 to 50 values) the
    percentile bootstrap under-covers, while the t interval is exact for normal data and close
    for bounded scores. With ``clusters`` the standard error is Miller's clustered one and the
    degrees of freedom are (inputs - 1). Fewer than two values (or inputs) give an infinite
    interval; values that are all equal give a zero-width one.

    :param values: the values.
    :param confidence: two-sided confidence level in (0, 1); default 0.95.
    :param clusters: a label per value (the input it belongs to); default None, independent.
    """
    check_confidence(confidence)
    xs = _finite(values, "values")
    n = len(xs)
    if clusters is not None and len(clusters) != n:
        raise ValueError(
            f"clusters must give one label per value: {len(clusters)} labels for {n} values"
        )
    if n == 0:
        return Interval(-math.inf, math.inf, confidence, "t", 0.0)
    mean = math.fsum(xs) / n
    if clusters is None:
        groups_n = n
        variance = math.fsum((x - mean) ** 2 for x in xs) / (n - 1) / n if n > 1 else math.inf
        method = "t"
    else:
        by: dict[Hashable, list[float]] = {}
        for label, x in zip(clusters, xs, strict=True):
            by.setdefault(label, []).append(x)
        groups_n = len(by)
        # Miller's clustered variance; scaled by C/(C-1) so one value per input gives s^2/n
        raw = _clustered_variance(list(by.values()), mean, n)
        variance = raw * groups_n / (groups_n - 1) if groups_n > 1 else math.inf
        method = "clustered-t" if groups_n < n else "t"
    if groups_n < 2 or math.isinf(variance):
        return Interval(-math.inf, math.inf, confidence, method, 0.0)
    half = t_ppf(1.0 - (1.0 - confidence) / 2.0, groups_n - 1.0) * math.sqrt(variance)
    sample_var = math.fsum((x - mean) ** 2 for x in xs) / (n - 1) if n > 1 else 0.0
    n_eff = min(float(n), sample_var / variance) if variance > 0 else float(n)
    return Interval(mean - half, mean + half, confidence, method, n_eff)


# --- anytime-valid ----------------------------------------------------------------------------


def _log_mixture(s: float, t: float, p: float) -> float:
    # log of Robbins' beta-binomial mixture martingale against the candidate mean p, with a
    # uniform Beta(1, 1) mixing distribution
    return _log_beta(1.0 + s, 1.0 + t - s) - s * math.log(p) - (t - s) * math.log1p(-p)


@lru_cache(maxsize=4096)
def _cs_bounds(s: float, t: float, alpha: float) -> tuple[float, float]:
    """The beta-binomial confidence sequence on [0, 1] after ``t`` values summing to ``s``."""
    if t <= 0:
        return 0.0, 1.0
    target = math.log(1.0 / alpha)
    centre = min(1.0, max(0.0, s / t))

    def outside(p: float) -> bool:
        return _log_mixture(s, t, p) >= target

    def edge(inside: float, out: float) -> float:
        for _ in range(_BISECT_STEPS):
            mid = (inside + out) / 2.0
            if outside(mid):
                out = mid
            else:
                inside = mid
            if abs(out - inside) < 1e-12:
                break
        return inside

    eps = 1e-300
    low = 0.0 if s <= 0 or not outside(eps) else edge(centre, 0.0)
    high = 1.0 if s >= t or not outside(1.0 - 1e-16) else edge(centre, 1.0)
    return max(0.0, low), min(1.0, high)


def confidence_sequence(
    values: Sequence[float],
    confidence: float = 0.95,
    *,
    lower: float = 0.0,
    upper: float = 1.0,
) -> Interval:
    """Anytime-valid interval for the mean of bounded values (valid under repeated looks).

    The beta-binomial mixture of Robbins (1970), in the form of Howard et al. (2021): the
    chance that the true mean EVER leaves the interval, at any of the looks an adaptive run
    takes, is at most ``1 - confidence``. Bounded values are sub-Bernoulli, so the bound holds
    for scores as well as for 0/1 results (it is conservative for scores with a small spread).
    The price of validity under optional stopping is width: wider than Wilson at the same n.

    :param values: the values in the order they were observed.
    :param confidence: two-sided confidence level in (0, 1); default 0.95.
    :param lower: the smallest value possible; default 0.
    :param upper: the largest value possible; default 1.
    """
    alpha = 1.0 - check_confidence(confidence)
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise ValueError(BAD_BOUNDS.format(lower=lower, upper=upper))
    width = upper - lower
    s = 0.0
    for v in _finite(values, "values"):
        if not lower <= v <= upper:
            raise ValueError(OUT_OF_BOUNDS.format(lower=lower, upper=upper, value=v))
        s += (v - lower) / width
    low, high = _cs_bounds(s, float(len(values)), alpha)
    return Interval(
        lower + low * width, lower + high * width, confidence, "confidence-sequence", None
    )


# --- sample size -------------------------------------------------------------------------------


def sample_size_for(
    rate: float,
    threshold: float,
    confidence: float = 0.95,
    *,
    design_effect: float = 1.0,
    variance: float | None = None,
    sequential: bool = False,
) -> int | None:
    """About how many values would make an interval around ``rate`` exclude ``threshold``.

    For a proportion: the Wilson interval is the inversion of the score test, so ``threshold``
    leaves it once ``n >= z^2 t(1-t) / (rate - t)^2``. With ``variance`` (a mean's) the normal
    formula ``z^2 variance / (rate - t)^2`` is used. ``design_effect`` (values per effective
    value, for repeats) scales the result. With ``sequential`` the anytime-valid sequence is
    searched instead (it needs more). ``None`` when the rate equals the threshold: no sample size
    would decide it.

    :param rate: the observed rate (or mean).
    :param threshold: the gate's threshold.
    :param confidence: two-sided confidence level in (0, 1); default 0.95.
    :param design_effect: values per effective value; default 1.
    :param variance: the values' variance for a mean; default None (a proportion).
    :param sequential: size the confidence sequence instead; default False.
    """
    z = z_value(confidence)
    gap = abs(rate - threshold)
    if gap < 1e-12 or not math.isfinite(gap):
        return None
    scale = max(1.0, design_effect)
    if sequential and variance is None and 0.0 <= rate <= 1.0 and 0.0 < threshold < 1.0:
        target = math.log(1.0 / (1.0 - confidence))

        def decides(t: int) -> bool:
            # the threshold leaves the sequence once the mixture martingale there reaches 1/alpha
            return _log_mixture(rate * t, float(t), threshold) >= target

        hi = 1
        while not decides(hi):
            hi *= 2
            if hi > 10**9:
                return None
        lo = hi // 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if decides(mid):
                hi = mid
            else:
                lo = mid
        return max(1, math.ceil(hi * scale))
    # the score test's variance at the threshold, or the mean's own variance
    spread = threshold * (1.0 - threshold) if variance is None else max(variance, 0.0)
    if spread <= 0.0:
        return max(1, math.ceil(scale))
    return max(1, math.ceil(z * z * spread / (gap * gap) * scale))


# --- two-sample comparisons -------------------------------------------------------------------


def _discordant(b: int, c: int) -> tuple[int, int]:
    """``(b + c, min(b, c))`` of McNemar's discordant counts; ValueError when one is negative."""
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0, got b={b!r}, c={c!r}")
    return b + c, min(b, c)


def _lower_tail(m: int, k: int) -> int:
    """``2**m * P(X <= k)`` for ``X ~ Binomial(m, 1/2)``, exactly (an integer)."""
    return sum(math.comb(m, i) for i in range(k + 1))


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value from the discordant pair counts ``b`` and ``c``.

    Under "no difference" each discordant pair is a fair coin: ``b ~ Binomial(b + c, 1/2)``;
    the p-value doubles the smaller tail (capped at 1). No discordant pairs give 1.
    """
    m, k = _discordant(b, c)
    if m == 0:
        return 1.0
    return min(1.0, 2 * _lower_tail(m, k) / (1 << m))


def mcnemar_mid_p(b: int, c: int) -> float:
    """Two-sided mid-p McNemar p-value from the discordant pair counts ``b`` and ``c``.

    The exact p-value less the probability of the observed split: ``2 * (P(X <= k) -
    P(X = k) / 2)`` with ``k = min(b, c)`` and ``X ~ Binomial(b + c, 1/2)``, i.e. twice the
    exact one-sided p-value less half the point probability; ``1 - P(X = k) / 2`` when
    ``b == c``; 1 with no discordant pair. Fagerland, Lydersen & Laake (2013) found it kept the
    nominal level in all 9,595 scenarios they computed, while the exact test stays far below
    the level and so misses real differences.
    """
    m, k = _discordant(b, c)
    if m == 0:
        return 1.0
    point = math.comb(m, k)
    if b == c:
        return 1.0 - point / (2 << m)
    return (2 * _lower_tail(m, k) - point) / (1 << m)


def paired_alarm_probability(
    n: int,
    both: float,
    split: float,
    neither: float,
    alarms: Callable[[list[tuple[float, float]]], bool],
) -> float:
    """The exact probability that a pass/fail comparison of ``n`` independent pairs alarms.

    Each pair is ``(1, 1)`` with probability ``both``, ``(1, 0)`` or ``(0, 1)`` with ``split``
    each, ``(0, 0)`` with ``neither`` (``both + 2 * split + neither == 1``); the sum runs over
    every 2x2 table of ``n`` pairs with more ``(0, 1)`` than ``(1, 0)`` pairs (the only tables
    a gate can call the first run worse on), weighting each table ``alarms`` is true for by its
    multinomial probability. Two runs of one system give the false-alarm rate of a regression
    gate, exactly rather than by simulation. ``alarms`` gets the table as a list of
    ``(first, second)`` pairs; it is called ``O(n**3)`` times.
    """
    total = 0.0
    for wins in range(n + 1):
        for losses in range(wins + 1, n + 1 - wins):
            for e in range(n - wins - losses + 1):
                h = n - wins - losses - e
                pairs = [(1.0, 1.0)] * e + [(1.0, 0.0)] * wins + [(0.0, 1.0)] * losses
                pairs += [(0.0, 0.0)] * h
                if alarms(pairs):
                    total += math.exp(
                        math.lgamma(n + 1)
                        - sum(math.lgamma(k + 1) for k in (e, wins, losses, h))
                        + e * math.log(both)
                        + (wins + losses) * math.log(split)
                        + h * math.log(neither)
                    )
    return total


def _is_binary(values: Sequence[float]) -> bool:
    return all(v in (0.0, 1.0) for v in values)


def _newcombe_paired(
    both: int, wins: int, losses: int, neither: int, confidence: float
) -> tuple[float, float]:
    """Newcombe's (1998) method 10 interval for a paired difference of proportions.

    Each run's pass rate gets a Wilson interval; the difference's bounds combine their distances
    from the estimates (square and add) less twice their correlation, estimated by the phi
    coefficient of the 2x2 table with Newcombe's continuity correction (``ad - bc`` shrunk by
    ``n / 2`` towards 0 when positive, kept when negative; 0 when a margin of the table is 0).
    It never collapses onto the estimate: all-concordant pairs give a symmetric interval around
    0, and discordant pairs that all go one way still leave room on both sides.

    :param both: pairs where both runs passed (Newcombe's ``e``).
    :param wins: pairs where only the first run passed (``f``).
    :param losses: pairs where only the second run passed (``g``).
    :param neither: pairs where both failed (``h``).
    :param confidence: two-sided confidence level in (0, 1).
    """
    z = z_value(confidence)
    n = both + wins + losses + neither
    p1, p2 = (both + wins) / n, (both + losses) / n
    l1, u1 = _wilson(p1, float(n), z)
    l2, u2 = _wilson(p2, float(n), z)
    margins = (both + wins) * (losses + neither) * (both + losses) * (wins + neither)
    phi = 0.0
    if margins > 0:
        cross = float(both * neither - wins * losses)
        if cross > n / 2.0:
            cross -= n / 2.0
        elif cross >= 0:
            cross = 0.0
        phi = cross / math.sqrt(margins)
    d = p1 - p2
    below = (p1 - l1) ** 2 - 2.0 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2
    above = (u1 - p1) ** 2 - 2.0 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2
    return max(-1.0, d - math.sqrt(max(below, 0.0))), min(1.0, d + math.sqrt(max(above, 0.0)))


def paired_proportion_test(
    pairs: Sequence[tuple[float, float]],
    *,
    margin: float = 0.0,
    confidence: float = 0.95,
    mid_p: bool = True,
) -> PairedResult:
    """Paired difference of two pass rates: Newcombe's paired interval, mid-p McNemar p-value.

    For 0/1 pairs ``(a, b)``: wins ``w`` (a passes, b fails), losses ``l``, ``n`` pairs; the
    difference is ``(w - l) / n``. The interval is Newcombe's (1998) method 10 for paired data
    (:func:`_newcombe_paired`): unconditional, so it stays a real interval when every discordant
    pair goes one way or when there is none (an interval conditional on the discordant count
    would end exactly at the estimate there). The p-value is the mid-p McNemar test on the
    discordant pairs (:func:`mcnemar_mid_p`). The two are separate calculations: near the 5 %
    boundary the interval may just include 0 while the p-value is just below 0.05, or the
    reverse; decisions use the interval. Pairs that are not 0/1 (means over repeats) are passed to
    :func:`paired_mean_test`.

    :param pairs: (current, baseline) per input.
    :param margin: the margin the caller will compare the interval with; default 0.
    :param confidence: two-sided confidence level in (0, 1); default 0.95.
    :param mid_p: report the mid-p McNemar p-value (Fagerland et al. 2013: it keeps the level
        where the exact one stays far below it, and agrees with the interval's decisions more
        often); False reports the exact conditional one. ``exact_p_value`` holds the exact one
        either way. Default True.
    """
    check_confidence(confidence)
    a = _finite([p[0] for p in pairs], "pair values")
    b = _finite([p[1] for p in pairs], "pair values")
    if not (_is_binary(a) and _is_binary(b)):
        return paired_mean_test(pairs, margin=margin, confidence=confidence)
    method = METHOD_PAIRED if mid_p else METHOD_PAIRED_EXACT
    n = len(a)
    if n == 0:
        return PairedResult(0.0, -1.0, 1.0, None, 0, True, method, confidence, margin)
    both = sum(1 for x, y in zip(a, b, strict=True) if x == y == 1.0)
    wins = sum(1 for x, y in zip(a, b, strict=True) if x > y)
    losses = sum(1 for x, y in zip(a, b, strict=True) if x < y)
    low, high = _newcombe_paired(both, wins, losses, n - both - wins - losses, confidence)
    exact = mcnemar_exact(wins, losses)
    return PairedResult(
        (wins - losses) / n,
        low,
        high,
        mcnemar_mid_p(wins, losses) if mid_p else exact,
        n,
        True,
        method,
        confidence,
        margin,
        exact_p_value=exact,
    )


def _bca_interval(
    diffs: Sequence[float], confidence: float, resamples: int, seed: int
) -> tuple[float, float, float]:
    """BCa bootstrap interval and two-sided p-value (for 0) of the mean of ``diffs``."""
    n = len(diffs)
    mean = math.fsum(diffs) / n
    rng = random.Random(seed)
    boots = sorted(math.fsum(rng.choices(diffs, k=n)) / n for _ in range(resamples))
    below = sum(1 for x in boots if x < mean) + 0.5 * sum(1 for x in boots if x == mean)
    norm = NormalDist()
    frac = min(max(below / resamples, 1.0 / (resamples + 1)), 1.0 - 1.0 / (resamples + 1))
    z0 = norm.inv_cdf(frac)
    total = math.fsum(diffs)
    jack = [(total - d) / (n - 1) for d in diffs]
    jmean = math.fsum(jack) / n
    num = math.fsum((jmean - j) ** 3 for j in jack)
    den = math.fsum((jmean - j) ** 2 for j in jack)
    accel = num / (6.0 * den**1.5) if den > 0 else 0.0

    def quantile(level: float) -> float:
        z = norm.inv_cdf(level)
        adj = norm.cdf(z0 + (z0 + z) / (1.0 - accel * (z0 + z)))
        pos = min(max(adj * (resamples - 1), 0.0), resamples - 1.0)
        lo_i = math.floor(pos)
        hi_i = min(lo_i + 1, resamples - 1)
        return boots[lo_i] + (boots[hi_i] - boots[lo_i]) * (pos - lo_i)

    alpha = 1.0 - confidence
    low, high = quantile(alpha / 2.0), quantile(1.0 - alpha / 2.0)
    # p-value: the level at which a BCa bound reaches 0 (inverting the adjusted percentiles)
    at_zero = sum(1 for x in boots if x < 0.0) + 0.5 * sum(1 for x in boots if x == 0.0)
    q = min(max(at_zero / resamples, 1.0 / (resamples + 1)), 1.0 - 1.0 / (resamples + 1))
    w = norm.inv_cdf(q) - z0
    u = w / (1.0 + accel * w)
    one_sided = norm.cdf(u - z0)
    p_value = min(1.0, 2.0 * min(one_sided, 1.0 - one_sided))
    return low, high, p_value


def paired_mean_test(
    pairs: Sequence[tuple[float, float]],
    *,
    margin: float = 0.0,
    confidence: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> PairedResult:
    """Paired difference of two means: BCa bootstrap over the inputs with a fixed seed.

    A bootstrap of the mean difference rather than Wilcoxon's signed-rank test: the gate is
    about the mean (a drop in the average score), and Wilcoxon tests a shift of the median of
    the differences, which can disagree with the mean for the skewed, tied scores evals give.
    Resampling whole inputs keeps repeats of one input together. BCa (Efron 1987) corrects the
    percentile interval's bias and skew; the fixed seed makes a verdict reproducible.

    :param pairs: (current, baseline) per input.
    :param margin: the margin the caller will compare the interval with; default 0.
    :param confidence: two-sided confidence level in (0, 1); default 0.95.
    :param resamples: bootstrap resamples; default 2000.
    :param seed: the random seed; default a fixed constant.
    """
    check_confidence(confidence)
    diffs = [
        x - y
        for x, y in zip(
            _finite([p[0] for p in pairs], "pair values"),
            _finite([p[1] for p in pairs], "pair values"),
            strict=True,
        )
    ]
    n = len(diffs)
    method = "paired-bootstrap"
    if n == 0:
        return PairedResult(0.0, -math.inf, math.inf, None, 0, True, method, confidence, margin)
    mean = math.fsum(diffs) / n
    if n == 1:
        return PairedResult(mean, -math.inf, math.inf, None, 1, True, method, confidence, margin)
    if max(diffs) - min(diffs) < 1e-12:
        # every input moved by the same amount: the bootstrap has nothing to resample
        return PairedResult(
            mean, mean, mean, 1.0 if abs(mean) < 1e-12 else 0.0, n, True, method, confidence, margin
        )
    low, high, p = _bca_interval(diffs, confidence, resamples, seed)
    return PairedResult(mean, low, high, p, n, True, method, confidence, margin)


def unpaired_proportion_test(
    a: Sequence[float], b: Sequence[float], *, margin: float = 0.0, confidence: float = 0.95
) -> PairedResult:
    """Difference of two independent pass rates: Newcombe's hybrid score interval.

    Each rate gets a Wilson interval; the difference's interval combines their distances from
    the estimates (Newcombe 1998, method 10). The p-value is the pooled two-proportion score
    test. Values may be fractions (an input's mean over repeats).

    :param a: the current run's values in [0, 1].
    :param b: the baseline's values in [0, 1].
    :param margin: the margin the caller will compare the interval with; default 0.
    :param confidence: two-sided confidence level in (0, 1); default 0.95.
    """
    z = z_value(confidence)
    xa, xb = _finite(a, "values"), _finite(b, "values")
    n1, n2 = len(xa), len(xb)
    method = "newcombe-wilson"
    if n1 == 0 or n2 == 0:
        return PairedResult(0.0, -1.0, 1.0, None, 0, False, method, confidence, margin)
    p1, p2 = math.fsum(xa) / n1, math.fsum(xb) / n2
    l1, u1 = _wilson(p1, n1, z)
    l2, u2 = _wilson(p2, n2, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    p_value = 1.0 if se == 0 else 2.0 * (1.0 - NormalDist().cdf(abs(d) / se))
    return PairedResult(d, low, high, p_value, 0, False, method, confidence, margin)


def unpaired_mean_test(
    a: Sequence[float], b: Sequence[float], *, margin: float = 0.0, confidence: float = 0.95
) -> PairedResult:
    """Difference of two independent means: Welch's t interval and test.

    :param a: the current run's values.
    :param b: the baseline's values.
    :param margin: the margin the caller will compare the interval with; default 0.
    :param confidence: two-sided confidence level in (0, 1); default 0.95.
    """
    check_confidence(confidence)
    xa, xb = _finite(a, "values"), _finite(b, "values")
    n1, n2 = len(xa), len(xb)
    method = "welch-t"
    if n1 == 0 or n2 == 0:
        return PairedResult(0.0, -math.inf, math.inf, None, 0, False, method, confidence, margin)
    m1, m2 = math.fsum(xa) / n1, math.fsum(xb) / n2
    d = m1 - m2
    if n1 < 2 or n2 < 2:
        return PairedResult(d, -math.inf, math.inf, None, 0, False, method, confidence, margin)
    v1 = math.fsum((x - m1) ** 2 for x in xa) / (n1 - 1) / n1
    v2 = math.fsum((x - m2) ** 2 for x in xb) / (n2 - 1) / n2
    se2 = v1 + v2
    if se2 == 0:
        p = 1.0 if d == 0 else 0.0
        return PairedResult(d, d, d, p, 0, False, method, confidence, margin)
    df = se2**2 / ((v1**2 / (n1 - 1) if v1 else 0.0) + (v2**2 / (n2 - 1) if v2 else 0.0))
    half = t_ppf(1.0 - (1.0 - confidence) / 2.0, df) * math.sqrt(se2)
    t = d / math.sqrt(se2)
    p = 2.0 * (1.0 - t_cdf(abs(t), df))
    return PairedResult(d, d - half, d + half, min(1.0, p), 0, False, method, confidence, margin)
