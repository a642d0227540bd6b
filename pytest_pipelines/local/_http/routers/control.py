"""Control endpoints outside ``/api/``: health, reset, seed, chaos.

Reset, seed and chaos act on every organization, so they take the server administrator's key
(generated at start, printed by ``pipelines-local serve``), never an organization's key; the
health check needs no key.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from pytest_pipelines.local._engine.errors import APIError, error_item
from pytest_pipelines.local._engine.seed import apply_seed
from pytest_pipelines.local._engine.state import chaos_errors
from pytest_pipelines.local._http.deps import Body, OptionalBody, State, TasksAuth, get_state

router = APIRouter(prefix="/_local", tags=["control"])

ADMIN_KEY_MISSING = (
    "the control endpoints (reset, seed, chaos) need the server's admin key: send "
    "'Authorization: Bearer <admin key>'; pipelines-local serve prints it as PIPELINES_ADMIN_KEY "
    "and LocalPipelines exposes it as .admin_key"
)
ADMIN_KEY_WRONG = (
    "this is not the server's admin key; the control endpoints act on every organization, so "
    "an organization's API key (even a full-access one) cannot use them. Use the admin key "
    "printed on start (PIPELINES_ADMIN_KEY, LocalPipelines.admin_key)"
)


def admin(request: Request) -> None:
    """The request carries the server's admin key; 401 without a key, 403 with another one."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise APIError(401, ADMIN_KEY_MISSING, headers={"WWW-Authenticate": "Bearer"})
    expected = str(get_state(request).admin_key)
    if not hmac.compare_digest(key.encode(), expected.encode()):
        raise APIError(403, ADMIN_KEY_WRONG)


Admin = Annotated[None, Depends(admin)]


@router.get("/health")
def health(state: State) -> dict[str, Any]:
    """Liveness plus a few counters (no auth)."""
    return {
        "status": "ok",
        "demo": state.demo,
        "models": state.registry.slugs(),
        "jobs_in_flight": state.engine.in_flight(),
    }


@router.get("/usage")
def usage(state: State, principal: TasksAuth) -> dict[str, Any]:
    """What the model calls of every task of the key's organization used so far.

    The plugin's session budget (``pipelines_max_session_cost``) reads it before each run, from
    any xdist worker.
    """
    from pytest_pipelines.local._engine.meter import merge

    tasks = state.db.query("task", org_id=principal.org_id)
    return merge(t["usage"] for t in tasks if isinstance(t.get("usage"), dict))


@router.post("/reset")
def reset(state: State, _: Admin) -> dict[str, Any]:
    """Delete everything and seed again (demo data and seed files included)."""
    state.reset()
    return {"status": "reset"}


@router.post("/seed")
def seed(state: State, _: Admin, body: Body) -> dict[str, Any]:
    """Apply one seed document (see docs/local-backend.md)."""
    return apply_seed(state, body)


@router.get("/chaos")
def get_chaos(state: State, _: Admin) -> dict[str, Any]:
    """The current chaos settings."""
    return state.chaos.as_dict()


@router.put("/chaos")
@router.post("/chaos")
def set_chaos(state: State, _: Admin, body: OptionalBody) -> dict[str, Any]:
    """Replace the chaos settings; ``{}`` turns chaos off."""
    errors = chaos_errors(body)
    if errors:
        raise APIError(422, [error_item([name], problem) for name, problem in errors])
    return state.set_chaos(**body).as_dict()
