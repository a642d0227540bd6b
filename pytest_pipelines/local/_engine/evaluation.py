"""Scoring a dataset with an evaluation: every row's output through the evaluation's criteria.

Used by the dataset eval preview (synchronous) and eval runs (a background job).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine.access import Principal, get_or_404
from pytest_pipelines.local._engine.criteria import evaluate_criterion
from pytest_pipelines.local._engine.errors import APIError, error_item

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

EVAL_ID = "evaluation_id is required (an evaluation visible to this key's organization)"


def evaluation_criteria(
    state: BackendState, principal: Principal, evaluation_id: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The evaluation (visible to the principal) and its criteria; 422 without an integer id."""
    if not isinstance(evaluation_id, int):
        raise APIError(422, [error_item(["evaluation_id"], EVAL_ID, "missing")])
    evaluation = get_or_404(state, "evaluation", evaluation_id, principal)
    criteria = []
    for ref in evaluation.get("criteria") or []:
        criterion = state.db.get("criterion", int(ref.get("criterion_id") or 0))
        if criterion is not None:
            criteria.append(criterion)
    return evaluation, criteria


def score_rows(
    state: BackendState,
    criteria: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    output_column: str,
    expected_column: str | None,
    on_row: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Each row's ``output_column`` scored by every criterion (``expected_column`` as reference).

    :param on_row: default None; called with each row's index before it is scored (progress).
    """
    scored = []
    for index, row in enumerate(rows):
        if on_row is not None:
            on_row(index)
        results = []
        for criterion in criteria:
            outcome = evaluate_criterion(
                criterion,
                row.get(output_column),
                inputs=row,
                expected_output=row.get(expected_column) if expected_column else None,
                judge=state.registry.judge,
            )
            results.append(
                {
                    "criterion_id": criterion["id"],
                    "criterion_name": criterion.get("name"),
                    "status": outcome.status,
                    "value": outcome.value,
                    "passed": outcome.passed,
                    "reason": outcome.reason,
                    "error": outcome.error,
                }
            )
        scored.append({"row_index": index, "output": row.get(output_column), "results": results})
    return scored


def summarize(scored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per criterion: count, passed, failed, errors, pending and the mean of numeric values."""
    by: dict[Any, dict[str, Any]] = {}
    for row in scored:
        for r in row["results"]:
            s = by.setdefault(
                r["criterion_id"],
                {
                    "criterion_id": r["criterion_id"],
                    "criterion_name": r["criterion_name"],
                    "count": 0,
                    "passed": 0,
                    "failed": 0,
                    "errors": 0,
                    "pending": 0,
                    "values": [],
                },
            )
            s["count"] += 1
            s["passed"] += r["passed"] is True
            s["failed"] += r["passed"] is False
            s["errors"] += r["status"] == "error"
            s["pending"] += r["status"] == "pending"
            if isinstance(r["value"], (int, float)):
                s["values"].append(float(r["value"]))
    out = []
    for s in by.values():
        values = s.pop("values")
        s["mean"] = round(statistics.fmean(values), 6) if values else None
        out.append(s)
    return out
