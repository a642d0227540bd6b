"""Running one task: fields in order, LLM fields through ``llm.py``, then evaluations.

Called by the engine's worker threads with the job's resolved definition. Returns the task's
error message (None when it completed). Node records (kind ``node``, parent = task id) and tool
call records (kind ``tool_call``, parent = node db id) are written as the run goes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine.criteria import CriterionOutcome, evaluate_criterion, subtype_of
from pytest_pipelines.local._engine.llm import field_failed, generate_field, remember
from pytest_pipelines.local._engine.meter import current, metering, summarize
from pytest_pipelines.local._store.db import utcnow

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

TARGET_MISSING = "the evaluation field {field!r} targets {node}.{target}, which produced no output"
CRITERION_CRASHED = (
    "criterion {name!r} could not be evaluated: {error_type}: {error}; this is a bug in the "
    "criterion implementation, the task's other results stand"
)


def _evaluate(
    state: BackendState,
    task: Mapping[str, Any],
    field: Mapping[str, Any],
    outputs: Mapping[tuple[Any, Any], Any],
) -> list[dict[str, Any]]:
    target = field.get("target") or {}
    key = (target.get("node_id"), target.get("field_id"))
    results = []
    for criterion in field.get("resolved_criteria") or []:
        config = criterion.get("config") or {}
        base = {
            "field_id": field["id"],
            "target_node_id": key[0],
            "target_field_id": key[1],
            "evaluation_id": field.get("evaluation_id"),
            "evaluation_version": field.get("evaluation_version"),
            "criterion_id": criterion.get("id"),
            "criterion_version": criterion.get("version"),
            "criterion_name": criterion.get("name"),
            "criterion_type": criterion.get("type"),
            "subtype": config.get("subtype")
            if criterion.get("type") != "llm_judge"
            else "llm_judge",
            "output_type": (criterion.get("output_schema") or {}).get("type"),
            "threshold": config.get("threshold"),
        }
        with contextlib.suppress(Exception):
            base["subtype"] = subtype_of(criterion)
        if key not in outputs:
            results.append(
                {
                    **base,
                    "status": "error",
                    "value": None,
                    "passed": None,
                    "reason": None,
                    "error": TARGET_MISSING.format(field=field["id"], node=key[0], target=key[1]),
                }
            )
            continue
        meter = current()
        mark = meter.mark() if meter else 0
        try:
            outcome = evaluate_criterion(
                criterion,
                outputs[key],
                inputs=task.get("inputs") or {},
                expected_output=task.get("expected_output"),
                judge=state.registry.judge,
            )
        except Exception as exc:  # one broken criterion must not lose the task's other results
            outcome = CriterionOutcome(
                status="error",
                error=CRITERION_CRASHED.format(
                    name=criterion.get("name"), error_type=type(exc).__name__, error=exc
                ),
            )
        result = {
            **base,
            "status": outcome.status,
            "value": outcome.value,
            "passed": outcome.passed,
            "reason": outcome.reason,
            "error": outcome.error,
        }
        judge_calls = meter.since(mark) if meter else []
        if judge_calls:
            result["usage"] = summarize(judge_calls)
        results.append(result)
    return results


def task_usage(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The task's ``usage``: totals of its model calls, and the same per model slug."""
    by_model: dict[str, list[dict[str, Any]]] = {}
    for call in calls:
        by_model.setdefault(str(call.get("model")), []).append(call)
    return {
        **summarize(calls),
        "by_model": {slug: summarize(group) for slug, group in sorted(by_model.items())},
    }


def run_task(
    state: BackendState, task: Mapping[str, Any], definition: Mapping[str, Any]
) -> str | None:
    """Run every node of ``definition`` for ``task``; return the error, or None when completed.

    Every model call (judges included) is metered; the totals go on the fields, evaluation
    results, nodes and the task as ``usage`` (``docs/reference/local-shapes.md#usage``).
    """
    label = f"task {task['id']} of {task.get('job_id') or 'a generation'}"
    with metering(repeat=int(task.get("repeat") or 0), label=label) as meter:
        try:
            return _run_nodes(state, task, definition)
        finally:
            state.db.patch("task", task["id"], {"usage": task_usage(meter.calls)})


def _run_nodes(
    state: BackendState, task: Mapping[str, Any], definition: Mapping[str, Any]
) -> str | None:
    meter = current()
    db = state.db
    inputs = dict(task.get("inputs") or {})
    values: dict[str, Any] = dict(inputs)
    outputs: dict[tuple[str, str], Any] = {}
    for node in definition.get("nodes", []):
        node_rec = db.insert(
            "node",
            {
                "org_id": task.get("org_id"),
                "task_id": task["id"],
                "workflow_id": task["workflow_id"],
                "project_id": task.get("project_id"),
                "node_id": node["id"],
                "title": node.get("title", node["id"]),
                "status": "running",
                "outputs": {},
                "fields": [],
                "evaluation_results": [],
                "tool_calls": [],
                "error": None,
            },
            parent_id=task["id"],
            parent_kind="task",
        )
        node_outputs: dict[str, Any] = {}
        fields: list[dict[str, Any]] = []
        evaluation_results: list[dict[str, Any]] = []
        tool_calls: list[dict[str, Any]] = []
        error: str | None = None
        node_mark = meter.mark() if meter else 0
        for field in node.get("fields", []):
            ftype = field.get("type")
            if ftype == "input":
                value = inputs.get(field["id"], field.get("default"))
                node_outputs[field["id"]] = value
            elif ftype == "llm":
                record = generate_field(
                    state, task, node_rec["id"], node, field, values, tool_calls
                )
                fields.append(record)
                if record["error"] is not None:
                    error = field_failed(node["id"], record)
                    break
                node_outputs[field["id"]] = record["output"]
            elif ftype == "evaluation":
                evaluation_results.extend(_evaluate(state, task, field, outputs))
                continue
            else:
                continue
            outputs[(node["id"], field["id"])] = node_outputs[field["id"]]
            remember(values, node["id"], field["id"], node_outputs[field["id"]])
        db.patch(
            "node",
            node_rec["id"],
            {
                "status": "failed" if error else "completed",
                "outputs": node_outputs,
                "fields": fields,
                "evaluation_results": evaluation_results,
                "tool_calls": tool_calls,
                "error": error,
                "usage": summarize(meter.since(node_mark) if meter else []),
                "finished_at": utcnow(),
            },
        )
        if error:
            return error
    return None
