"""Workflows: CRUD, archive, creation-mode, configurable-fields, status-summary."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._engine import ownership
from pytest_pipelines.local._engine.access import get_or_404, get_workflow_or_404
from pytest_pipelines.local._engine.definitions import (
    configurable_fields,
    creation_mode,
    definition_errors,
)
from pytest_pipelines.local._engine.errors import APIError, error_item
from pytest_pipelines.local._engine.library import require_strings
from pytest_pipelines.local._http.deps import Body, Page, State, WorkflowsAuth, page_of

router = APIRouter(prefix="/api", tags=["workflows"])

SEED_ROWS = "seed_rows must be a list of input objects"
_SYSTEM = ("id", "created_at", "updated_at", "org_id", "project_id")


def _check(body: dict[str, Any], *, creating: bool) -> None:
    errors = require_strings(body, "name") if creating or "name" in body else []
    if creating or "definition" in body:
        errors += definition_errors(body.get("definition", {"nodes": []}))
    rows = body.get("seed_rows", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        errors.append(error_item(["seed_rows"], SEED_ROWS, "list_type"))
    if errors:
        raise APIError(422, errors)


@router.get("/workflows")
def list_workflows(state: State, principal: WorkflowsAuth, page: Page) -> dict[str, Any]:
    """Every workflow of the key's organization."""
    items = state.db.query(
        "workflow", org_id=principal.org_id, limit=page.page_size, offset=page.offset
    )
    return page_of(items, state.db.count("workflow", org_id=principal.org_id), page)


@router.get("/projects/{project_id}/workflows")
def list_project_workflows(
    state: State, principal: WorkflowsAuth, project_id: int, page: Page
) -> dict[str, Any]:
    """The workflows of one project."""
    get_or_404(state, "project", project_id, principal)
    items = state.db.query(
        "workflow", parent_id=project_id, limit=page.page_size, offset=page.offset
    )
    return page_of(items, state.db.count("workflow", parent_id=project_id), page)


@router.post("/projects/{project_id}/workflows")
def create_workflow(
    state: State, principal: WorkflowsAuth, project_id: int, body: Body
) -> dict[str, Any]:
    """Create a workflow from ``{"name", "description"?, "definition", "seed_rows"?}``."""
    get_or_404(state, "project", project_id, principal)
    body.setdefault("definition", {"nodes": []})
    _check(body, creating=True)
    data = {k: v for k, v in body.items() if k not in _SYSTEM}
    data.update(org_id=principal.org_id, project_id=project_id, status="active")
    data.setdefault("description", "")
    data.setdefault("seed_rows", [])
    return state.db.insert("workflow", data, parent_id=project_id, parent_kind="project")


@router.get("/projects/{project_id}/workflows/{workflow_id}")
def get_workflow(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int
) -> dict[str, Any]:
    """One workflow with its definition."""
    return get_workflow_or_404(state, principal, project_id, workflow_id)


@router.put("/projects/{project_id}/workflows/{workflow_id}")
def update_workflow(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int, body: Body
) -> dict[str, Any]:
    """Change a workflow's name, description, definition or seed rows."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    _check(body, creating=False)
    return state.db.patch(
        "workflow", workflow_id, {k: v for k, v in body.items() if k not in _SYSTEM}
    )


@router.delete("/projects/{project_id}/workflows/{workflow_id}")
def delete_workflow(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int
) -> dict[str, Any]:
    """Delete a workflow with its tasks, tool bindings, ground truths and experiment copies."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    ownership.delete_workflow(state, workflow_id)
    return {"id": workflow_id, "deleted": True}


@router.post("/projects/{project_id}/workflows/{workflow_id}/archive")
def archive_workflow(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int
) -> dict[str, Any]:
    """Archive a workflow."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    return state.db.patch("workflow", workflow_id, {"status": "archived"})


@router.get("/projects/{project_id}/workflows/{workflow_id}/creation-mode")
def get_creation_mode(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int
) -> dict[str, Any]:
    """``{"requires_csv", "mode", "input_fields", "seed_rows"}``."""
    workflow = get_workflow_or_404(state, principal, project_id, workflow_id)
    return creation_mode(workflow.get("definition") or {}, workflow.get("seed_rows") or [])


@router.get("/projects/{project_id}/workflows/{workflow_id}/configurable-fields")
def get_configurable_fields(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int
) -> dict[str, Any]:
    """``{"fields": [{"nodeId", "fieldId", "fieldTitle", "supports"}]}``."""
    workflow = get_workflow_or_404(state, principal, project_id, workflow_id)
    return {
        "workflow_id": workflow_id,
        "fields": configurable_fields(workflow.get("definition") or {}),
    }


@router.get("/projects/{project_id}/workflows/{workflow_id}/status-summary")
def get_workflow_status(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int
) -> dict[str, Any]:
    """Task counts by status, plus job count."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    tasks = state.db.query("task", parent_id=workflow_id)
    counts = dict.fromkeys(("queued", "running", "completed", "failed", "cancelled"), 0)
    for task in tasks:
        counts[task["status"]] = counts.get(task["status"], 0) + 1
    return {
        "workflow_id": workflow_id,
        "project_id": project_id,
        "total_tasks": len(tasks),
        "by_status": counts,
        "jobs": state.db.count("job", parent_id=workflow_id),
    }
