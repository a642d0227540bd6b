"""Seed documents: JSON objects applied to a fresh database (``--seed FILE``, ``/_local/seed``).

A seed document may hold these lists (every one optional)::

    {"organizations": [{"id": 3, "name": "Other org"}],
     "users": [{"id": 7, "email": "a@b.c", "org_id": 3}],
     "api_keys": [{"key": "pk_local_other", "org_id": 3, "scopes": ["*"], "user_id": 7}],
     "prompts": [{...}], "criteria": [{...}], "evaluations": [{...}],
     "projects": [{"id": 30, "name": "...", "org_id": 3}],
     "workflows": [{"project_id": 30, "name": "...", "definition": {...}}],
     "tool_endpoints": [{"org_id": 3, "name": "...", "endpoint_type": "mock", "config": {...}}]}

Objects are stored as given (an ``id`` is kept when present), without the API's validation:
a seed is trusted local data. The result lists what was created, by section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine.errors import APIError, error_item
from pytest_pipelines.local._store.identity import DEFAULT_ORG_ID

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

SECTIONS = (
    "organizations",
    "users",
    "api_keys",
    "prompts",
    "criteria",
    "evaluations",
    "projects",
    "workflows",
    "tool_endpoints",
)
UNKNOWN_SECTION = "unknown seed section {name!r}; valid sections: " + ", ".join(SECTIONS)
KEY_FIELDS = "an api_keys entry needs 'key' (a string) and 'org_id' (an integer)"
KEY_EXISTS = (
    "api_keys[{index}] ({name!r}): this key already exists; a seed adds keys and never "
    "replaces one (that would re-point someone's key to another organization or scope); "
    "use a new key"
)

_KINDS = {
    "organizations": "organization",
    "users": "user",
    "prompts": "prompt",
    "criteria": "criterion",
    "evaluations": "evaluation",
    "projects": "project",
    "workflows": "workflow",
    "tool_endpoints": "tool_endpoint",
}
_VERSIONED = {"prompts", "criteria", "evaluations", "tool_endpoints"}


def apply_seed(state: BackendState, seed: Mapping[str, Any]) -> dict[str, Any]:
    """Store the objects of one seed document; return ``{"created": {section: [ids]}}``."""
    from pytest_pipelines.local._engine.library import create_versioned

    unknown = [name for name in seed if name not in SECTIONS]
    if unknown:
        raise APIError(
            422, [error_item([name], UNKNOWN_SECTION.format(name=name)) for name in unknown]
        )
    created: dict[str, list[Any]] = {}
    with state.db.tx():
        for section in SECTIONS:
            items = seed.get(section) or []
            out: list[Any] = created.setdefault(section, [])
            for index, item in enumerate(items):
                if section == "api_keys":
                    if not isinstance(item.get("key"), str) or not isinstance(
                        item.get("org_id"), int
                    ):
                        raise APIError(422, [error_item(["api_keys"], KEY_FIELDS)])
                    if state.db.get_key(item["key"]) is not None:
                        raise APIError(
                            409,
                            KEY_EXISTS.format(index=index, name=item.get("name", "seeded")),
                        )
                    state.db.put_key(
                        item["key"],
                        name=item.get("name", "seeded"),
                        org_id=item["org_id"],
                        user_id=item.get("user_id"),
                        scopes=item.get("scopes", ["*"]),
                    )
                    out.append(item.get("name", "seeded"))
                    continue
                data = dict(item)
                explicit_id = data.pop("id", None)
                kind = _KINDS[section]
                if kind == "organization":
                    data.setdefault("org_id", explicit_id)
                elif kind != "workflow":
                    data.setdefault("org_id", DEFAULT_ORG_ID)
                if section in _VERSIONED:
                    data.setdefault("scope_type", "org")
                if kind == "workflow":
                    record = _insert_workflow(state, data, explicit_id)
                elif section in _VERSIONED:
                    record = create_versioned(state, kind, data, id=explicit_id)
                else:
                    record = state.db.insert(kind, data, id=explicit_id)
                out.append(record["id"])
    return {"created": created}


def _insert_workflow(
    state: BackendState, data: dict[str, Any], explicit_id: int | None
) -> dict[str, Any]:
    project = state.db.get("project", int(data.get("project_id", 0)))
    org_id = project.get("org_id", DEFAULT_ORG_ID) if project else DEFAULT_ORG_ID
    data.setdefault("org_id", org_id)
    data.setdefault("definition", {"nodes": []})
    data.setdefault("seed_rows", [])
    data.setdefault("status", "active")
    return state.db.insert("workflow", data, id=explicit_id, parent_id=data.get("project_id"))
