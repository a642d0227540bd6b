"""Gate reliability: how often each verdict rule is wrong on noisy pass/fail results.

A seeded Monte Carlo that drives the plugin's own verdict code, not a re-implementation: the
threshold gates are judged by ``_gates.apply_gates`` on synthetic ``RunResult`` objects (the
path a test's verdict takes), the adaptive loop is the run fixture's (``Gates(max_count=...)``,
``_decide.next_batch``), and the regression gate judges a baseline entry built by
``_baseline.entry_from_result`` with ``_regression.regression_outcomes``, as a test with
``max_drop`` is judged. Each distinct sufficient statistic is judged once and reused (see
"the verdicts, once per distinct sufficient statistic" below). Each simulated suite draws its
inputs with a
per-input difficulty: input i passes with probability p_i ~ Beta(kappa * rate, kappa * (1 -
rate)), so the mean pass rate is ``rate`` while an input's results are correlated (the
intra-input correlation is 1 / (kappa + 1); kappa = 1 gives 0.5, U-shaped difficulty as LLM
evals show: most inputs nearly always pass or nearly always fail). The baseline and the current
run of the regression gate share these inputs, so their results pair as real data do.

For a gate ``min_pass_rate=0.8`` at ``confidence=0.95`` it prints, per n and true rate:

- point rule (no confidence: today's meaning): how often it fails and passes;
- statistical gate: fail / pass / inconclusive (inconclusive warns by default, so only "fail"
  fails a test);
- adaptive gate (``count=n, max_count=400``, doubling batches): how often it decides, fails,
  and the mean tasks it used, as the plugin runs it (the level split over the schedule's
  planned looks, Bonferroni) and with the alternative the gates offer (``sequential``: the
  anytime-valid confidence sequence);
- regression gate (baseline and run on the same n inputs): false alarms when nothing changed,
  detection of a 10-point drop at ``max_drop=0`` and at ``max_drop=0.05``; and the same for
  n in {50, 100, 200} at intra-input correlations 0.3, 0.5 and 0.7 (baseline 0.8).

Then it checks the targets of issue #8 and prints PASS or MISS for each. No asserts: the
numbers are the result.

    python benchmarks/bench_gate_reliability.py [--suites 2000] [--workers 1] [--seed 2026]
    python benchmarks/bench_gate_reliability.py --quick      # a small smoke run (seconds)

The full grid takes about 7 minutes on one loaded core (under a minute of CPU time).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from pytest_pipelines import _decide
from pytest_pipelines._baseline import Entry, entry_from_result
from pytest_pipelines._gates import Gates, apply_gates
from pytest_pipelines._markers import Gate
from pytest_pipelines._regression import regression_outcomes
from pytest_pipelines._results import CriterionResult, RunResult, TaskResult

THRESHOLD = 0.8
CONFIDENCE = 0.95
MAX_COUNT = 400
DROP = 0.10
MARGIN = 0.05
RATES = (0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95)
SIZES = (10, 20, 50, 100)
KAPPA = 1.0
TARGET_FALSE_FAIL = 0.05
TARGET_DECIDED = 0.90
TARGET_FALSE_ALARM = 0.05
TARGET_DETECTION = 0.80
DETECTION_N = 100
CORRELATIONS = (0.3, 0.5, 0.7)
CORRELATION_SIZES = (50, 100, 200)
CORRELATION_RATE = 0.80


@dataclass(frozen=True)
class Cell:
    """One (n, true rate) cell of the simulation."""

    n: int
    rate: float
    suites: int
    seed: int
    kappa: float


@dataclass
class Counts:
    """Outcome counts of one rule over the suites of a cell."""

    outcomes: dict[str, int] = field(default_factory=dict)
    tasks: int = 0

    def add(self, outcome: str, tasks: int = 0) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.tasks += tasks

    def rate(self, *outcomes: str) -> float:
        total = sum(self.outcomes.values())
        return sum(self.outcomes.get(o, 0) for o in outcomes) / total if total else 0.0

    def mean_tasks(self) -> float:
        total = sum(self.outcomes.values())
        return self.tasks / total if total else 0.0


@dataclass
class CellResult:
    """Every rule's counts in one cell."""

    cell: Cell
    point: Counts
    statistical: Counts
    adaptive: Counts
    sequence: Counts
    null: Counts
    drop: Counts
    drop_margin: Counts


POOL = 20_000


class Difficulty:
    """Per-input pass probabilities: draws from a fixed pool of Beta(kappa r, kappa (1 - r)).

    A pool of 20,000 draws made once per cell stands for the Beta distribution (its mean is
    within 0.005 of ``rate``); picking from it is ten times faster than a fresh Beta draw.
    """

    def __init__(self, rng: random.Random, rate: float, kappa: float) -> None:
        self.pool = [rng.betavariate(kappa * rate, kappa * (1.0 - rate)) for _ in range(POOL)]
        self.rng = rng

    def draw(self, k: int) -> list[float]:
        return self.rng.choices(self.pool, k=k)


def _draw(rng: random.Random, ps: Sequence[float]) -> list[list[float]]:
    return [[1.0 if rng.random() < p else 0.0] for p in ps]


CRITERION = "correct"
POINT = Gates((Gate(CRITERION, min_pass_rate=THRESHOLD),))
STATISTICAL = Gates((Gate(CRITERION, min_pass_rate=THRESHOLD, confidence=CONFIDENCE),))
# what the run fixture builds for an item with max_count: each look's decision splits the
# level over the schedule's planned looks
ADAPTIVE = Gates(
    (Gate(CRITERION, min_pass_rate=THRESHOLD, confidence=CONFIDENCE),), max_count=MAX_COUNT
)
# the alternative the gates offer: the anytime-valid confidence sequence (any number of looks)
SEQUENCE = Gates(
    (Gate(CRITERION, min_pass_rate=THRESHOLD, confidence=CONFIDENCE),), sequential=True
)
RULES = {"point": POINT, "statistical": STATISTICAL, "adaptive": ADAPTIVE, "sequence": SEQUENCE}
NODEID = "test_bench.py::test_gate"
BASELINE_FILE = "pipelines-baseline.json"
UPDATED = "2026-01-01T00:00:00Z"


def regression_gate(max_drop: float) -> Gate:
    """The gate a user writes: ``pipelines_gate("correct", min_pass_rate=0.8, max_drop=...)``."""
    return Gate(CRITERION, min_pass_rate=THRESHOLD, confidence=CONFIDENCE, max_drop=max_drop)


def _criterion(passed: bool) -> CriterionResult:
    return CriterionResult(
        0,
        CRITERION,
        1,
        "boolean",
        "completed",
        passed,
        passed,
        None,
        None,
        "answer",
        "text",
        None,
        None,
    )


# one result object per value, shared by the tasks (the verdict reads values, not task ids)
_RESULTS = {True: (_criterion(True),), False: (_criterion(False),)}


def _tasks(
    clusters: Sequence[Sequence[float]], first_input: int = 0, first_id: int = 1
) -> list[TaskResult]:
    """One task per value, input i's repeats keyed ``input-i``, as the run fixture gathers them."""
    tasks: list[TaskResult] = []
    for i, values in enumerate(clusters, start=first_input):
        for j, value in enumerate(values):
            tasks.append(
                TaskResult(
                    id=first_id + len(tasks),
                    status="completed",
                    inputs={"row": i},
                    expected_output=None,
                    error=None,
                    outputs={},
                    criteria=_RESULTS[value >= 0.5],
                    tool_calls=(),
                    node_db_ids={},
                    input_key=f"input-{i}",
                    repeat_index=j,
                )
            )
    return tasks


_TASK: dict[tuple[int, bool], TaskResult] = {}


def _single(passed: Sequence[bool]) -> list[TaskResult]:
    """:func:`_tasks` of one result per input; a task object is built once per (input, value)."""
    out = []
    for i, value in enumerate(passed):
        task = _TASK.get((i, value))
        if task is None:
            task = _TASK[(i, value)] = _tasks([[1.0 if value else 0.0]], i, i + 1)[0]
        out.append(task)
    return out


def run_result(tasks: Sequence[TaskResult], planned: int | None = None) -> RunResult:
    """A synthetic run of these tasks (``planned``: the first batch of an adaptive run)."""
    return RunResult(
        project_id=1,
        workflow_id=1,
        mode="tasks",
        variant=None,
        tasks=tuple(tasks),
        tasks_planned=planned,
    )


def _outcome(result: RunResult, gates: Gates) -> str:
    """The plugin's verdict on the one gate: its decision, or pass/fail under the point rule."""
    outcome = apply_gates(result, gates).outcomes[0]
    return outcome.decision or ("pass" if outcome.passed else "fail")


def baseline_entry(result: RunResult) -> Entry:
    """The baseline entry ``--pipelines-baseline-update`` records for this run.

    Built directly, not written and read back: the file's round trip is exact (its tests
    check it), so it would only cost time.
    """
    return entry_from_result(NODEID, result, updated=UPDATED)


def regression_outcome(current: RunResult, baseline: Entry, max_drop: float) -> str:
    """The plugin's regression verdict on this run against its baseline entry."""
    outcome = regression_outcomes(
        current,
        regression_gate(max_drop),
        baseline,
        max_drop=max_drop,
        confidence=CONFIDENCE,
        path=BASELINE_FILE,
    )[0]
    return outcome.decision or ("no_change" if outcome.passed else "regression")


# --- the verdicts, once per distinct sufficient statistic -------------------------------------
#
# With one pass/fail result per input (no repeats), every threshold rule the gates apply
# (point, Wilson, Wilson at the Bonferroni level of the planned looks, the beta-binomial
# confidence sequence) depends on the run only through (passes, tasks), and the paired
# regression test (Newcombe's interval of the paired 2x2 table) only through (inputs, both
# passed, wins, losses). So each distinct statistic
# is judged ONCE through the plugin's own path - a RunResult built with those counts through
# apply_gates; a baseline Entry and a run through regression_outcomes - and every suite with
# the same statistic reuses that verdict. tests/test_benchmarks.py checks on random suites
# that the cached verdict is the one the plugin gives the suite's own tasks. The cache makes
# the full run about 20x faster; it does not change a single verdict.

_THRESHOLD_VERDICTS: dict[tuple[str, int, int, int | None], str] = {}
_REGRESSION_VERDICTS: dict[tuple[int, int, int, int, float], str] = {}


def threshold_verdict(rule: str, passes: int, tasks: int, planned: int | None = None) -> str:
    """The plugin's verdict under ``RULES[rule]`` on a run of ``tasks`` inputs, ``passes`` passing.

    :param planned: the first batch of an adaptive run (the looks are planned from it);
        default None: a fixed-size run.
    """
    key = (rule, passes, tasks, planned)
    verdict = _THRESHOLD_VERDICTS.get(key)
    if verdict is None:
        values = [True] * passes + [False] * (tasks - passes)
        verdict = _outcome(run_result(_single(values), planned), RULES[rule])
        _THRESHOLD_VERDICTS[key] = verdict
    return verdict


def regression_verdict(n: int, both: int, wins: int, losses: int, max_drop: float) -> str:
    """The plugin's regression verdict for ``n`` paired inputs with this 2x2 table.

    ``both``: inputs both runs pass; ``wins``: the run passes and the baseline failed;
    ``losses``: the reverse; the rest fail in both.
    """
    key = (n, both, wins, losses, max_drop)
    verdict = _REGRESSION_VERDICTS.get(key)
    if verdict is None:
        neither = n - both - wins - losses
        base = [True] * both + [False] * wins + [True] * losses + [False] * neither
        current = [True] * both + [True] * wins + [False] * losses + [False] * neither
        entry = baseline_entry(run_result(_single(base)))
        verdict = regression_outcome(run_result(_single(current)), entry, max_drop)
        _REGRESSION_VERDICTS[key] = verdict
    return verdict


def _passes(rng: random.Random, ps: Sequence[float]) -> list[bool]:
    draw = rng.random
    return [draw() < p for p in ps]


def _table(current: Sequence[bool], base: Sequence[bool]) -> tuple[int, int, int]:
    """(both passed, wins, losses) of a run against its baseline, input by input."""
    both = wins = losses = 0
    for now, before in zip(current, base, strict=True):
        if now != before:
            if now:
                wins += 1
            else:
                losses += 1
        elif now:
            both += 1
    return both, wins, losses


def _adaptive(
    rng: random.Random, difficulty: Difficulty, passes: int, cell: Cell, rule: str
) -> tuple[str, int]:
    """The run fixture's adaptive loop: more inputs in doubling batches while undecided.

    ``Gates.undecided`` is "some gate's decision is inconclusive"; with one gate, the verdict's
    own decision says the same, so each look is one verdict.
    """
    done = cell.n
    while True:
        outcome = threshold_verdict(rule, passes, done, cell.n)
        more = _decide.next_batch(done, cell.n, MAX_COUNT)
        if outcome != "inconclusive" or more == 0:
            return outcome, done
        passes += sum(_passes(rng, difficulty.draw(more)))
        done += more


def run_cell(cell: Cell) -> CellResult:
    """Simulate ``cell.suites`` suites of one cell with every rule."""
    rng = random.Random(cell.seed)
    difficulty = Difficulty(rng, cell.rate, cell.kappa)
    result = CellResult(cell, Counts(), Counts(), Counts(), Counts(), Counts(), Counts(), Counts())
    # a regression lowers every input's pass probability in proportion: the mean drops by DROP
    scale = (cell.rate - DROP) / cell.rate
    n = cell.n
    for _ in range(cell.suites):
        ps = difficulty.draw(n)
        base = _passes(rng, ps)
        k = sum(base)
        result.point.add(threshold_verdict("point", k, n), n)
        result.statistical.add(threshold_verdict("statistical", k, n), n)
        result.adaptive.add(*_adaptive(rng, difficulty, k, cell, "adaptive"))
        result.sequence.add(*_adaptive(rng, difficulty, k, cell, "sequence"))
        again = _table(_passes(rng, ps), base)
        worse = _table(_passes(rng, [p * scale for p in ps]), base)
        result.null.add(regression_verdict(n, *again, 0.0))
        result.drop.add(regression_verdict(n, *worse, 0.0))
        result.drop_margin.add(regression_verdict(n, *worse, MARGIN))
    return result


@dataclass
class PowerResult:
    """The regression gate alone, at another n or intra-input correlation."""

    cell: Cell
    null: Counts
    drop: Counts
    drop_margin: Counts


def run_power(cell: Cell) -> PowerResult:
    """Detection and false alarms of the regression gate alone."""
    rng = random.Random(cell.seed)
    difficulty = Difficulty(rng, cell.rate, cell.kappa)
    result = PowerResult(cell, Counts(), Counts(), Counts())
    scale = (cell.rate - DROP) / cell.rate
    n = cell.n
    for _ in range(cell.suites):
        ps = difficulty.draw(n)
        base = _passes(rng, ps)
        worse = _table(_passes(rng, [p * scale for p in ps]), base)
        result.null.add(regression_verdict(n, *_table(_passes(rng, ps), base), 0.0))
        result.drop.add(regression_verdict(n, *worse, 0.0))
        result.drop_margin.add(regression_verdict(n, *worse, MARGIN))
    return result


def _regression_cells(null: Counts, drop: Counts, drop_margin: Counts) -> str:
    """False alarms, detection at max_drop=0 and at MARGIN."""
    rates = (null.rate("regression"), drop.rate("regression"), drop_margin.rate("regression"))
    return " | ".join(_pct(x) for x in rates)


REGRESSION_HEADER = (
    "| false alarms | detected (max_drop=0) | detected (max_drop=0.05) |",
    "---:|---:|---:|",
)


def power_report(power: Sequence[PowerResult], title: str) -> list[str]:
    """A table of the regression gate alone: per n, baseline rate and correlation."""
    lines = [
        "",
        f"{title} ({power[0].cell.suites if power else 0} suites per cell)",
        "|   n | baseline | correlation " + REGRESSION_HEADER[0],
        "|----:|---------:|---:|" + REGRESSION_HEADER[1],
    ]
    for r in power:
        lines.append(
            f"| {r.cell.n:3d} | {r.cell.rate:.2f} | {1 / (r.cell.kappa + 1):.2f} | "
            + _regression_cells(r.null, r.drop, r.drop_margin)
            + " |"
        )
    return lines


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def report(results: Sequence[CellResult], suites: int, kappa: float) -> list[str]:
    """The tables and the PASS/MISS line per target."""
    lines = [
        f"gate min_pass_rate={THRESHOLD}, confidence={CONFIDENCE}, {suites} suites per cell, "
        f"per-input difficulty Beta(kappa={kappa:g}) (intra-input correlation "
        f"{1 / (kappa + 1):.2f}), adaptive max_count={MAX_COUNT}",
        "",
        "threshold gates (fail = the test fails; pass at a true rate below 0.8 = a bad model passed)",
        "|   n | true | point fail | point pass | stat fail | stat pass | stat inconcl "
        "| adaptive decided | adaptive fail | adaptive tasks | sequence decided | sequence fail "
        "| sequence tasks |",
        "|----:|-----:|" + "---:|" * 11,
    ]
    for r in results:
        c = r.cell
        lines.append(
            f"| {c.n:3d} | {c.rate:.2f} | {_pct(r.point.rate('fail'))} | "
            f"{_pct(r.point.rate('pass'))} | {_pct(r.statistical.rate('fail'))} | "
            f"{_pct(r.statistical.rate('pass'))} | {_pct(r.statistical.rate('inconclusive'))} | "
            f"{_pct(r.adaptive.rate('pass', 'fail'))} | {_pct(r.adaptive.rate('fail'))} | "
            f"{r.adaptive.mean_tasks():6.1f} | {_pct(r.sequence.rate('pass', 'fail'))} | "
            f"{_pct(r.sequence.rate('fail'))} | {r.sequence.mean_tasks():6.1f} |"
        )
    lines += [
        "",
        f"regression gate (baseline entry and run on the same n inputs, through "
        f"regression_outcomes; a drop of {DROP:.2f})",
        "|   n | baseline " + REGRESSION_HEADER[0],
        "|----:|---------:|" + REGRESSION_HEADER[1],
    ]
    for r in results:
        c = r.cell
        lines.append(
            f"| {c.n:3d} | {c.rate:.2f} | "
            + _regression_cells(r.null, r.drop, r.drop_margin)
            + " |"
        )
    lines += ["", "targets (issue #8):"]
    lines += [f"  {line}" for line in check_targets(results)]
    return lines


def check_targets(results: Sequence[CellResult]) -> list[str]:
    """One PASS/MISS line per target, with the worst cell behind it."""

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    at_or_above = [r for r in results if r.cell.rate >= THRESHOLD - 1e-9]
    far = [r for r in results if abs(r.cell.rate - THRESHOLD) >= 0.1 - 1e-9]
    out = []
    worst = max(at_or_above, key=lambda r: r.statistical.rate("fail"))
    out.append(
        f"{verdict(worst.statistical.rate('fail') <= TARGET_FALSE_FAIL)} statistical gate: false "
        f"failures <= 5 % at every true rate >= {THRESHOLD} (worst {_pct(worst.statistical.rate('fail'))} "
        f"at n={worst.cell.n}, rate {worst.cell.rate:.2f})"
    )
    for name, pick in (
        ("adaptive gate (max_count: level split over the planned looks)", "adaptive"),
        ("alternative (sequential: confidence sequence)", "sequence"),
    ):

        def counts(r: CellResult, pick: str = pick) -> Counts:
            return r.adaptive if pick == "adaptive" else r.sequence

        low = min(far, key=lambda r: counts(r).rate("pass", "fail"))
        out.append(
            f"{verdict(counts(low).rate('pass', 'fail') >= TARGET_DECIDED)} {name}: decides >= 90 % "
            f"of suites at rates 10+ points from {THRESHOLD} (lowest "
            f"{_pct(counts(low).rate('pass', 'fail'))} at n={low.cell.n}, rate {low.cell.rate:.2f})"
        )
        high = max(at_or_above, key=lambda r: counts(r).rate("fail"))
        out.append(
            f"{verdict(counts(high).rate('fail') <= TARGET_FALSE_FAIL)} {name}: false failures "
            f"<= 5 % at every true rate >= {THRESHOLD} (worst {_pct(counts(high).rate('fail'))} "
            f"at n={high.cell.n}, rate {high.cell.rate:.2f})"
        )

    alarm = max(results, key=lambda r: r.null.rate("regression"))
    out.append(
        f"{verdict(alarm.null.rate('regression') <= TARGET_FALSE_ALARM)} regression gate: false "
        f"alarms <= 5 % when nothing changed (worst {_pct(alarm.null.rate('regression'))} at "
        f"n={alarm.cell.n}, baseline {alarm.cell.rate:.2f})"
    )
    at_n = [r for r in results if r.cell.n == DETECTION_N]
    if at_n:
        weakest = min(at_n, key=lambda r: r.drop.rate("regression"))
        margin = ", ".join(
            f"{r.cell.rate:.2f}: {_pct(r.drop_margin.rate('regression')).strip()}" for r in at_n
        )
        out.append(
            f"{verdict(weakest.drop.rate('regression') >= TARGET_DETECTION)} regression gate: "
            f"detects >= 80 % of {DROP:.2f} drops at n={DETECTION_N}, max_drop=0, at every "
            f"baseline rate (lowest {_pct(weakest.drop.rate('regression'))} at "
            f"{weakest.cell.rate:.2f})"
        )
        out.append(f"     at max_drop={MARGIN}: detection by baseline rate {margin}")
    return out


def cells(
    sizes: Sequence[int], rates: Sequence[float], suites: int, seed: int, kappa: float
) -> list[Cell]:
    """The simulation grid; each cell has its own seed, so cells run in any order or process."""
    return [
        Cell(n, rate, suites, seed * 1_000_003 + n * 1_009 + i, kappa)
        for n in sizes
        for i, rate in enumerate(rates)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--suites", type=int, default=2000, help="suites per cell (default 2000)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--kappa", type=float, default=KAPPA, help="difficulty concentration")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 100 suites, n in {10, 100}"
    )
    args = parser.parse_args(argv)
    suites = 100 if args.quick else args.suites
    sizes = (10, DETECTION_N) if args.quick else SIZES
    grid = cells(sizes, RATES, suites, args.seed, args.kappa)
    # the regression gate by n and intra-input correlation rho (kappa = 1 / rho - 1)
    by_correlation = (
        []
        if args.quick
        else [
            Cell(n, CORRELATION_RATE, suites, (args.seed + 2) * 1_000_003 + n * 1_009 + i, kappa)
            for n in CORRELATION_SIZES
            for i, kappa in enumerate(1.0 / rho - 1.0 for rho in CORRELATIONS)
        ]
    )
    start = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(run_cell, grid))
            power = list(pool.map(run_power, by_correlation))
    else:
        results = [run_cell(c) for c in grid]
        power = [run_power(c) for c in by_correlation]
    for line in report(results, suites, args.kappa):
        print(line)
    if by_correlation:
        title = (
            f"regression gate by n and intra-input correlation (baseline {CORRELATION_RATE:.2f}, "
            f"a {DROP:.2f} drop)"
        )
        for line in power_report(power, title):
            print(line)
    print(f"\n{len(grid)} cells x {suites} suites in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
