"""Who is acting and what they may see: the principal, organization visibility, user roles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine.errors import OTHER_ORG, APIError, not_found

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

ROLES = ("admin", "reviewer", "contributor")
ALL_ROLES = (*ROLES, "viewer")
ROLE_FORBIDDEN = (
    "this API key's user has role {role!r}, which cannot {action}; roles allowed: {allowed}. "
    "Use a key of a user with one of those roles (an org admin key drives everyone's queue)"
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name (never the key itself), organization, user and scopes."""

    key_name: str
    org_id: int
    user_id: int | None
    scopes: tuple[str, ...]

    def can(self, area: str) -> bool:
        """True when the key's scopes cover ``area``."""
        return "*" in self.scopes or area in self.scopes

    def check_org(self, org_id: Any) -> None:
        """403 unless ``org_id`` is this key's organization (None passes)."""
        if org_id is not None and org_id != self.org_id:
            raise APIError(403, OTHER_ORG.format(own=self.org_id, other=org_id))


NO_DEMO_HINT = (
    "this local backend has no demo data loaded (the demo has project 22 and workflow 10): "
    "turn it on with --pipelines-demo or pipelines_demo = true (pipelines-local serve --demo), "
    "or seed your own projects and workflows (pipelines_seeds, --seed, or POST /api/projects)"
)


def get_or_404(
    state: BackendState, kind: str, id: int, principal: Principal, *, label: str | None = None
) -> dict[str, Any]:
    """A record visible to the principal's organization (or global), else 404.

    Without demo data, a missing project or workflow's 404 says how to load it or seed your own:
    the guide's ids (project 22, workflow 10) exist only in the demo.
    """
    record = state.db.get(kind, id)
    org = record.get("org_id") if record is not None else None
    if record is None or (
        org is not None and org != principal.org_id and record.get("scope_type") != "global"
    ):
        error = not_found(label or kind, id)
        if not state.demo and kind in ("project", "workflow"):
            error = APIError(404, f"{error.detail}; {NO_DEMO_HINT}")
        raise error
    return record


def get_workflow_or_404(
    state: BackendState, principal: Principal, project_id: int, workflow_id: int
) -> dict[str, Any]:
    """The workflow ``workflow_id`` of project ``project_id``, visible to the key; else 404."""
    get_or_404(state, "project", project_id, principal)
    workflow = get_or_404(state, "workflow", workflow_id, principal)
    if workflow.get("project_id") != project_id:
        raise not_found("workflow", workflow_id)
    return workflow


def role_of(state: BackendState, principal: Principal) -> str:
    """The role of the key's user (``admin`` when the key has no user: an org service key)."""
    if principal.user_id is None:
        return "admin"
    user = state.db.get("user", principal.user_id)
    return str((user or {}).get("role") or "contributor")


def require_role(
    state: BackendState, principal: Principal, allowed: Sequence[str], action: str
) -> str:
    """The caller's role; 403 naming the allowed roles when it is not one of ``allowed``."""
    role = role_of(state, principal)
    if role not in allowed:
        raise APIError(
            403, ROLE_FORBIDDEN.format(role=role, action=action, allowed=", ".join(allowed))
        )
    return role
