"""Organizations and users: list and get organizations, organization users, users.

A key reaches its own organization only; another organization is 403 (``OTHER_ORG``), a user of
another organization is 404. ``GET /api/auth/me`` (the current user) is served by ``identity``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._deps import OrganizationsAuth, Page, State, page_of
from pytest_pipelines.local._errors import not_found

router = APIRouter(prefix="/api", tags=["organizations"])

_USER_KEYS = ("id", "email", "name", "org_id", "role", "created_at")


def _user(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record.get(k) for k in _USER_KEYS}


@router.get("/organizations")
def list_organizations(state: State, principal: OrganizationsAuth, page: Page) -> dict[str, Any]:
    """The organizations the key reaches (its own)."""
    org = state.db.get("organization", principal.org_id)
    items = [org] if org is not None else []
    return page_of(items[page.offset : page.offset + page.page_size], len(items), page)


@router.get("/organizations/{org_id}")
def get_organization(state: State, principal: OrganizationsAuth, org_id: int) -> dict[str, Any]:
    """One organization (the key's own; another is 403)."""
    principal.check_org(org_id)
    org = state.db.get("organization", org_id)
    if org is None:
        raise not_found("organization", org_id)
    return {**org, "user_count": state.db.count("user", where={"org_id": org_id})}


@router.get("/organizations/{org_id}/users")
def list_org_users(
    state: State, principal: OrganizationsAuth, org_id: int, page: Page
) -> dict[str, Any]:
    """The organization's users, paginated."""
    principal.check_org(org_id)
    where = {"org_id": org_id}
    items = state.db.query("user", where=where, limit=page.page_size, offset=page.offset)
    return page_of([_user(u) for u in items], state.db.count("user", where=where), page)


@router.get("/users")
def list_users(state: State, principal: OrganizationsAuth, page: Page) -> dict[str, Any]:
    """Users the key can see (its organization's), paginated."""
    return list_org_users(state, principal, principal.org_id, page)


@router.get("/users/{user_id}")
def get_user(state: State, principal: OrganizationsAuth, user_id: int) -> dict[str, Any]:
    """One user of the key's organization."""
    user = state.db.get("user", user_id)
    if user is None or user.get("org_id") != principal.org_id:
        raise not_found("user", user_id)
    return _user(user)
