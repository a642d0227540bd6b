"""Gate reliability: how often each verdict rule is wrong on noisy pass/fail results.

A seeded Monte Carlo that drives the plugin's own verdict code, not a re-implementation: the
threshold gates are judged by ``_gates.apply_gates`` on synthetic ``RunResult`` objects (the
path a test's verdict takes), the adaptive loop is the run fixture's (``Gates(max_count=...)``,
``_decide.next_batch``), and the regression gate is ``_decide.decide_regression``, which the
baseline comparison calls. Each simulated suite draws its inputs with a
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
  detection of a 10-point drop at ``max_drop=0`` and at ``max_drop=0.05``.

Then it checks the targets of issue #8 and prints PASS or MISS for each. No asserts: the
numbers are the result.

    python benchmarks/bench_gate_reliability.py [--suites 2000] [--workers 2] [--seed 2026]
    python benchmarks/bench_gate_reliability.py --quick      # a small smoke run (seconds)
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
from pytest_pipelines._gates import Gates, apply_gates
from pytest_pipelines._markers import Gate
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
POWER_SIZES = (200, 400)
POWER_RATES = (0.80, 0.90)
POWER_SUITES = 500


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


def _adaptive(
    rng: random.Random,
    difficulty: Difficulty,
    first: list[TaskResult],
    cell: Cell,
    gates: Gates,
) -> tuple[str, int]:
    """The run fixture's adaptive loop: more inputs in doubling batches while undecided.

    ``Gates.undecided`` is "some gate's decision is inconclusive"; with one gate, the verdict's
    own decision says the same, so each look costs one ``apply_gates``.
    """
    tasks = list(first)
    done = cell.n
    while True:
        outcome = _outcome(run_result(tasks, cell.n), gates)
        more = _decide.next_batch(done, cell.n, MAX_COUNT)
        if outcome != "inconclusive" or more == 0:
            return outcome, done
        tasks += _tasks(_draw(rng, difficulty.draw(more)), done, len(tasks) + 1)
        done += more


def _regression(base: list[list[float]], current: list[list[float]], max_drop: float) -> str:
    decision = _decide.decide_regression(
        {f"input-{i}": v for i, v in enumerate(current)},
        {f"input-{i}": v for i, v in enumerate(base)},
        kind="boolean",
        max_drop=max_drop,
        confidence=CONFIDENCE,
    )
    return decision.outcome


def run_cell(cell: Cell) -> CellResult:
    """Simulate ``cell.suites`` suites of one cell with every rule."""
    rng = random.Random(cell.seed)
    difficulty = Difficulty(rng, cell.rate, cell.kappa)
    result = CellResult(cell, *(Counts() for _ in range(7)))
    # a regression lowers every input's pass probability in proportion: the mean drops by DROP
    scale = (cell.rate - DROP) / cell.rate
    for _ in range(cell.suites):
        ps = difficulty.draw(cell.n)
        tasks = _draw(rng, ps)
        built = _tasks(tasks)
        run = run_result(built)
        result.point.add(_outcome(run, POINT), cell.n)
        result.statistical.add(_outcome(run, STATISTICAL), cell.n)
        result.adaptive.add(*_adaptive(rng, difficulty, built, cell, ADAPTIVE))
        result.sequence.add(*_adaptive(rng, difficulty, built, cell, SEQUENCE))
        again = _draw(rng, ps)
        worse = _draw(rng, [p * scale for p in ps])
        result.null.add(_regression(tasks, again, 0.0))
        result.drop.add(_regression(tasks, worse, 0.0))
        result.drop_margin.add(_regression(tasks, worse, MARGIN))
    return result


@dataclass
class PowerResult:
    """The regression gate alone, at a larger n."""

    cell: Cell
    null: Counts
    drop: Counts
    drop_margin: Counts


def run_power(cell: Cell) -> PowerResult:
    """Detection and false alarms of the regression gate alone (for the larger n)."""
    rng = random.Random(cell.seed)
    difficulty = Difficulty(rng, cell.rate, cell.kappa)
    result = PowerResult(cell, Counts(), Counts(), Counts())
    scale = (cell.rate - DROP) / cell.rate
    for _ in range(cell.suites):
        ps = difficulty.draw(cell.n)
        tasks = _draw(rng, ps)
        worse = _draw(rng, [p * scale for p in ps])
        result.null.add(_regression(tasks, _draw(rng, ps), 0.0))
        result.drop.add(_regression(tasks, worse, 0.0))
        result.drop_margin.add(_regression(tasks, worse, MARGIN))
    return result


def power_report(power: Sequence[PowerResult]) -> list[str]:
    """The regression gate's detection at larger n: how much data a 10-point drop needs."""
    lines = [
        "",
        f"regression gate at larger n (how many inputs a {DROP:.2f} drop needs; "
        f"{power[0].cell.suites if power else 0} suites per cell)",
        "|   n | baseline | false alarms | detected (max_drop=0) | detected (max_drop=0.05) |",
        "|----:|---------:|---:|---:|---:|",
    ]
    for r in power:
        lines.append(
            f"| {r.cell.n:3d} | {r.cell.rate:.2f} | {_pct(r.null.rate('regression'))} | "
            f"{_pct(r.drop.rate('regression'))} | {_pct(r.drop_margin.rate('regression'))} |"
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
        f"regression gate (paired on the same n inputs, exact McNemar, one-sided at "
        f"{1 - CONFIDENCE:.2f}; a drop of {DROP:.2f})",
        "|   n | baseline | false alarms | detected (max_drop=0) | detected (max_drop=0.05) |",
        "|----:|---------:|---:|---:|---:|",
    ]
    for r in results:
        c = r.cell
        lines.append(
            f"| {c.n:3d} | {c.rate:.2f} | {_pct(r.null.rate('regression'))} | "
            f"{_pct(r.drop.rate('regression'))} | {_pct(r.drop_margin.rate('regression'))} |"
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
    larger = (
        []
        if args.quick
        else cells(POWER_SIZES, POWER_RATES, min(suites, POWER_SUITES), args.seed + 1, args.kappa)
    )
    start = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            power = list(pool.map(run_power, larger))
            results = list(pool.map(run_cell, grid))
    else:
        power = [run_power(c) for c in larger]
        results = [run_cell(c) for c in grid]
    for line in report(results, suites, args.kappa):
        print(line)
    if power:
        for line in power_report(power):
            print(line)
    print(f"\n{len(grid)} cells x {suites} suites in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
