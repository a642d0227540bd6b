"""Versioned library objects (prompts, criteria, evaluations, tool endpoints).

Each object carries ``version`` (its latest version number); every create and update stores a
snapshot, readable with ``GET /api/<plural>/{id}?version=N`` and ``GET /api/<plural>/{id}/versions``.
A config swap names one of these versions. The CRUD routes are ``_http/library.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine.errors import VERSION_NOT_FOUND, APIError, error_item, not_found

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

SCOPE_TYPES = ("org", "global", "personal")
SCOPE_TYPE_MSG = "scope_type must be one of: " + ", ".join(SCOPE_TYPES)
FIELD_REQUIRED = "Field required"
NOT_A_STRING = "Input should be a valid string"

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


def _shared_with(
    snapshot: Mapping[str, Any], record: Mapping[str, Any], org_id: int | None
) -> bool:
    """True when a reader of ``org_id`` may see this snapshot of ``record``.

    The owner (and the engine, ``org_id`` None) sees every version; another organization only
    the versions made while the object was global: making an object global must not publish
    the private drafts before it.
    """
    if org_id is None or record.get("org_id") in (org_id, None):
        return True
    return snapshot.get("scope_type") == "global"


def visible_versions(
    state: BackendState, record: Mapping[str, Any], org_id: int | None
) -> list[dict[str, Any]]:
    """The record's versions, oldest first, that a reader of ``org_id`` may see."""
    return [v for v in state.db.list_versions(record["id"]) if _shared_with(v, record, org_id)]


def resolve_version(
    state: BackendState,
    kind: str,
    record: dict[str, Any],
    version: int | None,
    *,
    org_id: int | None = None,
) -> dict[str, Any]:
    """The record as of ``version`` (None = latest); 404 when that version does not exist.

    :param org_id: the reader's organization (default None: every version, as for the owner);
        another organization reads only the versions made while the object was global.
    """
    if version is None or version == record.get("version"):
        return record
    snap = state.db.get_version(record["id"], version)
    if snap is not None and not _shared_with(snap, record, org_id):
        snap = None
    if snap is None:
        versions = [v["version"] for v in visible_versions(state, record, org_id)]
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
    state: BackendState, kind: str, data: Mapping[str, Any], *, id: int | None = None
) -> dict[str, Any]:
    """Insert a versioned object at version 1 and snapshot it."""
    with state.db.tx():
        record = state.db.insert(kind, {**data, "version": 1}, id=id)
        state.db.add_version(record["id"], record)
    return record


def update_versioned(
    state: BackendState, kind: str, current: dict[str, Any], changes: Mapping[str, Any]
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
