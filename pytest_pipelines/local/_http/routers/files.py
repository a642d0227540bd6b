"""Project files: the presigned flow, served by the local backend itself.

1. ``POST /api/projects/{p}/files/upload-url`` ``{"filename", "content_type"?}`` -> a ticket
   ``{"file_id", "upload_url", "method": "PUT", "headers", "expires_at"}``. ``upload_url`` points at
   ``PUT /_local/files/{file_id}/upload?token=...`` on this backend (the token is the signature; no
   API key is needed, as with a real presigned URL).
2. PUT the bytes there.
3. ``POST .../files/{file_id}/confirm`` with a JSON object (``{}`` or ``{"size_bytes": N}``);
   an absent body is 422, confirming before the bytes arrived is 409, a size mismatch is 422.
4. ``GET .../files/{file_id}/url`` -> ``{"url", ...}``: ``GET /_local/files/{id}/download?token=``
   serves the bytes. An unconfirmed file has no download URL (409).
5. ``POST .../files/{file_id}/enqueue-gc``: the file is collected at once (bytes deleted); its
   URL routes then answer 404 saying it was collected.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from pytest_pipelines.local._engine.access import Principal, get_or_404
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._engine.tables import file_bytes
from pytest_pipelines.local._http.deps import Body, FilesAuth, OptionalBody, State

router = APIRouter(tags=["files"])

MAX_BYTES = 25 * 1024 * 1024
URL_TTL = timedelta(hours=1)
MAX_FILENAME = 255
BAD_FILENAME = (
    "filename must be at most {limit} printable characters (no control characters such as "
    "CR, LF or NUL: the name is sent back in a download header)"
)
BAD_CONTENT_TYPE = (
    'content_type must be a media type such as "image/png" or "text/plain; charset=utf-8" '
    "(printable ASCII, no CR, LF or NUL)"
)
# type/subtype with optional parameters, printable ASCII only (RFC 9110 token characters).
MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;[\x20-\x7e]*)?")
FILENAME_REQUIRED = 'filename is required (a non-empty string), e.g. {"filename": "image.png"}'
BAD_TOKEN = (
    "this upload/download URL is invalid (wrong or missing token); ask the API for a new one"
)
NOT_UPLOADED = "file {id} has no bytes yet: PUT them to the ticket's upload_url first, then confirm"
NOT_CONFIRMED = (
    "file {id} is not confirmed yet (status {status}); confirm the upload with "
    "POST .../files/{id}/confirm before asking for a download URL"
)
COLLECTED = "file {id} was garbage-collected (enqueue-gc); it has no bytes and no URL any more"
ALREADY_CONFIRMED = "file {id} is already confirmed; request a new upload URL to upload new bytes"
SIZE_MISMATCH = "size_bytes {given} does not match the {actual} bytes uploaded"
TOO_LARGE = "the local backend accepts files up to {limit} bytes; this one has {size}"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` fallback and the exact name as RFC 5987
    ``filename*`` (a header is Latin-1 on the wire: ``日本語.txt`` as is would not encode)."""
    fallback = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _safe_media_type(value: Any) -> str:
    # Records stored before the upload-url check (or by a seed) may hold anything; a header
    # with CR/LF would close the connection without an answer.
    text = str(value)
    return text if MEDIA_TYPE.fullmatch(text) else "application/octet-stream"


def _token_ok(record: dict[str, Any], token: str) -> bool:
    return secrets.compare_digest(str(record.get("token")).encode(), token.encode())


def _expires() -> str:
    return (datetime.now(timezone.utc) + URL_TTL).isoformat().replace("+00:00", "Z")


def _public(record: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "project_id",
        "org_id",
        "filename",
        "content_type",
        "status",
        "size_bytes",
        "sha256",
        "created_at",
        "updated_at",
        "confirmed_at",
        "collected_at",
    )
    out = {k: record.get(k) for k in keys}
    out["file_id"] = record["id"]
    return out


def get_file(
    state: BackendState, principal: Principal, project_id: int, file_id: int
) -> dict[str, Any]:
    """A file record of the project, visible to the key; else 404."""
    get_or_404(state, "project", project_id, principal)
    record = get_or_404(state, "project_file", file_id, principal, label="file")
    if record.get("project_id") != project_id:
        raise not_found("file", file_id)
    return record


@router.post("/api/projects/{project_id}/files/upload-url")
def request_project_file_upload_url(
    request: Request, state: State, principal: FilesAuth, project_id: int, body: Body
) -> dict[str, Any]:
    """Create a pending file and return its upload ticket."""
    get_or_404(state, "project", project_id, principal)
    filename = body.get("filename")
    if not isinstance(filename, str) or not filename.strip():
        raise APIError(422, [error_item(["filename"], FILENAME_REQUIRED, "missing")])
    content_type = body.get("content_type") or "application/octet-stream"
    errors = []
    if len(filename) > MAX_FILENAME or not filename.isprintable():
        errors.append(error_item(["filename"], BAD_FILENAME.format(limit=MAX_FILENAME)))
    if not isinstance(content_type, str) or not MEDIA_TYPE.fullmatch(content_type):
        errors.append(error_item(["content_type"], BAD_CONTENT_TYPE))
    if errors:
        raise APIError(422, errors)
    token = secrets.token_urlsafe(24)
    record = state.db.insert(
        "project_file",
        {
            "org_id": principal.org_id,
            "project_id": project_id,
            "filename": filename,
            "content_type": content_type,
            "status": "pending_upload",
            "size_bytes": None,
            "sha256": None,
            "token": token,
            "confirmed_at": None,
            "collected_at": None,
        },
        org_id=principal.org_id,
        parent_id=project_id,
        parent_kind="project",
    )
    base = str(request.base_url).rstrip("/")
    return {
        **_public(record),
        "upload_url": f"{base}/_local/files/{record['id']}/upload?token={token}",
        "method": "PUT",
        "headers": {"Content-Type": content_type},
        "expires_at": _expires(),
    }


@router.put("/_local/files/{file_id}/upload")
async def upload_file_bytes(
    request: Request, state: State, file_id: int, token: str = ""
) -> dict[str, Any]:
    """The presigned upload target: store the request body as the file's bytes."""
    record = state.db.get("project_file", file_id)
    if record is None or not _token_ok(record, token):
        raise APIError(403, BAD_TOKEN)
    if record.get("status") == "collected":
        raise APIError(404, COLLECTED.format(id=file_id))
    if record.get("status") == "confirmed":
        raise APIError(409, ALREADY_CONFIRMED.format(id=file_id))
    data = await request.body()
    if len(data) > MAX_BYTES:
        raise APIError(413, TOO_LARGE.format(limit=MAX_BYTES, size=len(data)))
    with state.db.tx():
        for blob in state.db.query("file_blob", parent_id=file_id):
            state.db.delete("file_blob", blob["id"])
        state.db.insert(
            "file_blob",
            {"b64": base64.b64encode(data).decode()},
            parent_id=file_id,
            parent_kind="project_file",
        )
        state.db.patch(
            "project_file",
            file_id,
            {
                "status": "uploaded",
                "size_bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )
    return {"file_id": file_id, "size_bytes": len(data), "status": "uploaded"}


@router.post("/api/projects/{project_id}/files/{file_id}/confirm")
def confirm_project_file_upload(
    state: State, principal: FilesAuth, project_id: int, file_id: int, body: Body
) -> dict[str, Any]:
    """Confirm the upload (a JSON object body is required; ``size_bytes`` is checked)."""
    record = get_file(state, principal, project_id, file_id)
    status = record.get("status")
    if status == "collected":
        raise APIError(404, COLLECTED.format(id=file_id))
    if status == "pending_upload":
        raise APIError(409, NOT_UPLOADED.format(id=file_id))
    size = body.get("size_bytes")
    if size is not None and size != record.get("size_bytes"):
        raise APIError(
            422,
            [
                error_item(
                    ["size_bytes"],
                    SIZE_MISMATCH.format(given=size, actual=record.get("size_bytes")),
                )
            ],
        )
    if status != "confirmed":
        from pytest_pipelines.local._store.db import utcnow

        record = state.db.patch(
            "project_file", file_id, {"status": "confirmed", "confirmed_at": utcnow()}
        )
    return _public(record)


@router.get("/api/projects/{project_id}/files/{file_id}/url")
def get_project_file_url(
    request: Request, state: State, principal: FilesAuth, project_id: int, file_id: int
) -> dict[str, Any]:
    """A download URL for a confirmed file (409 before confirm, 404 once collected)."""
    record = get_file(state, principal, project_id, file_id)
    if record.get("status") == "collected":
        raise APIError(404, COLLECTED.format(id=file_id))
    if record.get("status") != "confirmed":
        raise APIError(409, NOT_CONFIRMED.format(id=file_id, status=record.get("status")))
    base = str(request.base_url).rstrip("/")
    return {
        **_public(record),
        "url": f"{base}/_local/files/{file_id}/download?token={record['token']}",
        "expires_at": _expires(),
    }


@router.get("/_local/files/{file_id}/download")
def download_file_bytes(state: State, file_id: int, token: str = "") -> Response:
    """The presigned download target: the file's bytes."""
    record = state.db.get("project_file", file_id)
    if record is None or not _token_ok(record, token):
        raise APIError(403, BAD_TOKEN)
    found = file_bytes(state, file_id, int(record["org_id"]))
    if found is None:
        if record.get("status") == "collected":
            raise APIError(404, COLLECTED.format(id=file_id))
        raise APIError(409, NOT_CONFIRMED.format(id=file_id, status=record.get("status")))
    return Response(
        found[1],
        media_type=_safe_media_type(record.get("content_type")),
        headers={"Content-Disposition": content_disposition(str(record.get("filename")))},
    )


@router.post("/api/projects/{project_id}/files/{file_id}/enqueue-gc")
def enqueue_project_file_gc(
    state: State, principal: FilesAuth, project_id: int, file_id: int, body: OptionalBody
) -> dict[str, Any]:
    """Collect the file: its bytes are deleted at once and its URLs stop working (idempotent)."""
    record = get_file(state, principal, project_id, file_id)
    if record.get("status") != "collected":
        from pytest_pipelines.local._store.db import utcnow

        with state.db.tx():
            for blob in state.db.query("file_blob", parent_id=file_id):
                state.db.delete("file_blob", blob["id"])
            record = state.db.patch(
                "project_file", file_id, {"status": "collected", "collected_at": utcnow()}
            )
    return {**_public(record), "gc": "enqueued"}
