"""Criteria: CRUD, versions, list filters and pagination (``/api/criteria``).

A criterion's config is checked with the client's own validators
(:func:`pytest_pipelines.client._models.criterion_errors`): one definition serves both sides.
"""

from __future__ import annotations

from typing import Any

from pytest_pipelines.client._models import criterion_errors
from pytest_pipelines.local._engine.access import Principal
from pytest_pipelines.local._engine.criteria import regex_problem
from pytest_pipelines.local._engine.errors import error_item
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http.library import library_router


def validate_criterion(
    _: BackendState, __: Principal, body: dict[str, Any]
) -> list[dict[str, Any]]:
    """The client's criterion check (type/config/output_schema consistency), then whether a
    ``regex_match`` pattern runs on RE2 (the local backend's linear-time engine)."""
    payload = {k: v for k, v in body.items() if k not in ("scope_type", "org_id")}
    errors = [
        error_item(e["loc"], e["msg"], e.get("type", "value_error"))
        for e in criterion_errors(payload)
    ]
    config = body.get("config")
    if not errors and isinstance(config, dict) and config.get("subtype") == "regex_match":
        problem = regex_problem(config)
        if problem is not None:
            errors.append(error_item(["config", "pattern"], problem))
    return errors


def _normalize(_: BackendState, __: Principal, data: dict[str, Any]) -> dict[str, Any]:
    data.setdefault("display_label", data.get("name"))
    return data


router = library_router(
    kind="criterion",
    plural="criteria",
    area="criteria",
    label="criterion",
    validate=validate_criterion,
    normalize=_normalize,
)
