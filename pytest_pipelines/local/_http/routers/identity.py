"""Identity and health: ``/api/health``, ``/api/auth/me``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._http.deps import IdentityAuth, State

router = APIRouter(prefix="/api", tags=["identity"])


@router.get("/health")
def health() -> dict[str, Any]:
    """``{"status": "ok"}`` (no auth, like the hosted service)."""
    return {"status": "ok"}


@router.get("/auth/me")
def me(state: State, principal: IdentityAuth) -> dict[str, Any]:
    """The key's user and organization; never the key itself."""
    user = state.db.get("user", principal.user_id) if principal.user_id is not None else None
    return {
        "id": principal.user_id,
        "email": (user or {}).get("email"),
        "name": (user or {}).get("name"),
        "org_id": principal.org_id,
        "key_name": principal.key_name,
        "scopes": list(principal.scopes),
    }
