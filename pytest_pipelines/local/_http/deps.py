"""Request dependencies shared by every router: auth, JSON bodies, pagination, idempotency.

Auth: ``Authorization: Bearer <key>``; the key's record gives its organization and scopes. A
router declares the API area it belongs to with one of the ``Auth*`` annotated types (or
``Depends(require("area"))``); a key whose scopes do not include the area (or ``"*"``) gets 403.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from pytest_pipelines.local._engine import limits
from pytest_pipelines.local._engine.access import Principal
from pytest_pipelines.local._engine.errors import APIError, error_item
from pytest_pipelines.local._engine.state import BackendState

MISSING_KEY = (
    "missing API key: send 'Authorization: Bearer <key>'; the local backend prints its keys on "
    "start (pipelines-local serve) and LocalPipelines exposes them as .api_key"
)
UNKNOWN_KEY = (
    "unknown API key: this local backend does not know the key you sent; use a key it printed on "
    "start, or pass --api-key KEY / LocalPipelines(api_key=KEY)"
)
MISSING_SCOPE = (
    "this API key has no access to {area}; its scopes are: {scopes}. Use a key with the "
    "'{area}' scope (with --demo, pk_local_demo has full access)"
)
IDEMPOTENCY_CONFLICT = (
    "Idempotency-Key {key!r} was already used with a different payload; reuse a key only to "
    "repeat the same request, or send a new key"
)


def get_state(request: Request) -> BackendState:
    """The backend state attached to the app."""
    state: BackendState = request.app.state.local
    return state


def authenticate(request: Request) -> Principal:
    """The principal of the request's Bearer key; 401 when missing or unknown."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise APIError(401, MISSING_KEY, headers={"WWW-Authenticate": "Bearer"})
    record = get_state(request).db.get_key(key)
    if record is None:
        raise APIError(401, UNKNOWN_KEY, headers={"WWW-Authenticate": "Bearer"})
    return Principal(
        key_name=record["name"],
        org_id=int(record["org_id"]),
        user_id=record["user_id"],
        scopes=tuple(record["scopes"]),
    )


def require(area: str) -> Callable[[Request], Principal]:
    """A dependency authenticating the request and checking the key's scopes cover ``area``."""

    def dependency(request: Request) -> Principal:
        principal = authenticate(request)
        if not principal.can(area):
            raise APIError(
                403, MISSING_SCOPE.format(area=area, scopes=", ".join(principal.scopes) or "none")
            )
        return principal

    dependency.__name__ = f"require_{area}"
    return dependency


AnyKey = Annotated[Principal, Depends(authenticate)]
IdentityAuth = Annotated[Principal, Depends(require("identity"))]
PromptsAuth = Annotated[Principal, Depends(require("prompts"))]
CriteriaAuth = Annotated[Principal, Depends(require("criteria"))]
EvaluationsAuth = Annotated[Principal, Depends(require("evaluations"))]
ModelsAuth = Annotated[Principal, Depends(require("models"))]
ProjectsAuth = Annotated[Principal, Depends(require("projects"))]
WorkflowsAuth = Annotated[Principal, Depends(require("workflows"))]
TasksAuth = Annotated[Principal, Depends(require("tasks"))]
ExperimentsAuth = Annotated[Principal, Depends(require("experiments"))]
ToolsAuth = Annotated[Principal, Depends(require("tools"))]
DatasetsAuth = Annotated[Principal, Depends(require("datasets"))]
FilesAuth = Annotated[Principal, Depends(require("files"))]
NotebooksAuth = Annotated[Principal, Depends(require("notebooks"))]
NotificationsAuth = Annotated[Principal, Depends(require("notifications"))]
OrganizationsAuth = Annotated[Principal, Depends(require("organizations"))]

State = Annotated[BackendState, Depends(get_state)]


async def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; 422 (FastAPI style) when absent or not an object, when
    it nests deeper than ``limits.MAX_JSON_DEPTH`` or when it holds a lone surrogate."""
    raw = await request.body()
    if not raw:
        raise APIError(422, [error_item(["body"], "Field required", "missing")])
    try:
        value = limits.loads(raw)
    except limits.InputProblem as exc:
        raise APIError(422, [error_item(["body", *exc.loc], str(exc), "value_error")]) from None
    except ValueError:
        raise APIError(422, [error_item(["body"], "JSON decode error", "json_invalid")]) from None
    if not isinstance(value, dict):
        raise APIError(
            422, [error_item(["body"], "Input should be a valid dictionary", "dict_type")]
        )
    return value


async def optional_json_body(request: Request) -> dict[str, Any]:
    """Like :func:`json_body`, but an absent body is ``{}``."""
    raw = await request.body()
    if not raw:
        return {}
    return await json_body(request)


Body = Annotated[dict[str, Any], Depends(json_body)]
OptionalBody = Annotated[dict[str, Any], Depends(optional_json_body)]


@dataclass(frozen=True)
class PageParams:
    """``page`` (1-based) and ``page_size`` query parameters."""

    page: int
    page_size: int

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.page_size


def page_params(
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> PageParams:
    """Parse pagination query parameters."""
    return PageParams(page=page, page_size=page_size)


Page = Annotated[PageParams, Depends(page_params)]


def page_of(items: list[dict[str, Any]], total: int, page: PageParams) -> dict[str, Any]:
    """The paginated response shape: ``{"items", "total", "page", "page_size", "has_more"}``."""
    return {
        "items": items,
        "total": total,
        "page": page.page,
        "page_size": page.page_size,
        "has_more": page.offset + len(items) < total,
    }


def paginate_list(items: list[dict[str, Any]], page: PageParams) -> dict[str, Any]:
    """Paginate an in-memory list."""
    return page_of(items[page.offset : page.offset + page.page_size], len(items), page)


def _hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def idempotent(
    state: BackendState,
    request: Request,
    principal: Principal,
    payload: Mapping[str, Any],
    create: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """Run ``create`` once per ``Idempotency-Key``.

    Same key and same payload: the first result again. Same key, different payload: 409.
    Without the header, ``create`` simply runs.
    """
    key = request.headers.get("idempotency-key")
    if not key:
        return create()
    scope = f"{principal.org_id}:{request.method}:{request.url.path}"
    digest = _hash(payload)
    with state.idempotency_lock:
        found = state.db.get_idempotent(scope, key)
        if found is not None:
            stored_hash, response = found
            if stored_hash != digest:
                raise APIError(409, IDEMPOTENCY_CONFLICT.format(key=key))
            result: dict[str, Any] = response
            return result
        result = create()
        state.db.put_idempotent(scope, key, digest, result)
        return result


# -- shared by the tasks and experiments areas ---------------------------------------------

#: Seconds a status route may hold a request with ``?wait=`` (a local extension, advertised in
#: each status body as ``max_wait``): long enough to save polls, short enough that a held
#: request never outlives a client's read timeout.
MAX_STATUS_WAIT = 30.0
StatusWait = Annotated[float, Query(ge=0, le=MAX_STATUS_WAIT)]
MAX_TASKS_PER_REQUEST = 10_000
TOO_MANY_TASKS = (
    "this request would create {total} tasks; the local backend creates at most {limit} in one "
    "request: split the run into several requests"
)


def check_task_total(total: int) -> None:
    """422 at ``count`` when one request would create more than ``MAX_TASKS_PER_REQUEST`` tasks."""
    if total > MAX_TASKS_PER_REQUEST:
        raise APIError(
            422,
            [
                error_item(
                    ["count"],
                    TOO_MANY_TASKS.format(total=total, limit=MAX_TASKS_PER_REQUEST),
                    "less_than_equal",
                )
            ],
        )
