"""Every criterion type, on ephemeral criteria and evaluations swapped in per test.

The fixtures create criteria and an evaluation for one test (names unique to the run, deleted at
teardown even when the test fails); ``pipelines_evaluation_swap`` makes the workflow's evaluation
field ``review.quality`` use that evaluation for this run only, and ``pipelines_prompt_swap``
changes the itinerary prompt for this run only. The demo workflow itself never changes.

Criterion types covered (the demo evaluation adds contains_keywords, regex_match and llm_judge,
see test_rome_quality.py):

- programmatic ``exact_match`` (against ``expected_outputs``) and ``json_validity`` (with a schema)
- ``llm_metric`` (a built-in metric scored 0..1 by a judge model)
- ``human_rating`` (pending until a person rates; reported, never gated)
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_pipelines import CriterionFactory, EvaluationFactory, RunResult

pytestmark = pytest.mark.pipelines_workflow(project=22, workflow=10, count=2)

#: What "Create a concise 2 day Rome itinerary." makes the demo planner answer, exactly: the
#: expected output of the exact_match example.
CONCISE_TWO_DAYS = (
    "Day 1: Colosseum and Roman Forum.\nDay 2: Vatican Museums and St. Peter's Basilica."
)

ITINERARY_SCHEMA = {
    "type": "object",
    "required": ["city", "days"],
    "properties": {
        "city": {"const": "Rome"},
        "days": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "object", "required": ["day", "sights"]},
        },
    },
}


@pytest.fixture
def exact_evaluation(
    pipelines_criterion: CriterionFactory, pipelines_evaluation: EvaluationFactory
) -> dict[str, Any]:
    """An evaluation with one exact_match criterion (ephemeral)."""
    exact = pipelines_criterion(
        "Exact Match", config={"subtype": "exact_match", "strip_whitespace": True}
    )
    return pipelines_evaluation([exact], name="exact")


@pytest.fixture
def json_evaluation(
    pipelines_criterion: CriterionFactory, pipelines_evaluation: EvaluationFactory
) -> dict[str, Any]:
    """An evaluation with a json_validity criterion and a JSON Schema (ephemeral)."""
    valid_json = pipelines_criterion(
        "Valid Itinerary JSON", config={"subtype": "json_validity", "schema": ITINERARY_SCHEMA}
    )
    return pipelines_evaluation([valid_json], name="json")


@pytest.fixture
def judged_evaluation(
    pipelines_criterion: CriterionFactory, pipelines_evaluation: EvaluationFactory
) -> dict[str, Any]:
    """An evaluation with an llm_metric and a human_rating criterion (ephemeral)."""
    coherence = pipelines_criterion(
        "Coherence",
        type="llm_metric",
        config={"subtype": "coherence", "model": "demo-judge", "threshold": 0.3},
        output_schema={"type": "numeric", "range": [0, 1]},
    )
    human = pipelines_criterion(
        "Traveller Rating",
        type="human_rating",
        config={"rubric": "Would you follow this itinerary? 1 = never, 5 = gladly."},
        output_schema={"type": "rating", "range": [1, 5]},
    )
    return pipelines_evaluation([coherence, human], name="judged")


@pytest.mark.pipelines_workflow(
    project=22,
    workflow=10,
    count=2,
    inputs=[{"city": "Rome", "days": 2}],
    expected_outputs=[CONCISE_TWO_DAYS],
)
@pytest.mark.pipelines_prompt_swap(node="plan", field="itinerary", prompt="concise_prompt")
@pytest.mark.pipelines_evaluation_swap(
    node="review", field="quality", evaluation="exact_evaluation"
)
@pytest.mark.pipelines_gate("Exact Match", min_pass_rate=1.0)
def test_exact_match_against_expected_outputs(pipelines_run: RunResult) -> None:
    stats = pipelines_run.criterion("Exact Match")
    assert (stats.n, stats.passes) == (2, 2)
    # The swapped-in evaluation replaced the demo one on review.quality for this run.
    assert set(pipelines_run.criteria) == {"Exact Match"}


@pytest.mark.pipelines_prompt_swap(node="plan", field="itinerary", prompt="json_prompt")
@pytest.mark.pipelines_evaluation_swap(node="review", field="quality", evaluation="json_evaluation")
@pytest.mark.pipelines_gate("Valid Itinerary JSON", min_pass_rate=1.0)
def test_json_itinerary_fits_the_schema(pipelines_run: RunResult) -> None:
    import json

    for task in pipelines_run.tasks:
        plan = json.loads(task.output("plan", "itinerary"))
        assert len(plan["days"]) == task.inputs["days"]


@pytest.mark.pipelines_evaluation_swap(
    node="review", field="quality", evaluation="judged_evaluation"
)
@pytest.mark.pipelines_gate("Coherence", min_mean=0.3, min_pass_rate=1.0)
def test_llm_metric_gated_and_human_rating_pending(pipelines_run: RunResult) -> None:
    coherence = pipelines_run.criterion("Coherence")
    assert coherence.output_type == "numeric"
    assert coherence.min is not None
    assert 0.0 <= coherence.min <= 1.0
    # A human rating stays pending until someone submits it: it is reported, not gated (a gate
    # on it would have nothing to measure yet).
    human = pipelines_run.criterion("Traveller Rating")
    assert (human.n, human.pending) == (0, 2)
    assert human.pass_rate is None
