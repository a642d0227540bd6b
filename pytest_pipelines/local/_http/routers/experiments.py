"""Experiments: one workflow copy per variant, overrides applied to the copy, tasks there.

Shapes: SHAPES.md ("Jobs, experiments and waiting") plus, per variant, ``status`` and ``job_id``
(docs/reference/local-shapes.md "Experiments").
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request

from pytest_pipelines.client._models import experiment_errors
from pytest_pipelines.local._engine.access import Principal, get_workflow_or_404
from pytest_pipelines.local._engine.definitions import apply_overrides
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.jobs import TERMINAL_JOB
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http.deps import (
    MAX_STATUS_WAIT,
    Body,
    ExperimentsAuth,
    OptionalBody,
    State,
    StatusWait,
    check_task_total,
    idempotent,
)
from pytest_pipelines.local._store.db import OWNER_GONE, OwnerGone, parse_id

router = APIRouter(
    prefix="/api/projects/{project_id}/workflows/{workflow_id}/experiments", tags=["experiments"]
)

EXPERIMENT_PREFIX = "exp-"
COPY_NAME = "{workflow} - Experiment {variant}"


def _key(experiment_id: str) -> int | None:
    text = experiment_id.removeprefix(EXPERIMENT_PREFIX)
    return parse_id(text)


def _copy_tools(state: BackendState, source_id: int, copy_id: int) -> None:
    for kind in ("tool_binding", "tool_ground_truth"):
        for record in state.db.query(kind, parent_id=source_id):
            data = {k: v for k, v in record.items() if k not in ("id", "created_at", "updated_at")}
            data["workflow_id"] = copy_id
            data["copied_from"] = record["id"]
            state.db.insert(kind, data, parent_id=copy_id, parent_kind="workflow")


def _still_there(state: BackendState, experiment_id: int, workflow_id: int) -> None:
    """Raise OwnerGone (a 404) when the experiment went with its workflow (call in a tx)."""
    if state.db.get("experiment", experiment_id) is None:
        raise OwnerGone(OWNER_GONE.format(owner="workflow", id=workflow_id, kind="experiment"))


@router.post("")
def create_experiment(
    request: Request,
    state: State,
    principal: ExperimentsAuth,
    project_id: int,
    workflow_id: int,
    body: Body,
) -> dict[str, Any]:
    """Copy the workflow once per variant, apply its overrides, create tasks in each copy."""
    workflow = get_workflow_or_404(state, principal, project_id, workflow_id)
    errors = experiment_errors(body)
    if errors:
        raise APIError(
            422, [error_item(e["loc"], e["msg"], e.get("type", "value_error")) for e in errors]
        )
    check_task_total(int(body["count"]) * len(body["variants"]))
    # Check every variant before creating anything.
    definitions = []
    for index, variant in enumerate(body["variants"]):
        definition, problems = apply_overrides(
            workflow.get("definition") or {"nodes": []}, variant.get("configOverrides")
        )
        if problems:
            raise APIError(
                422,
                [
                    error_item(["variants", index, "configOverrides", *p["loc"]], p["msg"])
                    for p in problems
                ],
            )
        try:
            state.engine.resolve(
                principal.org_id,
                workflow,
                copy.deepcopy(definition),
                variant.get("configOverrides"),
            )
        except APIError as exc:
            raise APIError(
                422, [error_item(["variants", index, *e["loc"][1:]], e["msg"]) for e in exc.detail]
            ) from None
        definitions.append(definition)

    def create() -> dict[str, Any]:
        with state.db.tx():
            experiment = state.db.insert(
                "experiment",
                {
                    "org_id": principal.org_id,
                    "project_id": project_id,
                    "workflow_id": workflow_id,
                    "count": body["count"],
                    "variants": [],
                    "cancelled": False,
                },
                parent_id=workflow_id,
                parent_kind="workflow",
            )
        variants = []
        for variant, definition in zip(body["variants"], definitions, strict=True):
            name = COPY_NAME.format(workflow=workflow["name"], variant=variant["name"])
            data = {
                k: v for k, v in workflow.items() if k not in ("id", "created_at", "updated_at")
            }
            data.update(
                name=name,
                definition=definition,
                source_workflow_id=workflow_id,
                experiment_id=experiment["id"],
                variant=variant["name"],
                config_overrides=variant.get("configOverrides") or {},
            )
            with state.db.tx():
                # the workflow (and its experiment) may be deleted while the copies are made
                _still_there(state, experiment["id"], workflow_id)
                copy_record = state.db.insert(
                    "workflow", data, parent_id=project_id, parent_kind="project"
                )
                _copy_tools(state, workflow_id, copy_record["id"])
            job = state.engine.create_job(
                org_id=principal.org_id,
                project_id=project_id,
                workflow=copy_record,
                payload={k: body[k] for k in ("count", "inputs", "expected_outputs") if k in body},
                experiment_id=experiment["id"],
                apply=False,
            )
            variants.append(
                {
                    "name": variant["name"],
                    "workflow_id": copy_record["id"],
                    "workflow_name": name,
                    "job_id": job["job_id"],
                    "task_ids": job["task_ids"],
                }
            )
        experiment_id = EXPERIMENT_PREFIX + str(experiment["id"])
        with state.db.tx():
            _still_there(state, experiment["id"], workflow_id)
            state.db.patch(
                "experiment",
                experiment["id"],
                {"variants": variants, "experiment_id": experiment_id},
            )
        return {"experiment_id": experiment_id, "status": "queued"}

    return idempotent(state, request, principal, body, create)


def _experiment(
    state: BackendState, principal: Principal, workflow_id: int, experiment_id: str
) -> dict[str, Any]:
    key = _key(experiment_id)
    record = state.db.get("experiment", key) if key is not None else None
    if (
        record is None
        or record.get("org_id") != principal.org_id
        or record.get("workflow_id") != workflow_id
    ):
        raise not_found("experiment", experiment_id)
    return record


def experiment_status(state: BackendState, record: dict[str, Any]) -> dict[str, Any]:
    """``{"experiment_id", "status", "variants": [{"name", "workflow_id", "workflow_name", "task_ids", "status", "job_id"}]}``."""
    variants = []
    statuses = []
    for variant in record.get("variants", []):
        status = state.engine.job_status(state.engine.get_job(variant["job_id"]))
        statuses.append(status["status"])
        variants.append(
            {
                **variant,
                "status": status["status"],
                "task_ids": status["task_ids"],
                "completed": status["completed"],
                "failed": status["failed"],
                "cancelled": status["cancelled"],
            }
        )
    if any(s not in TERMINAL_JOB for s in statuses):
        overall = "running" if any(s != "queued" for s in statuses) else "queued"
    elif not statuses:
        overall = "completed"
    elif any(s in ("cancelled", "partially_cancelled") for s in statuses):
        overall = "cancelled" if all(s == "cancelled" for s in statuses) else "partially_cancelled"
    elif all(s == "completed" for s in statuses):
        overall = "completed"
    elif all(s == "failed" for s in statuses):
        overall = "failed"
    else:
        overall = "completed_with_partial_results"
    return {
        "experiment_id": record.get("experiment_id") or EXPERIMENT_PREFIX + str(record["id"]),
        "status": overall,
        "project_id": record.get("project_id"),
        "workflow_id": record.get("workflow_id"),
        "cancelled": record.get("cancelled", False),
        "variants": variants,
        "created_at": record.get("created_at"),
    }


@router.get("/{experiment_id}")
def get_experiment_status(
    state: State,
    principal: ExperimentsAuth,
    project_id: int,
    workflow_id: int,
    experiment_id: str,
    wait: StatusWait = 0.0,
) -> dict[str, Any]:
    """The experiment status with its variants; ``wait=S`` holds it like the job status."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    record = _experiment(state, principal, workflow_id, experiment_id)
    status = state.engine.hold(lambda: experiment_status(state, record), wait)
    return {**status, "max_wait": MAX_STATUS_WAIT}


@router.post("/{experiment_id}/cancel")
def cancel_experiment(
    state: State,
    principal: ExperimentsAuth,
    project_id: int,
    workflow_id: int,
    experiment_id: str,
    _: OptionalBody,
) -> dict[str, Any]:
    """Best effort: queued tasks are cancelled; completed work and created tasks stay."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    record = _experiment(state, principal, workflow_id, experiment_id)
    state.db.patch("experiment", record["id"], {"cancelled": True})
    for variant in record.get("variants", []):
        state.engine.cancel_job(state.engine.get_job(variant["job_id"]))
    return experiment_status(state, record)
