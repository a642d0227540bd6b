"""Projects: CRUD, archive, list with pagination (``/api/projects``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._engine import ownership
from pytest_pipelines.local._engine.access import get_or_404
from pytest_pipelines.local._engine.errors import APIError
from pytest_pipelines.local._engine.library import require_strings, scope_errors
from pytest_pipelines.local._http.deps import Body, Page, ProjectsAuth, State, page_of

router = APIRouter(prefix="/api/projects", tags=["projects"])

_SYSTEM = ("id", "created_at", "updated_at")


@router.get("")
def list_projects(
    state: State,
    principal: ProjectsAuth,
    page: Page,
    archived: bool | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Projects of the key's organization (``archived`` and ``name`` filter)."""
    where: dict[str, Any] = {}
    if archived is not None:
        where["archived"] = archived
    if name is not None:
        where["name"] = name
    items = state.db.query(
        "project", org_id=principal.org_id, where=where, limit=page.page_size, offset=page.offset
    )
    return page_of(items, state.db.count("project", org_id=principal.org_id, where=where), page)


@router.post("")
def create_project(state: State, principal: ProjectsAuth, body: Body) -> dict[str, Any]:
    """Create a project in the key's organization."""
    errors = require_strings(body, "name") + scope_errors(body)
    if errors:
        raise APIError(422, errors)
    principal.check_org(body.get("org_id"))
    data = {k: v for k, v in body.items() if k not in _SYSTEM}
    data.update(org_id=principal.org_id, archived=False)
    data.setdefault("description", "")
    return state.db.insert("project", data)


@router.get("/{project_id}")
def get_project(state: State, principal: ProjectsAuth, project_id: int) -> dict[str, Any]:
    """One project."""
    return get_or_404(state, "project", project_id, principal)


@router.put("/{project_id}")
def update_project(
    state: State, principal: ProjectsAuth, project_id: int, body: Body
) -> dict[str, Any]:
    """Change a project's name/description."""
    get_or_404(state, "project", project_id, principal)
    changes = {k: v for k, v in body.items() if k not in (*_SYSTEM, "org_id")}
    return state.db.patch("project", project_id, changes)


@router.put("/{project_id}/archive")
def archive_project(state: State, principal: ProjectsAuth, project_id: int) -> dict[str, Any]:
    """Archive a project."""
    get_or_404(state, "project", project_id, principal)
    return state.db.patch("project", project_id, {"archived": True})


@router.put("/{project_id}/unarchive")
def unarchive_project(state: State, principal: ProjectsAuth, project_id: int) -> dict[str, Any]:
    """Unarchive a project."""
    get_or_404(state, "project", project_id, principal)
    return state.db.patch("project", project_id, {"archived": False})


@router.delete("/{project_id}")
def delete_project(state: State, principal: ProjectsAuth, project_id: int) -> dict[str, Any]:
    """Delete a project with its workflows, tasks, nodes, tool calls, chains, files ..."""
    get_or_404(state, "project", project_id, principal)
    ownership.delete_project(state, project_id)
    return {"id": project_id, "deleted": True}
