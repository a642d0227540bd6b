"""Workflow chains: ``{"name", "description"?, "workflow_ids": [...]}``, workflows of a project run
one after the other (the local backend stores chains; it does not run them as a unit).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._engine.access import Principal, get_or_404
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.library import require_strings
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http.deps import (
    Body,
    Page,
    State,
    WorkflowsAuth,
    page_of,
)

router = APIRouter(prefix="/api", tags=["workflow-chains"])

CHAIN_WORKFLOWS = "workflow_ids must be a non-empty list of workflow ids of project {project}"
UNKNOWN_WORKFLOWS = "workflows {ids} are not in project {project}; its workflows: {valid}"
_SYSTEM = ("id", "created_at", "updated_at", "org_id", "project_id")


def _chain(
    state: BackendState, principal: Principal, project_id: int, chain_id: int
) -> dict[str, Any]:
    get_or_404(state, "project", project_id, principal)
    chain = get_or_404(state, "workflow_chain", chain_id, principal, label="workflow chain")
    if chain.get("project_id") != project_id:
        raise not_found("workflow chain", chain_id)
    return chain


@router.get("/projects/{project_id}/workflow-chains")
def list_workflow_chains(
    state: State, principal: WorkflowsAuth, project_id: int, page: Page
) -> dict[str, Any]:
    """The project's chains, paginated."""
    get_or_404(state, "project", project_id, principal)
    items = state.db.query(
        "workflow_chain", parent_id=project_id, limit=page.page_size, offset=page.offset
    )
    return page_of(items, state.db.count("workflow_chain", parent_id=project_id), page)


@router.get("/projects/{project_id}/workflow-chains/{chain_id}")
def get_workflow_chain(
    state: State, principal: WorkflowsAuth, project_id: int, chain_id: int
) -> dict[str, Any]:
    """One chain with its workflows' names."""
    chain = _chain(state, principal, project_id, chain_id)
    steps = []
    for wid in chain.get("workflow_ids") or []:
        workflow = state.db.get("workflow", wid)
        steps.append(
            {
                "workflow_id": wid,
                "name": (workflow or {}).get("name"),
                "exists": workflow is not None,
            }
        )
    return {**chain, "steps": steps}


@router.post("/projects/{project_id}/workflow-chains")
def create_workflow_chain(
    state: State, principal: WorkflowsAuth, project_id: int, body: Body
) -> dict[str, Any]:
    """Create a chain ``{"name", "description"?, "workflow_ids"}`` of the project's workflows."""
    get_or_404(state, "project", project_id, principal)
    errors = require_strings(body, "name")
    ids = body.get("workflow_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        errors.append(
            error_item(["workflow_ids"], CHAIN_WORKFLOWS.format(project=project_id), "list_type")
        )
    if errors:
        raise APIError(422, errors)
    valid = [w["id"] for w in state.db.query("workflow", parent_id=project_id)]
    unknown = [i for i in ids or [] if i not in valid]
    if unknown:
        raise APIError(
            422,
            [
                error_item(
                    ["workflow_ids"],
                    UNKNOWN_WORKFLOWS.format(ids=unknown, project=project_id, valid=valid),
                )
            ],
        )
    data = {k: v for k, v in body.items() if k not in _SYSTEM}
    data.update(org_id=principal.org_id, project_id=project_id)
    data.setdefault("description", "")
    return state.db.insert("workflow_chain", data, parent_id=project_id, parent_kind="project")


@router.delete("/projects/{project_id}/workflow-chains/{chain_id}")
def delete_workflow_chain(
    state: State, principal: WorkflowsAuth, project_id: int, chain_id: int
) -> dict[str, Any]:
    """Delete a chain (its workflows stay)."""
    _chain(state, principal, project_id, chain_id)
    state.db.delete("workflow_chain", chain_id)
    return {"id": chain_id, "deleted": True}
