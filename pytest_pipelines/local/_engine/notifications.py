"""Notifications: unread messages for a user (work assigned, reviews, finished jobs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState


def notify(
    state: BackendState,
    *,
    org_id: int,
    user_id: int | None,
    title: str,
    body: str = "",
    kind: str = "info",
    link: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Store an unread notification for ``user_id`` (nothing when the user is unknown)."""
    if user_id is None:
        return None
    return state.db.insert(
        "notification",
        {
            "org_id": org_id,
            "user_id": user_id,
            "title": title,
            "body": body,
            "kind": kind,
            "link": dict(link or {}),
            "read": False,
            "read_at": None,
        },
        org_id=org_id,
    )
