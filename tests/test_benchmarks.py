"""The benchmark scripts' set-ups are right (no timings are asserted: see benchmarks/README.md).

The scripts themselves take a minute each; these checks run their pieces once, cheaply: the
generated suites collect what the scripts claim, and one wait measurement is sane.
"""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # registered first: dataclasses look their module up in sys.modules
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _collect(root: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_startup_bench_generates_2000_trivial_tests(tmp_path: Path) -> None:
    bench = _load("bench_plugin_startup")
    bench.generate(tmp_path)
    out = _collect(tmp_path)
    assert "2000 tests collected" in out, out[-500:]


def test_xdist_bench_generates_8_variants(tmp_path: Path) -> None:
    bench = _load("bench_xdist")
    bench.generate(tmp_path)
    out = _collect(tmp_path)
    assert [line for line in out.splitlines() if "::test_variants[" in line] == [
        f"test_variants.py::test_variants[v{n}]" for n in range(8)
    ]


def test_overlap_bench_generates_20_tests_and_8_variants(tmp_path: Path) -> None:
    bench = _load("bench_overlap")
    bench.generate(tmp_path)
    out = _collect(tmp_path).splitlines()
    assert [line for line in out if "::test_one[" in line] == [
        f"test_many.py::test_one[{n}]" for n in range(20)
    ]
    assert [line for line in out if "::test_variants[" in line] == [
        f"test_variants.py::test_variants[v{n}]" for n in range(8)
    ]


def test_pool_bench_runs_both_kinds_of_task_on_the_pool_it_names() -> None:
    bench = _load("bench_pool")
    figures = bench.measure(workers=3, tasks=6, latency=0.01, cpu_ms=1.0)
    assert figures["workers"] == 3
    assert figures["threads"] == 3  # the pool the figures are about, every thread used
    for kind in ("io", "cpu"):
        assert figures[kind]["completed"] == 6
        assert figures[kind]["model_p95_ms"] > 0
    assert figures["io"]["cost_usd"] > 0  # the I/O-bound model is priced
    assert figures["cpu"]["probe_p95_ms"] >= figures["cpu"]["probe_p50_ms"] > 0
    assert figures["cpu"]["idle_p95_ms"] >= figures["cpu"]["idle_p50_ms"] > 0


def test_overlap_bench_settings_are_serial_the_old_defaults_and_the_new() -> None:
    bench = _load("bench_overlap")
    assert bench.settings(None, None) == {
        "serial": ["pipelines_max_concurrent_runs=1", "pipelines_local_workers=8"],
        "ahead-8": ["pipelines_max_concurrent_runs=8", "pipelines_local_workers=8"],
        "ahead": [],
    }
    assert bench.settings(16, 4)["ahead"] == [
        "pipelines_local_workers=16",
        "pipelines_max_concurrent_runs=4",
    ]


def test_wait_bench_measures_a_small_positive_overhead() -> None:
    bench = _load("bench_wait_overhead")
    from pytest_pipelines import PipelinesClient
    from pytest_pipelines.local import LocalPipelines

    with (
        LocalPipelines(demo=True, registry=bench.registry()) as local,
        PipelinesClient(api_key=local.api_key, base_url=local.base_url) as client,
    ):
        overhead = bench.one_wait(client, bench.DURATIONS[0], None)
        # the hosted shape: statuses cut to job_id and status, so nothing is held or counted
        with bench.hosted_client(local) as (timed, shape):
            models = {"models": [{"nodeId": "plan", "modelSlug": bench.slug(bench.DURATIONS[0])}]}
            late, polls = bench.timed_wait(timed, bench.WORKFLOW, None, models, shape=shape)
            saved = bench.remembered(timed).to_json()
    # finished_at is recorded before the status that reports it is served: never negative, and
    # the adaptive waiter notices within one of its (still short) poll intervals.
    assert 0 <= overhead < 1.0, overhead
    assert 0 <= late < 1.0, late
    assert polls >= 2  # the first status of a 0.2 s run is not terminal
    assert len(shape.finished) == 1
    # what a second session loads: the run's end interval under a key without a task count
    [[lo, hi]] = saved[f"tasks 22/{bench.WORKFLOW} x?"]
    assert 0 <= lo < hi


def test_gate_reliability_bench_counts_every_rule_and_checks_every_target() -> None:
    bench = _load("bench_gate_reliability")
    grid = bench.cells((10, 100), (0.7, 0.85), 20, 1, 1.0)
    results = [bench.run_cell(cell) for cell in grid]
    for r in results:
        for counts in (r.point, r.statistical, r.adaptive, r.sequence, r.null, r.drop):
            assert sum(counts.outcomes.values()) == 20
        # the adaptive gate starts from the fixed suite and never exceeds max_count
        assert r.cell.n <= r.adaptive.mean_tasks() <= bench.MAX_COUNT
        assert set(r.point.outcomes) <= {"pass", "fail"}
    lines = bench.report(results, 20, 1.0)
    targets = [line.split()[0] for line in lines if line.strip().startswith(("PASS", "MISS"))]
    assert len(targets) == 7
    # seeded: the same grid gives the same counts
    again = bench.run_cell(grid[0])
    assert again.statistical.outcomes == results[0].statistical.outcomes
    assert again.adaptive.tasks == results[0].adaptive.tasks


def test_paired_interval_bench_compares_the_plugins_interval_with_the_old_one() -> None:
    bench = _load("bench_paired_interval")
    from pytest_pipelines import _stats

    # the old conditional interval ends on the estimate when every discordant pair is a loss
    losses = [(0.0, 1.0)] * 5 + [(1.0, 1.0)] * 15
    old = bench.conditional_paired_test(losses)
    assert old.low == old.difference < old.high
    with bench.interval(None):
        new = _stats.paired_proportion_test(losses)
    assert new.low < new.difference < new.high
    # the patch is undone
    with bench.interval(bench.conditional_paired_test):
        assert _stats.paired_proportion_test is bench.conditional_paired_test
    assert _stats.paired_proportion_test is not bench.conditional_paired_test
    rates = bench.simulate(20, 0.8, 30, 1)
    assert set(rates) == {"newcombe", "conditional"}
    assert all(0 <= v <= 1 for rule in rates.values() for v in rule.values())
    assert bench.simulate(20, 0.8, 30, 1) == rates  # seeded
    # the exact false-alarm probability of two runs of the same system, 20 inputs
    assert bench.exact_false_alarm(20, 0.8, _stats.paired_proportion_test) == pytest.approx(
        0.0207, abs=5e-4
    )


def test_gate_reliability_bench_verdicts_are_the_decisions_of_decide() -> None:
    # the bench judges synthetic runs through apply_gates; its figures are the decision rules'
    bench = _load("bench_gate_reliability")
    from pytest_pipelines import _decide

    rng = random.Random(3)
    for n in (10, 40):
        looks = _decide.planned_looks(n, bench.MAX_COUNT)
        for _ in range(15):
            clusters = [[float(rng.random() < 0.8)] for _ in range(n)]
            run = bench.run_result(bench._tasks(clusters), n)
            for gates, kw in (
                (bench.POINT, {"confidence": None}),
                (bench.STATISTICAL, {}),
                (bench.ADAPTIVE, {"sequential": True, "looks": looks}),
                (bench.SEQUENCE, {"sequential": True}),
            ):
                args = {"confidence": bench.CONFIDENCE, **kw}
                expected = _decide.decide_threshold(
                    clusters, metric="pass_rate", op=">=", threshold=bench.THRESHOLD, **args
                )
                assert bench._outcome(run, gates) == expected.outcome, (n, kw)


def test_gate_reliability_bench_cached_verdicts_are_the_plugins_on_each_suite() -> None:
    # the bench judges each distinct (passes, tasks) and 2x2 table once; on random
    # suites, in random order, that verdict is the one the plugin gives the suite's own tasks
    bench = _load("bench_gate_reliability")
    rng = random.Random(5)
    for n in (10, 60):
        for _ in range(12):
            ps = [rng.betavariate(0.8, 0.2) for _ in range(n)]
            base = [rng.random() < p for p in ps]
            for rule, planned in (("point", None), ("statistical", None), ("adaptive", n)):
                run = bench.run_result(bench._tasks([[float(v)] for v in base]), planned)
                expected = bench._outcome(run, bench.RULES[rule])
                assert bench.threshold_verdict(rule, sum(base), n, planned) == expected
            entry = bench.baseline_entry(bench.run_result(bench._tasks([[float(v)] for v in base])))
            for scale in (1.0, 0.8):
                current = [rng.random() < p * scale for p in ps]
                run = bench.run_result(bench._tasks([[float(v)] for v in current]))
                table = bench._table(current, base)
                for max_drop in (0.0, bench.MARGIN):
                    expected = bench.regression_outcome(run, entry, max_drop)
                    assert bench.regression_verdict(n, *table, max_drop) == expected


def test_model_cache_bench_replays_every_provider_call() -> None:
    bench = _load("bench_model_cache")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        from pytest_pipelines.local._demo.fake_provider import FakeProvider

        with FakeProvider(models=("fake-model",)) as fake:
            bench.run_once(3, "record", cache, fake.base_url, 2)
            calls = len(fake.requests)
        _, usage = bench.run_once(3, "replay", cache, fake.base_url, 2)
    assert calls == 9  # the plan, and the researcher's tool round and answer, per task
    assert usage["replayed_calls"] == 3  # the first task's three provider calls
    assert usage["calls"] == 4  # and the demo judge, which is a local program


@pytest.mark.parametrize(
    "name",
    [
        "bench_plugin_startup",
        "bench_wait_overhead",
        "bench_xdist",
        "bench_gate_reliability",
        "bench_model_cache",
        "bench_paired_interval",
        "bench_overlap",
        "bench_pool",
    ],
)
def test_bench_scripts_have_help(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout


def test_dataset_import_bench_imports_its_csv() -> None:
    from pytest_pipelines.local import LocalPipelines

    bench = _load("bench_dataset_import")
    content = bench.csv_rows(300)
    assert content.count(b"\n") == 301  # the header and 300 rows
    with LocalPipelines() as local:
        import httpx

        with httpx.Client(
            base_url=local.base_url, headers={"Authorization": f"Bearer {local.api_key}"}
        ) as http:
            assert bench.import_seconds(http, content, timeout=60) > 0


def test_local_start_bench_generates_its_suite(tmp_path: Path) -> None:
    bench = _load("bench_local_start")
    bench.generate(tmp_path, 3)
    out = _collect(tmp_path)
    assert f"{3 * bench.TESTS_PER_FILE + 2} tests collected" in out, out[-500:]
    assert "test_one_eval.py::test_eval" in out


def test_local_start_breakdown_times_every_phase(tmp_path: Path) -> None:
    bench = _load("bench_local_start")
    bench.generate(tmp_path, 0)
    seconds, objects = bench.phases("test_one_plain.py", tmp_path)
    assert len(seconds) == len(bench.PHASES)
    assert all(s >= 0 for s in seconds[:6]), seconds  # the phases between marks
    assert seconds[0] > 0  # pytest started before the plugin was imported
    assert seconds[-1] > 0  # pytest's end-of-session gc.collect() was seen
    assert objects > 1000


def test_collect_bench_rate_limit_answers_429_with_retry_after_beyond_the_limit() -> None:
    import httpx

    bench = _load("bench_collect")
    limited = bench.RateLimited(2)
    limited.inner = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    with httpx.Client(transport=limited, base_url="http://limited.test") as http:
        codes = [http.get("/api/health").status_code for _ in range(3)]
        refused = http.get("/api/health")
    assert codes == [200, 200, 429]
    assert refused.headers["Retry-After"] == "1"
    assert (limited.passed, limited.refused) == (2, 2)
