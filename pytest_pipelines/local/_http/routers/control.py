"""Control endpoints outside ``/api/``: health, reset, seed, chaos."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from pytest_pipelines.local._engine.access import Principal
from pytest_pipelines.local._engine.errors import APIError, error_item
from pytest_pipelines.local._engine.seed import apply_seed
from pytest_pipelines.local._engine.state import CHAOS_FIELDS
from pytest_pipelines.local._http.deps import Body, OptionalBody, State, authenticate

router = APIRouter(prefix="/_local", tags=["control"])

CONTROL_NEEDS_FULL_KEY = (
    "the control endpoints (reset, seed, chaos) need a full-access key (scope '*'); this key's "
    "scopes are: {scopes}. Use the key printed on start (with --demo, pk_local_demo)"
)
CHAOS_UNKNOWN = "unknown chaos setting {name!r}; valid settings: {valid}"
CHAOS_RATE = "must be a number between 0 and 1"


def full_key(request: Request) -> Principal:
    """A key with every scope; 401 without a valid key, 403 with a limited one."""
    principal = authenticate(request)
    if "*" not in principal.scopes:
        raise APIError(403, CONTROL_NEEDS_FULL_KEY.format(scopes=", ".join(principal.scopes)))
    return principal


FullKey = Annotated[Principal, Depends(full_key)]


@router.get("/health")
def health(state: State) -> dict[str, Any]:
    """Liveness plus a few counters (no auth)."""
    return {
        "status": "ok",
        "demo": state.demo,
        "models": state.registry.slugs(),
        "jobs_in_flight": state.engine.in_flight(),
    }


@router.post("/reset")
def reset(state: State, _: FullKey) -> dict[str, Any]:
    """Delete everything and seed again (demo data and seed files included)."""
    state.reset()
    return {"status": "reset"}


@router.post("/seed")
def seed(state: State, _: FullKey, body: Body) -> dict[str, Any]:
    """Apply one seed document (see docs/local-backend.md)."""
    return apply_seed(state, body)


@router.get("/chaos")
def get_chaos(state: State, _: FullKey) -> dict[str, Any]:
    """The current chaos settings."""
    return state.chaos.as_dict()


@router.put("/chaos")
@router.post("/chaos")
def set_chaos(state: State, _: FullKey, body: OptionalBody) -> dict[str, Any]:
    """Replace the chaos settings; ``{}`` turns chaos off."""
    errors = []
    for name, value in body.items():
        if name not in CHAOS_FIELDS:
            errors.append(
                error_item([name], CHAOS_UNKNOWN.format(name=name, valid=", ".join(CHAOS_FIELDS)))
            )
        elif (name.startswith("rate") or name == "delay_rate") and (
            not isinstance(value, (int, float)) or not 0 <= value <= 1
        ):
            errors.append(error_item([name], CHAOS_RATE))
    if errors:
        raise APIError(422, errors)
    return state.set_chaos(**body).as_dict()
