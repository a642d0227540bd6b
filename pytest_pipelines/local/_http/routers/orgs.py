"""Organizations and users: list and get organizations, organization users, users, and
organization credentials.

A key reaches its own organization only; another organization is 403 (``OTHER_ORG``), a user of
another organization is 404. ``GET /api/auth/me`` (the current user) is served by ``identity``.

``PUT /api/organizations/{org_id}/credentials/{credential_type}`` (org admins only) records that a
credential is configured: the backend keeps the field names and a short SHA-256 fingerprint of
each value, never the values, and never answers them. Local models do not use credentials.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._engine.access import require_role
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._http.deps import Body, OrganizationsAuth, Page, State, page_of

router = APIRouter(prefix="/api", tags=["organizations"])

CREDENTIAL_FIELDS = (
    'a credential is a JSON object of string fields, e.g. {{"api_key": "..."}}; got {got}'
)
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


def _fingerprint(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]


@router.put("/organizations/{org_id}/credentials/{credential_type}")
def set_org_credential(
    state: State, principal: OrganizationsAuth, org_id: int, credential_type: str, body: Body
) -> dict[str, Any]:
    """Record a credential (fingerprints only); the answer never holds the values."""
    principal.check_org(org_id)
    require_role(state, principal, ("admin",), "set organization credentials")
    if not body or not all(isinstance(v, str) for v in body.values()):
        kinds = ", ".join(sorted({type(v).__name__ for v in body.values()})) or "an empty object"
        raise APIError(422, [error_item([], CREDENTIAL_FIELDS.format(got=kinds))])
    data = {
        "org_id": org_id,
        "credential_type": credential_type,
        "fields": {k: _fingerprint(v) for k, v in sorted(body.items())},
        "set_by": principal.user_id,
    }
    found = state.db.query("credential", org_id=org_id, where={"credential_type": credential_type})
    if found:
        record = state.db.replace("credential", found[0]["id"], data)
    else:
        record = state.db.insert("credential", data, org_id=org_id)
    return {
        "org_id": org_id,
        "credential_type": credential_type,
        "configured": True,
        "fields": record["fields"],
        "updated_at": record["updated_at"],
    }
