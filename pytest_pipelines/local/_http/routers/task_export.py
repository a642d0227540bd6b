"""Workflow task export: a workflow's tasks as CSV or JSON rows, with each task's full detail
on request (``include_details``, how the plugin collects a run in one request), at once or as a
job.

An area of its own, not part of ``datasets.py``: an eval test's result collection builds only
these three routes, not the datasets area's twenty. Shapes: ``docs/local-backend-reference.md``
("Datasets").
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from fastapi import APIRouter, Response

from pytest_pipelines.local._engine.access import Principal, get_workflow_or_404
from pytest_pipelines.local._engine.background import (
    create_job,
    job_view,
    run_in_background,
    workflow_job_view,
)
from pytest_pipelines.local._engine.details import encoded_details
from pytest_pipelines.local._engine.errors import APIError, error_item
from pytest_pipelines.local._engine.notifications import notify
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._engine.tables import BAD_FORMAT, file_bytes, file_ref, to_csv
from pytest_pipelines.local._http.deps import Body, State, TasksAuth
from pytest_pipelines.local._store.db import record

router = APIRouter(prefix="/api", tags=["datasets"])

TASK_EXPORT_FORMATS = ("csv", "json")
EXPORT_STATUS = (
    'status filters tasks by status: a string ("completed") or a list of strings '
    '(["completed", "failed"])'
)
EXPORT_TASK_IDS = "task_ids must be a list of task ids (integers)"
EXPORT_FLAG = "{flag} must be true or false (JSON booleans, not strings or numbers)"

_WF = "/projects/{project_id}/workflows/{workflow_id}"


def _selected(
    state: BackendState, principal: Principal, workflow_id: int, body: dict[str, Any]
) -> list[sqlite3.Row]:
    """The stored rows of the tasks an export body selects (``status``, ``task_ids``), by id."""
    where: dict[str, Any] = {}
    if body.get("status"):
        where["status"] = body["status"]
    ids = body["task_ids"] if isinstance(body.get("task_ids"), list) else None
    return state.db.rows(
        "task", parent_id=workflow_id, org_id=principal.org_id, where=where, ids=ids
    )


def _task_rows(
    state: BackendState, principal: Principal, tasks: list[dict[str, Any]], with_files: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows, files = [], []
    nodes_of = state.db.children("node", [t["id"] for t in tasks])
    for task in tasks:
        nodes = nodes_of[task["id"]]
        row: dict[str, Any] = {
            "task_id": task["id"],
            "status": task.get("status"),
            "error": task.get("error"),
            "created_at": task.get("created_at"),
        }
        for key, value in (task.get("inputs") or {}).items():
            row[f"input.{key}"] = value
        for node in nodes:
            for key, value in (node.get("outputs") or {}).items():
                row[f"{node.get('node_id')}.{key}"] = value
            for result in node.get("evaluation_results") or []:
                row[f"eval.{result.get('criterion_name')}"] = result.get("value")
        if with_files:
            for value in row.values():
                ref = file_ref(value)
                if ref is not None:
                    found = file_bytes(state, ref, principal.org_id)
                    files.append(
                        {
                            "task_id": task["id"],
                            "file_id": ref,
                            "filename": found[0].get("filename") if found else None,
                            "available": found is not None,
                        }
                    )
        rows.append(row)
    return rows, files


def check_export(body: dict[str, Any]) -> None:
    """422 unless ``format`` is known, ``status`` a string or a list of strings, ``task_ids``
    a list of integers, ``include_details`` and ``include_content`` booleans (each optional)."""
    errors = []
    fmt = body.get("format", "csv")
    if fmt not in TASK_EXPORT_FORMATS:
        errors.append(
            error_item(
                ["format"], BAD_FORMAT.format(format=fmt, valid=", ".join(TASK_EXPORT_FORMATS))
            )
        )
    status = body.get("status")
    if status is not None and not (
        isinstance(status, str)
        or (isinstance(status, list) and all(isinstance(s, str) for s in status))
    ):
        errors.append(error_item(["status"], EXPORT_STATUS, "string_type"))
    task_ids = body.get("task_ids")
    if task_ids is not None and not (
        isinstance(task_ids, list)
        and all(isinstance(i, int) and not isinstance(i, bool) for i in task_ids)
    ):
        errors.append(error_item(["task_ids"], EXPORT_TASK_IDS, "list_type"))
    for flag in ("include_details", "include_content"):
        if flag in body and not isinstance(body[flag], bool):
            errors.append(error_item([flag], EXPORT_FLAG.format(flag=flag), "bool_type"))
    if errors:
        raise APIError(422, errors)


def _export_head(
    state: BackendState,
    principal: Principal,
    workflow_id: int,
    body: dict[str, Any],
    selected: list[sqlite3.Row],
) -> dict[str, Any]:
    """The export without ``details``: the selected tasks' rows as ``content`` (unless
    ``include_content`` is false) and their ``files`` (with ``include_files``)."""
    fmt = body.get("format", "csv")
    out: dict[str, Any] = {
        "workflow_id": workflow_id,
        "format": fmt,
        "count": len(selected),
        "filename": f"workflow-{workflow_id}-tasks.{fmt}",
    }
    content = body.get("include_content", True)
    with_files = bool(body.get("include_files"))
    if content or with_files:
        rows, files = _task_rows(state, principal, [record(r) for r in selected], with_files)
        if content:
            out["content"] = to_csv(rows) if fmt == "csv" else json.dumps(rows)
        if with_files:
            out["files"] = files
    return out


def _export(
    state: BackendState, principal: Principal, workflow_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    check_export(body)
    selected = _selected(state, principal, workflow_id, body)
    out = _export_head(state, principal, workflow_id, body, selected)
    if body.get("include_details"):
        # A local extension (the hosted export's fields are unknown): each exported task's full
        # detail, the shape of GET .../tasks/{id}, so a client collects a run in one request.
        out["details"] = [json.loads(b) for b in encoded_details(state.db, selected)]
    return out


_JSON = "application/json"


@router.post(_WF + "/export-tasks")
def export_tasks(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int, body: Body
) -> Response:
    """The workflow's tasks as CSV or JSON text in ``content`` (one row per task)."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    check_export(body)
    selected = _selected(state, principal, workflow_id, body)
    # encoded here: FastAPI's generic encoder would walk every value of a large export
    head = json.dumps(_export_head(state, principal, workflow_id, body, selected))
    if not body.get("include_details"):
        return Response(head, media_type=_JSON)
    # each task's detail encoded on its own (_engine/details.py) and joined
    parts = encoded_details(state.db, selected)
    return Response(
        b"".join((head[:-1].encode(), b', "details": [', b", ".join(parts), b"]}")),
        media_type=_JSON,
    )


@router.post(_WF + "/export-tasks-async")
def export_tasks_async(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int, body: Body
) -> dict[str, Any]:
    """Like export-tasks, as a job; the export is the job's ``result``."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    check_export(body)
    job = create_job(state, "export", principal.org_id, workflow_id=workflow_id)

    def work(job: dict[str, Any]) -> dict[str, Any]:
        result = _export(state, principal, workflow_id, body)
        notify(
            state,
            org_id=principal.org_id,
            user_id=principal.user_id,
            kind="export",
            title=f"Export of workflow {workflow_id} is ready",
            body=f"{result['count']} tasks",
            link={"project_id": project_id, "workflow_id": workflow_id, "job_id": job["job_id"]},
        )
        return result

    run_in_background(state, job, work)
    return job_view(job)


@router.get(_WF + "/export-tasks-status/{job_id}")
def get_export_status(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int, job_id: str
) -> dict[str, Any]:
    """The export job's status; ``result`` is the export once completed."""
    return workflow_job_view(state, principal, project_id, workflow_id, "export", job_id)
