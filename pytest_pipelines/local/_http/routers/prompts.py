"""Prompts: CRUD, versions, list filters and pagination (``/api/prompts``)."""

from __future__ import annotations

from typing import Any

from pytest_pipelines.local._engine.access import Principal
from pytest_pipelines.local._engine.errors import error_item
from pytest_pipelines.local._engine.library import require_strings
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http.library import library_router

ROLES = ("user", "system", "assistant")
ROLE_MSG = "role must be one of: " + ", ".join(ROLES)


def validate_prompt(_: BackendState, __: Principal, body: dict[str, Any]) -> list[dict[str, Any]]:
    """A prompt needs ``name`` and ``prompt_text``; ``role`` is user, system or assistant."""
    errors = require_strings(body, "name", "prompt_text")
    if "role" in body and body["role"] not in ROLES:
        errors.append(error_item(["role"], ROLE_MSG, "literal_error"))
    return errors


def _normalize(_: BackendState, __: Principal, data: dict[str, Any]) -> dict[str, Any]:
    data.setdefault("role", "user")
    data.setdefault("description", "")
    return data


router = library_router(
    kind="prompt",
    plural="prompts",
    area="prompts",
    label="prompt",
    validate=validate_prompt,
    normalize=_normalize,
)
