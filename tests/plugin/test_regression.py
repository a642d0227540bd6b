"""The regression gate (a run against the committed baseline) and paired variant comparison in
one experiment, with seeded stochastic models on the shared local backend."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pipelines import _baseline as bl
from pytest_pipelines._regression import IMPROVED, NO_ENTRY

if TYPE_CHECKING:
    from pytest_pipelines.local import LocalPipelines
    from pytest_pipelines.local.models import ModelRequest

N_INPUTS = 40


def coin(rate: float, seed: int) -> Callable[[ModelRequest], str]:
    """A model that writes a day plan with probability ``rate``, drawn per prompt and seed.

    The draw is a hash of the seed and the prompt (so of the task's inputs): the same model and
    seed give the same answer for the same input, as a temperature-0 model would; another seed
    is another sample from the same true pass rate.
    """

    def model(request: ModelRequest) -> str:
        digest = hashlib.sha256(f"{seed}:{request.prompt}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        return "Day 1: Colosseum" if draw < rate else "No plan."

    return model


MODELS = {
    "bl-coin-90": coin(0.90, 1),
    "bl-coin-60": coin(0.60, 1),  # the same draws, a lower bar: a paired 30-point drop
    "bl-coin-85a": coin(0.85, 11),
    "bl-coin-85b": coin(0.85, 12),  # the same true rate, other draws: nothing changed
}


@pytest.fixture
def coin_models(backend: LocalPipelines) -> None:
    """Register the coin models on the shared backend (they stay: the slugs are this file's)."""
    for slug, fn in MODELS.items():
        backend.registry.register(slug, fn)


def suite(model: str, gate: str = "max_drop=0.05") -> str:
    return f"""
import pytest

INPUTS = [{{"city": f"City {{i}}", "days": 2}} for i in range({N_INPUTS})]

@pytest.mark.pipelines_workflow(22, 10, inputs=INPUTS, count={N_INPUTS})
@pytest.mark.pipelines_model_swap("plan", "{model}")
@pytest.mark.pipelines_gate("Has Day Number", {gate})
def test_quality(pipelines_run):
    pass
"""


def gate_outcomes(reprec: Any, kind: str) -> list[dict[str, Any]]:
    """The gate outcomes of ``kind`` in the record on the call reports of an inline run."""
    found = []
    for report in reprec.getreports("pytest_runtest_logreport"):
        rec = getattr(report, "pipelines_record", None)
        if report.when == "call" and rec is not None:
            found += [asdict(g) for g in rec.gates if g.kind == kind]
    return found


def test_regression_is_caught_and_no_change_passes(
    pytester: pytest.Pytester, remote_args: list[str], coin_models: None
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_q=suite("bl-coin-90"))
    pytester.runpytest(*remote_args, "--pipelines-baseline-update").assert_outcomes(passed=1)
    entry = (bl.load(pytester.path / bl.DEFAULT_FILE) or {})["test_q.py::test_quality"]
    assert len(entry.criteria["Has Day Number"].passed) == N_INPUTS

    # the same model again: the same answers, no change
    reprec = pytester.inline_run(*remote_args)
    reprec.assertoutcome(passed=1)
    [same] = gate_outcomes(reprec, "regression")
    assert same["decision"] == "no_change"
    assert same["delta"] == 0
    assert same["passed"] is True

    # the model's pass rate drops from 0.9 to 0.6 on the same inputs: a regression
    pytester.makepyfile(test_q=suite("bl-coin-60"))
    result = pytester.runpytest(*remote_args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*regression: worse than the baseline by more than max_drop=0.05*"]
    )
    reprec = pytester.inline_run(*remote_args)
    [drop] = gate_outcomes(reprec, "regression")
    print("drop:", drop)
    assert drop["decision"] == "regression"
    assert drop["passed"] is False
    assert drop["method"] == "mcnemar-mid-p"
    assert drop["delta"] < -0.2
    assert drop["p_value"] < 0.01
    assert drop["baseline"] > drop["observed"]

    # a custom verdict hook that passes everything does not hide the regression
    pytester.makeconftest(
        """
        def pytest_pipelines_verdict(item, result, gates):
            return True
        """
    )
    result = pytester.runpytest(*remote_args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*regression: worse than the baseline*"])


def test_no_false_alarm_from_a_new_sample_of_the_same_model(
    pytester: pytest.Pytester, remote_args: list[str], coin_models: None
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_q=suite("bl-coin-85a"))
    pytester.runpytest(*remote_args, "--pipelines-baseline-update").assert_outcomes(passed=1)
    pytester.makepyfile(test_q=suite("bl-coin-85b"))
    reprec = pytester.inline_run(*remote_args)
    reprec.assertoutcome(passed=1)
    [outcome] = gate_outcomes(reprec, "regression")
    print("same rate, other draws:", outcome)
    assert outcome["decision"] == "no_change"
    assert outcome["delta"] != 0  # the draws did differ


def test_improvement_passes_with_a_hint(
    pytester: pytest.Pytester, remote_args: list[str], coin_models: None
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_q=suite("bl-coin-60"))
    pytester.runpytest(*remote_args, "--pipelines-baseline-update").assert_outcomes(passed=1)
    pytester.makepyfile(test_q=suite("bl-coin-90"))
    reprec = pytester.inline_run(*remote_args)
    reprec.assertoutcome(passed=1)
    [better] = gate_outcomes(reprec, "regression")
    assert better["decision"] == "improvement"
    assert IMPROVED in better["note"]


def test_ini_max_drop_gates_every_gate_and_a_missing_entry_says_how(
    pytester: pytest.Pytester, remote_args: list[str], coin_models: None
) -> None:
    pytester.makeini("[pytest]\npipelines_max_drop = 0.1\n")
    pytester.makepyfile(test_q=suite("bl-coin-90", gate="min_pass_rate=0.5"))
    reprec = pytester.inline_run(*remote_args)
    reprec.assertoutcome(passed=1)
    [missing] = gate_outcomes(reprec, "regression")
    assert missing["passed"] is True
    assert NO_ENTRY.format(path=pytester.path / bl.DEFAULT_FILE) in missing["note"]
    result = pytester.runpytest(*remote_args)
    result.stdout.fnmatch_lines(
        [
            "pipelines: 1 eval test(s) have a regression gate but no baseline entry in *; "
            "create them with `pytest --pipelines-baseline-update`:",
            "  test_q.py::test_quality",
        ]
    )
    # strict: a missing entry fails (once the file exists; without one it is a usage error)
    pytester.makepyfile(test_other=suite("bl-coin-90").replace("test_quality", "test_o"))
    pytester.runpytest(
        *remote_args, "test_other.py", "--pipelines-baseline-update"
    ).assert_outcomes(passed=1)
    result = pytester.runpytest(*remote_args, "--pipelines-baseline-strict")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*--pipelines-baseline-strict*"])


def test_max_drop_outside_zero_one_is_a_collection_error(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_q=suite("demo-planner", gate="max_drop=1.5"))
    result = pytester.runpytest(*remote_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pipelines_gate*'max_drop'*between 0 and 1*1.5*"])


COMPARE = """
import pytest

INPUTS = [{{"city": f"City {{i}}", "days": 2}} for i in range({n})]

@pytest.mark.pipelines_workflow(22, 10, inputs=INPUTS, count={n}, mode="{mode}")
@pytest.mark.pipelines_variants(
    control={{"models": [{{"nodeId": "plan", "modelSlug": "bl-coin-60"}}]}},
    better={{"models": [{{"nodeId": "plan", "modelSlug": "bl-coin-90"}}]}},
)
@pytest.mark.pipelines_compare("Has Day Number", baseline="{baseline}", min_difference={minimum})
def test_variants(pipelines_run):
    assert set(pipelines_run.variants) == {{"control", "better"}}
    control = pipelines_run.for_variant("control")
    assert control.variant == "control" and len(control.tasks) == {n}
    assert len(pipelines_run.tasks) == 2 * {n}
    diff = pipelines_run.compare("better", "control", "Has Day Number")
    print("compare:", diff)
    assert diff.n_pairs == {n} and diff.paired
    assert diff.low <= diff.difference <= diff.high
"""


def test_compare_runs_every_variant_in_one_item_and_gates_the_difference(
    pytester: pytest.Pytester, remote_args: list[str], coin_models: None
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_c=COMPARE.format(n=N_INPUTS, mode="experiment", baseline="control", minimum=0.05)
    )
    reprec = pytester.inline_run(*remote_args, "-s")
    reprec.assertoutcome(passed=1)  # one item, not one per variant
    [outcome] = gate_outcomes(reprec, "compare")
    assert outcome["subject"] == "Has Day Number [better - control]"
    assert outcome["decision"] == "pass"
    assert outcome["delta"] > 0.2
    assert outcome["n"] == N_INPUTS
    # asking for more than the variant gives fails, with the interval in the message
    pytester.makepyfile(
        test_c=COMPARE.format(n=N_INPUTS, mode="experiment", baseline="control", minimum=0.6)
    )
    result = pytester.runpytest(*remote_args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Has Day Number ?better - control?*0.25*>= 0.6*",
            "*not confidently >= min_difference=0.6*",
        ]
    )


def test_compare_in_tasks_mode_is_a_collection_error(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_c=COMPARE.format(n=2, mode="tasks", baseline="control", minimum=0))
    result = pytester.runpytest(*remote_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pipelines_compare*mode='experiment'*"])


def test_compare_with_an_unknown_variant_lists_the_variants(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_c=COMPARE.format(n=2, mode="experiment", baseline="contrl", minimum=0))
    result = pytester.runpytest(*remote_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pipelines_compare*'contrl'*'control', 'better'*"])


def test_compare_with_adaptive_sampling_is_a_collection_error(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeini("[pytest]\n")
    suite = COMPARE.format(n=2, mode="experiment", baseline="control", minimum=0)
    pytester.makepyfile(test_c=suite.replace('mode="experiment"', 'mode="experiment", max_count=8'))
    result = pytester.runpytest(*remote_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pipelines_compare*adaptive sampling*max_count*"])
