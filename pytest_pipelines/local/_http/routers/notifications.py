"""Notifications of the key's user: list, get, unread count, mark read, and a stream.

The local backend writes notifications when something happens to the user's work: a review of
their submission (approved or rejected), a finished dataset import, a finished async task export.

Streaming: ``GET /api/notifications`` streams instead of answering one JSON page when asked
with ``?stream=ndjson`` or ``Accept: application/x-ndjson`` (one JSON object per line), or with
``?stream=sse`` or ``Accept: text/event-stream`` (``id:`` / ``event: notification`` / ``data:``
blocks). The stream sends the user's notifications with ``id > since_id`` (default 0), oldest
first, then ends; with ``follow=S`` (seconds, at most 30) it stays open S seconds and sends new
ones as they arrive.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from pytest_pipelines.local._engine.access import Principal, get_or_404
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http.deps import Body, NotificationsAuth, Page, State, page_of

router = APIRouter(prefix="/api/notifications", tags=["notifications"])

STREAM_KINDS = ("ndjson", "sse")
BAD_STREAM = (
    "stream must be one of: ndjson, sse (or send Accept: application/x-ndjson / text/event-stream)"
)
MARK_READ = 'send {"notification_ids": [ids...]} or {"all": true}, not both'
MAX_FOLLOW_S = 30.0
POLL_S = 0.05


def _where(principal: Principal, unread: bool | None) -> dict[str, Any]:
    where: dict[str, Any] = {"user_id": principal.user_id}
    if unread is not None:
        where["read"] = not unread
    return where


def _pick_stream(request: Request, stream: str | None) -> str | None:
    if stream is not None:
        if stream not in STREAM_KINDS:
            raise APIError(422, [error_item(["query", "stream"], BAD_STREAM)])
        return stream
    accept = request.headers.get("accept", "")
    if "application/x-ndjson" in accept:
        return "ndjson"
    if "text/event-stream" in accept:
        return "sse"
    return None


def _stream(
    request: Request,
    state: BackendState,
    principal: Principal,
    kind: str,
    since_id: int,
    follow: float,
) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        last = since_id
        deadline = time.monotonic() + follow
        while True:
            for item in state.db.query(
                "notification", org_id=principal.org_id, where={"user_id": principal.user_id}
            ):
                if item["id"] <= last:
                    continue
                last = item["id"]
                text = json.dumps(item)
                if kind == "ndjson":
                    yield (text + "\n").encode()
                else:
                    yield f"id: {item['id']}\nevent: notification\ndata: {text}\n\n".encode()
            if time.monotonic() >= deadline or await request.is_disconnected():
                return
            await asyncio.sleep(POLL_S)

    return gen()


@router.get("", response_model=None)
def list_notifications(
    request: Request,
    state: State,
    principal: NotificationsAuth,
    page: Page,
    unread: bool | None = None,
    stream: str | None = None,
    since_id: int = 0,
    follow: Annotated[float, Query(ge=0, le=MAX_FOLLOW_S)] = 0.0,
) -> dict[str, Any] | StreamingResponse:
    """The user's notifications, newest first (``unread`` filters); or a stream (see module)."""
    kind = _pick_stream(request, stream)
    if kind is not None:
        media = "application/x-ndjson" if kind == "ndjson" else "text/event-stream"
        return StreamingResponse(
            _stream(request, state, principal, kind, since_id, follow), media_type=media
        )
    where = _where(principal, unread)
    items = state.db.query(
        "notification",
        org_id=principal.org_id,
        where=where,
        limit=page.page_size,
        offset=page.offset,
        descending=True,
    )
    return page_of(
        items, state.db.count("notification", org_id=principal.org_id, where=where), page
    )


@router.get("/unread-count")
def get_unread_notification_count(state: State, principal: NotificationsAuth) -> dict[str, Any]:
    """``{"count": N}``: unread notifications of the user."""
    return {
        "count": state.db.count(
            "notification", org_id=principal.org_id, where=_where(principal, True)
        )
    }


@router.post("/mark-read")
def mark_notifications_read(
    state: State, principal: NotificationsAuth, body: Body
) -> dict[str, Any]:
    """``{"notification_ids": [...]}`` or ``{"all": true}``; ``{"updated": N, "unread": M}``."""
    ids = body.get("notification_ids")
    everything = body.get("all") is True
    if (ids is None) == (not everything) or (ids is not None and not isinstance(ids, list)):
        raise APIError(422, [error_item(["notification_ids"], MARK_READ)])
    from pytest_pipelines.local._store.db import utcnow

    where = _where(principal, True)
    targets = state.db.query("notification", org_id=principal.org_id, where=where)
    if ids is not None:
        mine = {
            n["id"]
            for n in state.db.query(
                "notification", org_id=principal.org_id, where={"user_id": principal.user_id}
            )
        }
        unknown = [i for i in ids if i not in mine]
        if unknown:
            raise not_found("notification", ", ".join(str(i) for i in unknown))
        targets = [n for n in targets if n["id"] in ids]
    now = utcnow()
    with state.db.tx():
        for item in targets:
            state.db.patch("notification", item["id"], {"read": True, "read_at": now})
    unread = state.db.count("notification", org_id=principal.org_id, where=where)
    return {"updated": len(targets), "unread": unread}


@router.get("/{notification_id}")
def get_notification(
    state: State, principal: NotificationsAuth, notification_id: int
) -> dict[str, Any]:
    """One notification of the user."""
    item = get_or_404(state, "notification", notification_id, principal)
    if item.get("user_id") != principal.user_id:
        raise not_found("notification", notification_id)
    return item
