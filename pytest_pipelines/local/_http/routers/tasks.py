"""Tasks: create (sync and async), job status, cancel, task detail, tool-call history.

Shapes: docs/reference/local-shapes.md ("Creating tasks", "Job status", "Task detail").
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from pytest_pipelines.client._models import create_tasks_errors
from pytest_pipelines.local._engine import details
from pytest_pipelines.local._engine.access import Principal, get_or_404, get_workflow_or_404
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http.deps import (
    MAX_STATUS_WAIT,
    Body,
    State,
    StatusWait,
    TasksAuth,
    check_task_total,
    idempotent,
)

router = APIRouter(prefix="/api/projects/{project_id}/workflows/{workflow_id}", tags=["tasks"])

SYNC_TIMEOUT_S = 300.0


def validate_create(body: dict[str, Any]) -> None:
    """422 (loc under ``body``) for an invalid task-creation payload."""
    errors = create_tasks_errors(body)
    if errors:
        raise APIError(
            422, [error_item(e["loc"], e["msg"], e.get("type", "value_error")) for e in errors]
        )
    check_task_total(int(body.get("count") or 1))


def task_detail(
    state: BackendState, task: dict[str, Any], node_records: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The task detail shape: the task plus its nodes, outputs, evaluation results, tool calls.

    :param node_records: the task's node records when the caller has read them already; default
        None: read them here.
    """
    if node_records is None:
        node_records = state.db.query("node", parent_id=task["id"])
    return details.task_detail(task, node_records)


def _job_for(
    state: BackendState, principal: Principal, workflow_id: int, job_id: str
) -> dict[str, Any]:
    job = state.engine.get_job(job_id)
    if job.get("org_id") != principal.org_id or job.get("workflow_id") != workflow_id:
        raise not_found("job", job_id)
    return job


@router.post("/create-tasks")
def create_tasks(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int, body: Body
) -> dict[str, Any]:
    """Create tasks and wait until they finish; the job status plus every task's detail."""
    workflow = get_workflow_or_404(state, principal, project_id, workflow_id)
    validate_create(body)
    job = state.engine.create_job(
        org_id=principal.org_id, project_id=project_id, workflow=workflow, payload=body
    )
    status = state.engine.wait_job(job, SYNC_TIMEOUT_S)
    tasks = [state.db.get("task", tid) for tid in status["task_ids"]]
    return {**status, "tasks": [task_detail(state, t) for t in tasks if t is not None]}


@router.post("/seeded-data/create-tasks-async")
def create_tasks_async(
    request: Request,
    state: State,
    principal: TasksAuth,
    project_id: int,
    workflow_id: int,
    body: Body,
) -> dict[str, Any]:
    """Queue tasks; ``{"job_id", "status", "task_ids"}``. Honours ``Idempotency-Key``."""
    workflow = get_workflow_or_404(state, principal, project_id, workflow_id)
    validate_create(body)

    def create() -> dict[str, Any]:
        job = state.engine.create_job(
            org_id=principal.org_id, project_id=project_id, workflow=workflow, payload=body
        )
        return {"job_id": job["job_id"], "status": "queued", "task_ids": job["task_ids"]}

    return idempotent(state, request, principal, body, create)


@router.get("/seeded-data/create-tasks-status/{job_id}")
def get_create_tasks_status(
    state: State,
    principal: TasksAuth,
    project_id: int,
    workflow_id: int,
    job_id: str,
    wait: StatusWait = 0.0,
) -> dict[str, Any]:
    """The job status shape; with ``wait=S``, answered once the job is terminal or S s passed."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    job = _job_for(state, principal, workflow_id, job_id)
    return {
        **state.engine.hold(lambda: state.engine.job_status(job), wait),
        "max_wait": MAX_STATUS_WAIT,
    }


@router.post("/seeded-data/create-tasks-status/{job_id}/cancel")
def cancel_create_tasks(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int, job_id: str
) -> dict[str, Any]:
    """Cancel the job's queued tasks; running tasks finish. The new job status."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    return state.engine.cancel_job(_job_for(state, principal, workflow_id, job_id))


@router.get("/tasks/{task_id}")
def get_task(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int, task_id: int
) -> dict[str, Any]:
    """The task detail shape."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    task = get_or_404(state, "task", task_id, principal)
    if task.get("workflow_id") != workflow_id:
        raise not_found("task", task_id)
    return task_detail(state, task)


@router.get("/tasks/{task_id}/timeline")
def get_task_timeline(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int, task_id: int
) -> dict[str, Any]:
    """The task's events in time order (created, started, node finished, finished)."""
    detail = get_task(state, principal, project_id, workflow_id, task_id)
    events = [{"event": "created", "at": detail["created_at"]}]
    if detail.get("started_at"):
        events.append({"event": "started", "at": detail["started_at"]})
    for node in detail["nodes"]:
        events.append(
            {
                "event": f"node {node['node_id']} {node['status']}",
                "at": node.get("finished_at") or node.get("created_at"),
            }
        )
    if detail.get("finished_at"):
        events.append({"event": detail["status"], "at": detail["finished_at"]})
    return {"task_id": task_id, "events": events}


def get_node_or_404(
    state: BackendState, principal: Principal, workflow_id: int, node_db_id: int
) -> dict[str, Any]:
    """A node record of a task of ``workflow_id``, visible to the key; else 404."""
    node = get_or_404(state, "node", node_db_id, principal)
    if node.get("workflow_id") != workflow_id:
        raise not_found("node", node_db_id)
    return node


@router.get("/nodes/{node_db_id}/tool-call-history")
def get_tool_call_history(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int, node_db_id: int
) -> dict[str, Any]:
    """Every tool call recorded for the node, in call order."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    node = get_node_or_404(state, principal, workflow_id, node_db_id)
    calls = [details.tool_call_view(c) for c in state.db.query("tool_call", parent_id=node_db_id)]
    return {
        "node_db_id": node_db_id,
        "node_id": node["node_id"],
        "task_id": node.get("task_id"),
        "items": calls,
        "total": len(calls),
    }
