"""Workflow tags ``{"name", "color"?, "task_ids"?}`` and a task's tags: the workflow tags whose
``task_ids`` hold it (the API has no route to tag a task otherwise).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._engine.access import get_or_404, get_workflow_or_404
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.library import require_strings
from pytest_pipelines.local._http.deps import (
    Body,
    Page,
    State,
    WorkflowsAuth,
    paginate_list,
)

router = APIRouter(prefix="/api", tags=["tags"])

TASK_IDS = "task_ids must be a list of task ids of this workflow; unknown: {ids}"


_WF = "/projects/{project_id}/workflows/{workflow_id}"


@router.get(_WF + "/tags")
def list_workflow_tags(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int, page: Page
) -> dict[str, Any]:
    """The workflow's tags."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    return paginate_list(state.db.query("workflow_tag", parent_id=workflow_id), page)


@router.post(_WF + "/tags")
def create_workflow_tag(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int, body: Body
) -> dict[str, Any]:
    """Create a tag ``{"name", "color"?, "task_ids"?}``."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    errors = require_strings(body, "name")
    if errors:
        raise APIError(422, errors)
    task_ids = body.get("task_ids", [])
    known = {t["id"] for t in state.db.query("task", parent_id=workflow_id)}
    if not isinstance(task_ids, list) or any(t not in known for t in task_ids):
        bad = (
            task_ids if not isinstance(task_ids, list) else [t for t in task_ids if t not in known]
        )
        raise APIError(422, [error_item(["task_ids"], TASK_IDS.format(ids=bad))])
    return state.db.insert(
        "workflow_tag",
        {
            "org_id": principal.org_id,
            "project_id": project_id,
            "workflow_id": workflow_id,
            "name": body["name"],
            "color": body.get("color"),
            "task_ids": task_ids,
        },
        parent_id=workflow_id,
        parent_kind="workflow",
    )


@router.delete(_WF + "/tags/{tag_id}")
def delete_workflow_tag(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int, tag_id: int
) -> dict[str, Any]:
    """Delete a tag."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    tag = get_or_404(state, "workflow_tag", tag_id, principal, label="tag")
    if tag.get("workflow_id") != workflow_id:
        raise not_found("tag", tag_id)
    state.db.delete("workflow_tag", tag_id)
    return {"id": tag_id, "deleted": True}


@router.get(_WF + "/tasks/{task_id}/tags")
def list_task_tags(
    state: State,
    principal: WorkflowsAuth,
    project_id: int,
    workflow_id: int,
    task_id: int,
    page: Page,
) -> dict[str, Any]:
    """The workflow tags that hold this task."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    task = get_or_404(state, "task", task_id, principal)
    if task.get("workflow_id") != workflow_id:
        raise not_found("task", task_id)
    tags = [
        t
        for t in state.db.query("workflow_tag", parent_id=workflow_id)
        if task_id in t.get("task_ids", [])
    ]
    return paginate_list(tags, page)
