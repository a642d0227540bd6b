"""Select options: ``{"value", "label"}`` lists for organizations, projects and roles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._engine.access import ALL_ROLES
from pytest_pipelines.local._http.deps import (
    OrganizationsAuth,
    Page,
    ProjectsAuth,
    State,
    paginate_list,
)

router = APIRouter(prefix="/api", tags=["select-options"])


@router.get("/select-options/organizations")
def list_organization_select_options(
    state: State, principal: OrganizationsAuth, page: Page
) -> dict[str, Any]:
    """``{"value", "label"}`` for the organizations the key reaches (its own)."""
    org = state.db.get("organization", principal.org_id) or {}
    return paginate_list([{"value": principal.org_id, "label": org.get("name")}], page)


@router.get("/select-options/projects")
def list_project_select_options(
    state: State, principal: ProjectsAuth, page: Page
) -> dict[str, Any]:
    """``{"value", "label"}`` for the organization's projects that are not archived."""
    projects = state.db.query("project", org_id=principal.org_id, where={"archived": False})
    return paginate_list([{"value": p["id"], "label": p.get("name")} for p in projects], page)


@router.get("/select-options/roles")
def list_role_select_options(principal: OrganizationsAuth, page: Page) -> dict[str, Any]:
    """The roles of the local backend (``viewer`` has no runtime access)."""
    return paginate_list([{"value": r, "label": r.capitalize()} for r in ALL_ROLES], page)
