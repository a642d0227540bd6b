"""The CRUD router factory of versioned library objects (prompts, criteria, evaluations).

Each object carries ``version`` (its latest version number); every create and update stores a
snapshot, readable with ``GET /api/<plural>/{id}?version=N`` and ``GET /api/<plural>/{id}/versions``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query

from pytest_pipelines.local._engine.access import Principal, get_or_404
from pytest_pipelines.local._engine.errors import APIError
from pytest_pipelines.local._engine.library import (
    SYSTEM_FIELDS,
    create_versioned,
    resolve_version,
    scope_errors,
    update_versioned,
    visible_versions,
)
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http.deps import Body, Page, State, page_of, require

Validator = Callable[[BackendState, Principal, dict[str, Any]], list[dict[str, Any]]]
Normalizer = Callable[[BackendState, Principal, dict[str, Any]], dict[str, Any]]


def library_router(
    *,
    kind: str,
    plural: str,
    area: str,
    label: str,
    validate: Validator,
    normalize: Normalizer | None = None,
) -> APIRouter:
    """CRUD + versions + filtered, paginated listing for one versioned library kind."""
    router = APIRouter(prefix=f"/api/{plural}", tags=[plural])
    dependency = require(area)

    def prepare(state: BackendState, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        errors = scope_errors(body) + validate(state, principal, body)
        if errors:
            raise APIError(422, errors)
        principal.check_org(body.get("org_id"))
        data = {k: v for k, v in body.items() if k not in SYSTEM_FIELDS}
        data.setdefault("scope_type", "org")
        data["org_id"] = principal.org_id
        return normalize(state, principal, data) if normalize else data

    @router.get("")
    def list_objects(
        state: State,
        page: Page,
        principal: Principal = Depends(dependency),  # noqa: B008
        scope_type: str | None = None,
        org_id: int | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        principal.check_org(org_id)
        where: dict[str, Any] = {}
        if scope_type is not None:
            where["scope_type"] = scope_type
        if name is not None:
            where["name"] = name
        items = state.db.query(
            kind,
            org_id=principal.org_id,
            where=where,
            org_or_global=org_id is None,
            limit=page.page_size,
            offset=page.offset,
        )
        total = state.db.count(
            kind, org_id=principal.org_id, where=where, org_or_global=org_id is None
        )
        return page_of(items, total, page)

    @router.post("")
    def create_object(
        state: State,
        body: Body,
        principal: Principal = Depends(dependency),  # noqa: B008
    ) -> dict[str, Any]:
        return create_versioned(state, kind, prepare(state, principal, body))

    @router.get("/{object_id}")
    def get_object(
        state: State,
        object_id: int,
        principal: Principal = Depends(dependency),  # noqa: B008
        version: int | None = Query(default=None, ge=1),
    ) -> dict[str, Any]:
        record = get_or_404(state, kind, object_id, principal, label=label)
        return resolve_version(state, label, record, version, org_id=principal.org_id)

    @router.get("/{object_id}/versions")
    def list_versions(
        state: State,
        object_id: int,
        page: Page,
        principal: Principal = Depends(dependency),  # noqa: B008
    ) -> dict[str, Any]:
        record = get_or_404(state, kind, object_id, principal, label=label)
        versions = visible_versions(state, record, principal.org_id)
        return page_of(versions[page.offset : page.offset + page.page_size], len(versions), page)

    @router.put("/{object_id}")
    @router.patch("/{object_id}")
    def update_object(
        state: State,
        object_id: int,
        body: Body,
        principal: Principal = Depends(dependency),  # noqa: B008
    ) -> dict[str, Any]:
        current = get_or_404(state, kind, object_id, principal, label=label)
        if current.get("org_id") != principal.org_id:
            raise APIError(403, f"{label} {object_id} is global and read-only for this API key")
        merged = {**current, **body}
        data = prepare(
            state, principal, {k: v for k, v in merged.items() if k not in SYSTEM_FIELDS}
        )
        return update_versioned(state, kind, current, data)

    @router.delete("/{object_id}")
    def delete_object(
        state: State,
        object_id: int,
        principal: Principal = Depends(dependency),  # noqa: B008
    ) -> dict[str, Any]:
        current = get_or_404(state, kind, object_id, principal, label=label)
        if current.get("org_id") != principal.org_id:
            raise APIError(403, f"{label} {object_id} is global and read-only for this API key")
        state.db.delete(kind, object_id)
        return {"id": object_id, "deleted": True}

    return router
