"""Project instructions: free-form guidance stored on a project."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._engine.access import Principal, get_or_404
from pytest_pipelines.local._engine.errors import APIError, not_found
from pytest_pipelines.local._engine.library import require_strings
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http.deps import (
    Body,
    Page,
    ProjectsAuth,
    State,
    paginate_list,
)

router = APIRouter(prefix="/api", tags=["instructions"])

_SYSTEM = ("id", "created_at", "updated_at", "org_id", "project_id")


def _instruction(
    state: BackendState, principal: Principal, project_id: int, instruction_id: int
) -> dict[str, Any]:
    get_or_404(state, "project", project_id, principal)
    item = get_or_404(state, "instruction", instruction_id, principal)
    if item.get("project_id") != project_id:
        raise not_found("instruction", instruction_id)
    return item


@router.get("/projects/{project_id}/instructions")
def list_project_instructions(
    state: State, principal: ProjectsAuth, project_id: int, page: Page
) -> dict[str, Any]:
    """The project's instructions in ``order``, paginated."""
    get_or_404(state, "project", project_id, principal)
    items = sorted(
        state.db.query("instruction", parent_id=project_id),
        key=lambda i: (i.get("order", 0), i["id"]),
    )
    return paginate_list(items, page)


@router.post("/projects/{project_id}/instructions")
def create_project_instruction(
    state: State, principal: ProjectsAuth, project_id: int, body: Body
) -> dict[str, Any]:
    """Create ``{"title", "content"?, "order"?}``."""
    get_or_404(state, "project", project_id, principal)
    errors = require_strings(body, "title")
    if errors:
        raise APIError(422, errors)
    data = {k: v for k, v in body.items() if k not in _SYSTEM}
    data.update(org_id=principal.org_id, project_id=project_id)
    data.setdefault("content", "")
    data.setdefault("order", state.db.count("instruction", parent_id=project_id))
    return state.db.insert("instruction", data, parent_id=project_id, parent_kind="project")


@router.put("/projects/{project_id}/instructions/{instruction_id}")
def update_project_instruction(
    state: State, principal: ProjectsAuth, project_id: int, instruction_id: int, body: Body
) -> dict[str, Any]:
    """Change title, content or order."""
    _instruction(state, principal, project_id, instruction_id)
    if "title" in body and require_strings(body, "title"):
        raise APIError(422, require_strings(body, "title"))
    return state.db.patch(
        "instruction", instruction_id, {k: v for k, v in body.items() if k not in _SYSTEM}
    )


@router.delete("/projects/{project_id}/instructions/{instruction_id}")
def delete_project_instruction(
    state: State, principal: ProjectsAuth, project_id: int, instruction_id: int
) -> dict[str, Any]:
    """Delete an instruction."""
    _instruction(state, principal, project_id, instruction_id)
    state.db.delete("instruction", instruction_id)
    return {"id": instruction_id, "deleted": True}
