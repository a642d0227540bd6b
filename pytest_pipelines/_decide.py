"""Decisions: a gate's pass / fail / inconclusive, a baseline's regression, the adaptive schedule.

Pure functions over per-input values (booleans as 0/1), built on :mod:`pytest_pipelines._stats`.
The gate code (``_gates``), the baseline comparison and the reliability benchmark all decide
through these, so the benchmark measures the verdicts users get.

The rules, stated once:

- Threshold, no confidence: the point rule (``value >= threshold`` passes), today's meaning.
- Threshold with a confidence level: *pass* when the interval clears the threshold, *fail* when
  it lies wholly on the wrong side, else *inconclusive* with the sample size that would likely
  decide it. A true rate at the threshold fails at most (1 - confidence) / 2 of the time.
- Regression against a baseline: *regression* only on confident evidence of a drop larger than
  ``max_drop`` (the one-sided lower bound of the drop lies above ``max_drop``); *improvement*
  when the one-sided bound of the change lies above 0; else *no_change*. A noisy run therefore
  rarely blocks a merge by itself: when nothing changed, false alarms stay near
  1 - confidence. For pass/fail pairs the bounds are Newcombe's paired interval, whose
  decisions match a mid-p McNemar test's (the p-value reported): neither guarantees the bound
  as the exact conditional test does, but both keep it in every no-change cell of
  benchmarks/bench_gate_reliability.py, where the exact test stays far below it and so misses
  real drops.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_pipelines import _stats

OUTCOMES = ("pass", "fail", "inconclusive", "regression", "improvement", "no_change")
PASS_FAIL_REDUCERS = ("mean", "all", "any", "majority")
NUMERIC_REDUCERS = ("mean", "median", "min")
METRICS = ("pass_rate", "mean", "min", "max")
OPS = (">=", "<=")
KINDS = ("boolean", "numeric")

UNKNOWN_REDUCER = "unknown reduce {how!r}: valid values are {valid}"
UNKNOWN_METRIC = "unknown metric {metric!r}: valid values are {valid}"
UNKNOWN_OP = "unknown op {op!r}: valid values are {valid}"
UNKNOWN_KIND = "unknown kind {kind!r}: valid values are {valid}"
EMPTY_INPUT = "reduce_input needs at least one value for an input"
BAD_MAX_DROP = "max_drop must be a finite number >= 0 (e.g. 0.05), got {value!r}"
BAD_SCHEDULE = (
    "adaptive sampling needs 1 <= count <= max_count, got count={count!r}, max_count={max_count!r}"
)
NO_VALUES_NOTE = "no values to judge"
EQUAL_SCORES_NOTE = (
    "every score is equal, so the t interval has no width; the Wilson interval of the mean "
    "(the widest that scores in [0, 1] allow) is used"
)
UNBOUNDED_NOTE = (
    "values outside [0, 1]: the anytime-valid interval needs bounds, so the fixed-sample "
    "t interval is shown (it is not valid under repeated looks)"
)

LOOKS_NOTE = "level split over {looks} planned look(s): each look's interval is at {level:.4g}"
BAD_LOOKS = "looks must be an integer >= 1 (the planned number of looks), got {looks!r}"

_EPS = 1e-9


def reduce_input(values: Sequence[float], how: str) -> float:
    """Reduce one input's repeated values to one value.

    ``mean`` averages; ``all`` is pass^k (the lowest value: 1 only if every repeat passed);
    ``any`` is pass@k (the highest value); ``majority`` is 1 when more than half pass (a tie
    fails); ``median`` and ``min`` for numeric scores.

    :param values: the input's values (booleans as 0/1).
    :param how: one of ``PASS_FAIL_REDUCERS`` or ``NUMERIC_REDUCERS``.
    """
    if how not in PASS_FAIL_REDUCERS + NUMERIC_REDUCERS:
        valid = ", ".join(dict.fromkeys(PASS_FAIL_REDUCERS + NUMERIC_REDUCERS))
        raise ValueError(UNKNOWN_REDUCER.format(how=how, valid=valid))
    if not values:
        raise ValueError(EMPTY_INPUT)
    xs = [float(v) for v in values]
    if how == "mean":
        return math.fsum(xs) / len(xs)
    if how in ("all", "min"):
        return min(xs)
    if how == "any":
        return max(xs)
    if how == "majority":
        return 1.0 if sum(1 for x in xs if x >= 0.5) * 2 > len(xs) else 0.0
    return float(statistics.median(xs))


@dataclass(frozen=True)
class Decision:
    """A gate's or a comparison's outcome with the numbers behind it.

    For a threshold: ``value`` is the metric and ``low``/``high`` its interval. For a
    regression: ``value`` is the change ``current - baseline`` and ``low``/``high`` its
    interval; ``current`` and ``baseline`` are the two means.
    """

    outcome: str
    metric: str
    value: float | None
    low: float | None
    high: float | None
    confidence: float | None
    threshold: float | None
    op: str | None
    n: int
    n_inputs: int
    method: str
    p_value: float | None = None
    needed_n: int | None = None
    note: str = ""
    current: float | None = None
    baseline: float | None = None
    paired: bool | None = None
    #: the two-sided level of ``low``/``high`` when it differs from ``confidence``: a
    #: regression's bounds are one-sided at ``confidence``, so together they span
    #: ``2 * confidence - 1`` (0.90 at 0.95)
    interval_confidence: float | None = None

    @property
    def decided(self) -> bool:
        """True unless the outcome is inconclusive."""
        return self.outcome != "inconclusive"


def _check_choice(value: str, valid: tuple[str, ...], message: str, key: str) -> None:
    if value not in valid:
        raise ValueError(message.format(**{key: value, "valid": ", ".join(valid)}))


def _point(value: float, op: str, threshold: float) -> bool:
    return value >= threshold - _EPS if op == ">=" else value <= threshold + _EPS


def decide_threshold(
    clusters: Sequence[Sequence[float]],
    *,
    metric: str,
    op: str,
    threshold: float,
    confidence: float | None,
    reduce: str = "mean",
    sequential: bool = False,
    looks: int | None = None,
    bounds: tuple[float, float] | None = None,
) -> Decision:
    """Decide one threshold of a gate from per-input values.

    ``pass_rate`` with ``reduce="mean"`` counts every task, with a Wilson interval clustered by
    input when inputs repeat; ``all``/``any``/``majority`` reduce each input first and count
    inputs. ``mean`` uses a t interval (clustered for ``reduce="mean"``). ``min``/``max`` are
    worst cases over the inputs' reduced values and always use the point rule.

    Adaptive sampling looks at the data several times, so one look's interval is not enough.
    With ``sequential`` and ``looks`` the level is split over the planned looks (Bonferroni:
    each look uses ``1 - (1 - confidence) / looks``); with ``sequential`` alone the interval
    is the anytime-valid confidence sequence, valid for any number of looks. Both keep the
    chance of a wrong decision at any look below ``1 - confidence``.

    :param clusters: per input, its repeats' values (booleans as 0/1), in the order observed.
    :param metric: ``pass_rate``, ``mean``, ``min`` or ``max``.
    :param op: ``>=`` (a lower bound) or ``<=`` (an upper bound).
    :param threshold: the threshold.
    :param confidence: the confidence level, or None for the point rule.
    :param reduce: how an input's repeats reduce; default ``mean``.
    :param sequential: the data are looked at repeatedly (adaptive sampling); default False.
    :param looks: the most looks the schedule takes (:func:`planned_looks`); default None:
        unknown, so the anytime-valid confidence sequence is used.
    :param bounds: the range values can take, for the sequential interval of a mean; default
        None: [0, 1] when every value lies there.
    """
    _check_choice(metric, METRICS, UNKNOWN_METRIC, "metric")
    _check_choice(op, OPS, UNKNOWN_OP, "op")
    valid = PASS_FAIL_REDUCERS if metric == "pass_rate" else NUMERIC_REDUCERS
    _check_choice(reduce, valid, UNKNOWN_REDUCER, "how")
    if confidence is not None:
        _stats.check_confidence(confidence)
    if looks is not None and (isinstance(looks, bool) or not isinstance(looks, int) or looks < 1):
        raise ValueError(BAD_LOOKS.format(looks=looks))
    groups = [c for c in clusters if len(c)]
    flat = [v for g in groups for v in g]
    n = len(flat)
    n_inputs = len(groups)

    def make(
        outcome: str,
        value: float | None,
        interval: _stats.Interval | None,
        n: int,
        method: str,
        needed: int | None = None,
        note: str = "",
    ) -> Decision:
        return Decision(
            outcome,
            metric=metric,
            value=value,
            low=interval.low if interval else None,
            high=interval.high if interval else None,
            confidence=confidence,
            threshold=threshold,
            op=op,
            n=n,
            n_inputs=n_inputs,
            method=method,
            needed_n=needed,
            note=note,
        )

    if n == 0:
        return make("fail", None, None, 0, "point", note=NO_VALUES_NOTE)
    repeated = n > n_inputs
    per_task = reduce == "mean" and metric in ("pass_rate", "mean")
    # with one value per input every reducer is the identity
    reduced = [reduce_input(g, reduce) for g in groups] if repeated else [g[0] for g in groups]
    if metric == "min":
        value = min(reduced)
    elif metric == "max":
        value = max(reduced)
    elif per_task:
        value = math.fsum(flat) / n
    else:
        value = math.fsum(reduced) / n_inputs
    judged = n if per_task else n_inputs

    if confidence is None or metric in ("min", "max"):
        outcome = "pass" if _point(value, op, threshold) else "fail"
        return make(outcome, value, None, judged, "point")

    note = ""
    level = confidence
    use_cs = sequential and looks is None
    if sequential and looks is not None:
        # alpha spent evenly over the planned looks (Bonferroni): each look's interval is
        # wider, and the chance that ANY look errs stays at most 1 - confidence
        level = 1.0 - (1.0 - confidence) / looks
        note = LOOKS_NOTE.format(looks=looks, level=level)
    # the confidence sequence sees one value per input when inputs repeat (inputs are the
    # independent units), else every value in the order observed
    units = [math.fsum(g) / len(g) for g in groups] if repeated and per_task else flat
    if not per_task:
        units = reduced
    lo_b, hi_b = bounds if bounds is not None else (0.0, 1.0)
    in_bounds = use_cs and lo_b <= min(units) and max(units) <= hi_b
    if use_cs and in_bounds:
        interval = _stats.confidence_sequence(units, level, lower=lo_b, upper=hi_b)
        method = interval.method
        design = judged / len(units)
    else:
        if use_cs:
            note = UNBOUNDED_NOTE
        if metric == "pass_rate":
            interval = _stats.clustered_proportion_interval(
                groups if per_task else [[r] for r in reduced], level
            )
        elif per_task:
            labels = [i for i, g in enumerate(groups) for _ in g]
            interval = _stats.mean_interval(flat, level, clusters=labels)
        else:
            interval = _stats.mean_interval(reduced, level)
        if (
            metric == "mean"
            and interval.low == interval.high
            and 0.0 <= min(flat) <= max(flat) <= 1.0
        ):
            # equal scores give the t interval zero width, which would call 3 perfect scores
            # certain; scores in [0, 1] vary at most like pass/fail results, so Wilson bounds them
            interval = _stats.clustered_proportion_interval(
                groups if per_task else [[r] for r in reduced], level
            )
            note = note or EQUAL_SCORES_NOTE
        method = interval.method + ("-bonferroni" if level != confidence else "")
        design = judged / interval.n_effective if interval.n_effective else 1.0

    low, high = interval.low, interval.high
    if op == ">=":
        outcome = "pass" if low >= threshold - _EPS else "fail" if high < threshold - _EPS else ""
    else:
        outcome = "pass" if high <= threshold + _EPS else "fail" if low > threshold + _EPS else ""
    needed: int | None = None
    if not outcome:
        outcome = "inconclusive"
        needed = _needed(
            value,
            threshold,
            level,
            design=design,
            metric=metric,
            values=flat if per_task else reduced,
            sequential_bounds=(lo_b, hi_b) if use_cs and in_bounds else None,
        )
        if needed is not None:
            if not per_task and repeated:
                # the hint counts inputs; each input costs its repeats
                needed = math.ceil(needed * n / n_inputs)
            needed = max(needed, judged + 1)
    return make(outcome, value, interval, judged, method, needed, note)


def _needed(
    value: float,
    threshold: float,
    level: float,
    *,
    design: float,
    metric: str,
    values: Sequence[float],
    sequential_bounds: tuple[float, float] | None,
) -> int | None:
    """About how many tasks would decide an inconclusive gate (None: none would)."""
    if sequential_bounds is not None:
        lo_b, hi_b = sequential_bounds
        return _stats.sample_size_for(
            (value - lo_b) / (hi_b - lo_b),
            (threshold - lo_b) / (hi_b - lo_b),
            level,
            design_effect=design,
            sequential=True,
        )
    if metric == "pass_rate":
        return _stats.sample_size_for(value, threshold, level, design_effect=design)
    if len(values) < 2:
        return None
    variance = statistics.variance(values)
    if variance <= 0:
        return None
    return _stats.sample_size_for(value, threshold, level, design_effect=design, variance=variance)


def planned_looks(count: int, max_count: int) -> int:
    """How many looks the adaptive schedule of :func:`next_batch` takes at most.

    :param count: the first batch's size, >= 1.
    :param max_count: the most tasks to run, >= count.
    """
    done, looks = 0, 0
    while True:
        more = next_batch(done, count, max_count)
        if more == 0:
            return looks
        done += more
        looks += 1


def _means(data: Mapping[str, Sequence[float]]) -> dict[str, float]:
    return {k: math.fsum(map(float, v)) / len(v) for k, v in data.items() if len(v)}


def _pairs_or_none(ka: set[str], kb: set[str]) -> tuple[list[str], str]:
    """The common keys to pair on, or [] when too few inputs pair (with the reason)."""
    common = sorted(ka & kb)
    if len(common) >= 2 and 2 * len(common) >= len(ka):
        note = ""
        if len(common) < max(len(ka), len(kb)):
            note = (
                f"paired on the {len(common)} input(s) in both runs; {len(ka) - len(common)} of "
                f"this run's and {len(kb) - len(common)} of the other's have no partner and are "
                "left out"
            )
        return common, note
    return [], (
        f"inputs do not pair ({len(common)} of {len(ka)} input key(s) in common): an unpaired "
        "comparison was used, which needs more data to see the same change"
    )


def _difference(
    a: Mapping[str, Sequence[float]],
    b: Mapping[str, Sequence[float]],
    kind: str,
    margin: float,
    confidence: float,
) -> tuple[_stats.PairedResult, str, dict[str, float], dict[str, float]]:
    """The comparison of a with b, its note, and each side's per-input means."""
    _check_choice(kind, KINDS, UNKNOWN_KIND, "kind")
    ma, mb = _means(a), _means(b)
    common, note = _pairs_or_none(set(ma), set(mb))
    if common:
        single = all(len(a[k]) == 1 and len(b[k]) == 1 for k in common)
        pairs = [(ma[k], mb[k]) for k in common]
        if kind == "boolean" and single:
            result = _stats.paired_proportion_test(pairs, margin=margin, confidence=confidence)
        else:
            if kind == "boolean":
                repeats = "repeats: per-input pass rates compared by paired bootstrap"
                note = f"{note}; {repeats}" if note else repeats
            result = _stats.paired_mean_test(pairs, margin=margin, confidence=confidence)
        return result, note, ma, mb
    va, vb = list(ma.values()), list(mb.values())
    if kind == "boolean":
        result = _stats.unpaired_proportion_test(va, vb, margin=margin, confidence=confidence)
    else:
        result = _stats.unpaired_mean_test(va, vb, margin=margin, confidence=confidence)
    return result, note, ma, mb


def decide_regression(
    current: Mapping[str, Sequence[float]],
    baseline: Mapping[str, Sequence[float]],
    *,
    kind: str,
    max_drop: float,
    confidence: float,
    higher_is_better: bool = True,
) -> Decision:
    """Compare a run with its baseline, paired on input keys.

    *regression* when the lower confidence bound of the drop (baseline - current, or the rise
    when lower is better) lies above ``max_drop``: confident evidence of a drop bigger than the
    margin, a one-sided test at level ``1 - confidence``. *improvement* when the change's
    one-sided bound lies on the better side of 0. ``low``/``high`` are those two one-sided
    bounds (together a two-sided interval at ``2 * confidence - 1``) and ``p_value`` is the
    one-sided p-value in the direction of the change.
    Otherwise *no_change* ("no significant change": not a proof of equality). Pass/fail pairs
    use Newcombe's paired interval with the mid-p McNemar p-value, numeric scores (and pass rates over repeats) a paired BCa
    bootstrap; inputs that do not pair fall back to an unpaired test, and the note says so.

    :param current: per input key, the run's values.
    :param baseline: per input key, the baseline's values.
    :param kind: ``boolean`` or ``numeric``.
    :param max_drop: the tolerated drop (the non-inferiority margin), >= 0.
    :param confidence: two-sided confidence level in (0, 1).
    :param higher_is_better: whether a higher value is better; default True.
    """
    if (
        isinstance(max_drop, bool)
        or not isinstance(max_drop, (int, float))
        or not math.isfinite(max_drop)
        or max_drop < 0
    ):
        raise ValueError(BAD_MAX_DROP.format(value=max_drop))
    _stats.check_confidence(confidence)
    # each outcome is a one-sided claim (worse by more than max_drop / better): its bound is
    # the end of a two-sided interval at 2 * confidence - 1, so at 0.95 false alarms when
    # nothing changed stay at most 5 %
    level = max(2.0 * confidence - 1.0, 1e-9)
    result, note, cur, base = _difference(current, baseline, kind, max_drop, level)
    cur_mean = math.fsum(cur.values()) / len(cur) if cur else None
    base_mean = math.fsum(base.values()) / len(base) if base else None
    sign = 1.0 if higher_is_better else -1.0
    # drop > 0 means worse, whichever direction is better
    drop_low, drop_high = sorted((-sign * result.high, -sign * result.low))
    if result.n_pairs == 0 and result.paired:
        outcome = "no_change"
    elif drop_low > max_drop + _EPS:
        outcome = "regression"
    elif drop_high < -_EPS:
        outcome = "improvement"
    else:
        outcome = "no_change"
    n_inputs = result.n_pairs if result.paired else len(cur)
    n = sum(len(current[k]) for k in current) if not result.paired else n_inputs
    return Decision(
        outcome,
        metric="pass_rate" if kind == "boolean" else "mean",
        value=result.difference,
        low=result.low,
        high=result.high,
        confidence=confidence,
        threshold=-sign * max_drop + 0.0,
        op=">=" if higher_is_better else "<=",
        n=n,
        n_inputs=n_inputs,
        method=result.method,
        # one-sided, in the direction of the observed change
        p_value=None if result.p_value is None else result.p_value / 2.0,
        note=note,
        current=cur_mean,
        baseline=base_mean,
        paired=result.paired,
        interval_confidence=level,
    )


def compare(
    a: Mapping[str, Sequence[float]],
    b: Mapping[str, Sequence[float]],
    *,
    kind: str,
    confidence: float = 0.95,
    min_difference: float = 0.0,
) -> _stats.PairedResult:
    """The difference ``mean(a) - mean(b)`` of two variants on the same inputs.

    Paired on common input keys (Newcombe's paired interval and the mid-p McNemar p-value for
    single pass/fail results, paired bootstrap otherwise), unpaired when the inputs do not pair. The caller gates on the interval, e.g.
    ``result.low > min_difference``.

    :param a: per input key, variant a's values.
    :param b: per input key, variant b's (the control's) values.
    :param kind: ``boolean`` or ``numeric``.
    :param confidence: two-sided confidence level in (0, 1); default 0.95.
    :param min_difference: the difference the caller requires; default 0.
    """
    _stats.check_confidence(confidence)
    return _difference(a, b, kind, min_difference, confidence)[0]


def next_batch(n_done: int, count: int, max_count: int) -> int:
    """How many more tasks an adaptive run should start: doubling batches up to ``max_count``.

    The first batch is ``count``; each later batch doubles the tasks done so far, so a run
    looks at most about log2(max_count / count) + 1 times. 0 when ``max_count`` is reached.

    :param n_done: tasks already run.
    :param count: the first batch's size, >= 1.
    :param max_count: the most tasks to run, >= count.
    """
    if count < 1 or max_count < count:
        raise ValueError(BAD_SCHEDULE.format(count=count, max_count=max_count))
    if n_done <= 0:
        return count
    return max(0, min(n_done, max_count - n_done))
