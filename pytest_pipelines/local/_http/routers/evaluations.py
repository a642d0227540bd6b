"""Evaluations: CRUD, versions, list filters and pagination (``/api/evaluations``).

An evaluation lists criteria by id; each reference is pinned to the criterion's version at the
time (``criterion_version``) unless the body names one.
"""

from __future__ import annotations

from typing import Any

from pytest_pipelines.local._engine.access import Principal
from pytest_pipelines.local._engine.errors import error_item
from pytest_pipelines.local._engine.library import require_strings
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http.library import library_router

CRITERIA_LIST = 'criteria must be a list of {"criterion_id": <id>} objects'
UNKNOWN_CRITERION = "criterion {id} does not exist or is not visible to this API key's organization"


def _visible(state: BackendState, principal: Principal, criterion_id: Any) -> dict[str, Any] | None:
    if isinstance(criterion_id, bool) or not isinstance(criterion_id, int):
        return None
    record = state.db.get("criterion", criterion_id)
    if record is None:
        return None
    if (
        record.get("org_id") not in (None, principal.org_id)
        and record.get("scope_type") != "global"
    ):
        return None
    return record


def validate_evaluation(
    state: BackendState, principal: Principal, body: dict[str, Any]
) -> list[dict[str, Any]]:
    """``name`` and a list of existing, visible criterion references."""
    errors = require_strings(body, "name")
    criteria = body.get("criteria", [])
    if not isinstance(criteria, list):
        return [*errors, error_item(["criteria"], CRITERIA_LIST, "list_type")]
    for index, ref in enumerate(criteria):
        if not isinstance(ref, dict) or "criterion_id" not in ref:
            errors.append(
                error_item(["criteria", index, "criterion_id"], "Field required", "missing")
            )
        elif _visible(state, principal, ref["criterion_id"]) is None:
            errors.append(
                error_item(
                    ["criteria", index, "criterion_id"],
                    UNKNOWN_CRITERION.format(id=ref["criterion_id"]),
                )
            )
    return errors


def _normalize(state: BackendState, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    refs = []
    for ref in data.get("criteria", []):
        record = _visible(state, principal, ref["criterion_id"])
        assert record is not None
        refs.append(
            {**ref, "criterion_version": ref.get("criterion_version") or record.get("version", 1)}
        )
    data["criteria"] = refs
    data.setdefault("description", "")
    return data


router = library_router(
    kind="evaluation",
    plural="evaluations",
    area="evaluations",
    label="evaluation",
    validate=validate_evaluation,
    normalize=_normalize,
)
