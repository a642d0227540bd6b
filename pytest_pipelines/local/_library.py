"""Versioned library objects (prompts, criteria, evaluations): one CRUD router factory.

Each object carries ``version`` (its latest version number); every create and update stores a
snapshot, readable with ``GET /api/<plural>/{id}?version=N`` and ``GET /api/<plural>/{id}/versions``.
A config swap names one of these versions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends, Query

from pytest_pipelines.local._deps import (
    Body,
    Page,
    Principal,
    State,
    get_or_404,
    page_of,
    require,
)
from pytest_pipelines.local._errors import VERSION_NOT_FOUND, APIError, error_item, not_found
from pytest_pipelines.local._state import LocalState

SCOPE_TYPES = ("org", "global", "personal")
SCOPE_TYPE_MSG = "scope_type must be one of: " + ", ".join(SCOPE_TYPES)
FIELD_REQUIRED = "Field required"
NOT_A_STRING = "Input should be a valid string"

Validator = Callable[[LocalState, Principal, dict[str, Any]], list[dict[str, Any]]]
Normalizer = Callable[[LocalState, Principal, dict[str, Any]], dict[str, Any]]

SYSTEM_FIELDS = ("id", "version", "created_at", "updated_at", "version_created_at")


def require_strings(body: Mapping[str, Any], *names: str) -> list[dict[str, Any]]:
    """422 items for each of ``names`` that is missing or not a non-empty string."""
    errors = []
    for name in names:
        if name not in body or body[name] is None:
            errors.append(error_item([name], FIELD_REQUIRED, "missing"))
        elif not isinstance(body[name], str) or not body[name].strip():
            errors.append(error_item([name], NOT_A_STRING + " (non-empty)", "string_type"))
    return errors


def scope_errors(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """422 items for an invalid ``scope_type`` / ``org_id``."""
    errors = []
    if "scope_type" in body and body["scope_type"] not in SCOPE_TYPES:
        errors.append(error_item(["scope_type"], SCOPE_TYPE_MSG, "literal_error"))
    if body.get("org_id") is not None and (
        isinstance(body["org_id"], bool) or not isinstance(body["org_id"], int)
    ):
        errors.append(error_item(["org_id"], "Input should be a valid integer", "int_type"))
    return errors


def resolve_version(
    state: LocalState, kind: str, record: dict[str, Any], version: int | None
) -> dict[str, Any]:
    """The record as of ``version`` (None = latest); 404 when that version does not exist."""
    if version is None or version == record.get("version"):
        return record
    snap = state.db.get_version(record["id"], version)
    if snap is None:
        versions = [v["version"] for v in state.db.list_versions(record["id"])]
        raise APIError(
            404,
            VERSION_NOT_FOUND.format(
                kind=kind, id=record["id"], version=version, versions=versions or "none"
            ),
        )
    snap["id"] = record["id"]
    snap["version"] = version
    return snap


def create_versioned(
    state: LocalState, kind: str, data: Mapping[str, Any], *, id: int | None = None
) -> dict[str, Any]:
    """Insert a versioned object at version 1 and snapshot it."""
    with state.db.tx():
        record = state.db.insert(kind, {**data, "version": 1}, id=id)
        state.db.add_version(record["id"], record)
    return record


def update_versioned(
    state: LocalState, kind: str, current: dict[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Apply ``changes``, bump the version and snapshot it.

    The record is read again inside the transaction: two concurrent updates of one object get
    two consecutive versions, and the record's ``version`` always names its newest snapshot.
    """
    with state.db.tx():
        latest = state.db.get(kind, current["id"])
        if latest is None:
            raise not_found(kind.replace("_", " "), current["id"])
        merged = {**latest, **{k: v for k, v in changes.items() if k not in SYSTEM_FIELDS}}
        merged["version"] = int(latest.get("version", 1)) + 1
        record = state.db.replace(kind, current["id"], merged)
        state.db.add_version(record["id"], record)
    return record


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

    def prepare(state: LocalState, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
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
        return resolve_version(state, label, record, version)

    @router.get("/{object_id}/versions")
    def list_versions(
        state: State,
        object_id: int,
        page: Page,
        principal: Principal = Depends(dependency),  # noqa: B008
    ) -> dict[str, Any]:
        get_or_404(state, kind, object_id, principal, label=label)
        versions = state.db.list_versions(object_id)
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
